package tt.kernels.jvm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * A fixed team of threads that splits an index range into contiguous parts. Kernels either write
 * disjoint outputs per index or reduce over chunks whose boundaries do not depend on the thread
 * count, so results are identical run to run and across thread counts (StepGraphTest checks every kernel).
 */
public final class Parallel implements AutoCloseable {

    /** Work on the half-open index range [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    public int threads() { return threads; }

    /** Runs body over [0, n) in at most {@code threads} parts of at least {@code grain} indices. */
    public void range(int n, int grain, Range body) {
        int parts = (int) Math.min(threads, Math.max(1, (n + (long) grain - 1) / Math.max(grain, 1)));
        if (parts <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        pool.invoke(new RecursiveAction() {
            @Override protected void compute() {
                List<ForkJoinTask<?>> tasks = new ArrayList<>(parts);
                for (int p = 0; p < parts; p++) {
                    int start = (int) ((long) n * p / parts), end = (int) ((long) n * (p + 1) / parts);
                    tasks.add(ForkJoinTask.adapt(() -> body.run(start, end)));
                }
                ForkJoinTask.invokeAll(tasks);
            }
        });
    }

    @Override public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
