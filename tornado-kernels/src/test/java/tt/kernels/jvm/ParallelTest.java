package tt.kernels.jvm;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {

    @Test
    void partsCoverTheRangeExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (Parallel par = new Parallel(threads)) {
                for (int n : new int[] {0, 1, 2, 7, 100, 16_385, 50_001}) {
                    for (int grain : new int[] {0, 1, 4, 1 << 14}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        AtomicInteger parts = new AtomicInteger();
                        par.range(n, grain, (s, e) -> {
                            assertTrue(0 <= s && s < e && e <= n, "part [" + s + ", " + e + ") of " + n);
                            parts.incrementAndGet();
                            for (int i = s; i < e; i++) hits.incrementAndGet(i);
                        });
                        String at = threads + " threads, n " + n + ", grain " + grain;
                        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " with " + at);
                        long expectedParts = n == 0 ? 0 : Math.min(threads, Math.max(1, (n + (long) grain - 1) / Math.max(grain, 1)));
                        assertEquals(expectedParts, parts.get(), "parts with " + at);
                    }
                }
            }
        }
    }

    @Test
    void anExceptionInAPartReachesTheCaller() {
        try (Parallel par = new Parallel(2)) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> par.range(100, 1, (s, e2) -> {
                if (s > 0) throw new IllegalArgumentException("bad part at " + s);
            }));
            assertTrue(e.getMessage().contains("bad part at 50"), e.getMessage());
        }
    }
}
