package tt.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VecTest {
    @Test
    void expIsWithinThreeUlpOfDoubleExpAndLanesMatchTheScalarBitForBit() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = new float[Vec.F.length() * 4096], lanes = new float[x.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-87, 88);
        // Beyond the clamps too (the lanes clamp by blends, the scalar by min and max).
        float[] edges = {-1000f, -87.5f, -87.3f, 88f, 88.5f, 1000f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        System.arraycopy(edges, 0, x, 3, edges.length);
        for (int i = 0; i < x.length; i += Vec.F.length()) Vec.exp(FloatVector.fromArray(Vec.F, x, i)).intoArray(lanes, i);
        double worstUlps = 0;
        for (int i = 0; i < x.length; i++) {
            float scalar = Vec.exp(x[i]);
            assertEquals(Float.floatToIntBits(scalar), Float.floatToIntBits(lanes[i]), "lane vs scalar at x = " + x[i]);
            if (x[i] < -87.3f || x[i] > 88f) continue;  // clamped: no reference
            double ref = Math.exp(x[i]);
            worstUlps = Math.max(worstUlps, Math.abs(scalar - ref) / Math.ulp((float) ref));
        }
        // Tolerance: 3 ulp of the float result (Cephes' expf polynomial is good to about 2).
        assertTrue(worstUlps <= 3, "worst error " + worstUlps + " ulp");
        assertEquals(0f, Vec.exp(-100f));
        assertEquals(1f, Vec.exp(0f));
    }

    /** The first maximum, wherever it falls (a vector's first lane, its last, the scalar tail), ties and NaN rows included. */
    @Test
    void firstIndexOfTheMaximumFindsTheFirstMaximum() {
        int v = Vec.F.length();
        for (int n : new int[] {1, v - 1, v, 3 * v + 5, 9 * v + 3}) {  // 9v + 3: max's four chains, then one, then the tail
            for (int at = 0; at < n; at++) {
                float[] a = new float[n + 2];
                java.util.Arrays.fill(a, -1f);
                a[1 + at] = 2f;
                if (at + 1 < n) a[1 + n - 1] = 2f;  // a later tie: the first one wins
                assertEquals(at, Vec.firstIndexOf(a, 1, n, Vec.max(a, 1, n)), "n " + n + ", maximum at " + at);
            }
        }
        float[] nan = {Float.NaN, 1f, 2f};
        assertEquals(0, Vec.firstIndexOf(nan, 0, 3, Vec.max(nan, 0, 3)));
    }

    /** Tails run under a mask: every length from 1 to three vectors and a bit gives the scalar loop's bits. */
    @Test
    void maskedTailsMatchScalarLoops() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int n = 1; n <= 3 * Vec.F.length() + 5; n++) {
            float[] a = new float[n + 2], y = new float[n + 2];
            for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextDouble(-6, 6);
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 1; i <= n; i++) max = Math.max(max, a[i]);
            assertEquals(max, Vec.max(a, 1, n), "max, n = " + n);
            Vec.expScaled(a, 1, y, 1, n, 0.5f, 0.25f, 0.125f);
            for (int i = 1; i <= n; i++) assertEquals(Vec.exp(a[i] * 0.5f - 0.25f) * 0.125f, y[i], "expScaled, n = " + n + ", i = " + i);
            assertEquals(0f, y[0]);
            assertEquals(0f, y[n + 1], "expScaled wrote past n = " + n);
        }
    }
}
