package tt.kernels;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tt.kernels.Harness.*;

/**
 * Dropout draws its mask from DropoutMask.factor(seed, step, site, index): the same for every
 * thread count, view offset and live size, recomputed identically by the backward.
 */
class DropoutTest {
    private static final int SEED = 1234, SITE = 5;
    private final Random rnd = new Random(41);

    static double[] dropout(int seed, int step, int site, float p, double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * DropoutMask.factor(seed, step, site, i, p);
        return y;
    }

    @Test
    void forwardAndBackwardScaleKeptElementsAndZeroDroppedOnes() {
        float p = 0.3f;
        double[] x0 = nonzero(rnd, 20), dy0 = nonzero(rnd, 20);
        assertGradient("dropout", x -> dropout(SEED, 3, SITE, p, x), x0, dy0, dropout(SEED, 3, SITE, p, dy0));
        for (int[] shape : SHAPES) {
            Grid grid = Grid.of("dropout", shape);
            Dim step = live(grid.graph(), "step", 17);
            FloatBuf x = floats("x", grid.maxN(), rnd), y = floats("y", grid.maxN(), rnd);
            FloatBuf dy = floats("dy", grid.maxN(), rnd), dx = floats("dx", grid.maxN(), rnd);
            double[] yExpected = dropout(SEED, 17, SITE, p, doubles(x, grid.n()));
            double[] dxAfter = plus(doubles(dx, grid.n()), dropout(SEED, 17, SITE, p, doubles(dy, grid.n())));
            float[] yBefore = snapshot(y), dxBefore = snapshot(dx);
            grid.graph().add("dropout", new Kernel.Dropout(grid.rows(), grid.cols(), p, SEED, step, SITE, x, y))
                    .add("dropout backward", new Kernel.DropoutBackward(grid.rows(), grid.cols(), p, SEED, step, SITE, dy, dx));
            run(grid.graph());
            // forward: one float32 product per element; backward: product and sum, each term below 2.5
            assertOutput("dropout " + grid.at(), yBefore, yExpected, y, 1e-7, 0);
            assertOutput("dropout dx " + grid.at(), dxBefore, dxAfter, dx, 1e-7, 3e-7);
            for (int i = 0; i < grid.n(); i++) if (yExpected[i] == 0) assertTrue(y.get(i) == 0f, "dropped element " + i + " is " + y.get(i));
        }
    }

    /** y = dropout(x) and dx = dx0 + dropout'(dy = x) over n elements at the given step, site and thread count. */
    private static float[][] dropoutBothWays(int n, float p, int seed, int step, int site, int threads, float[] x, float[] dx0) {
        StepGraph g = new StepGraph("dropout");
        Dim rows = Dim.fixed(n), cols = Dim.fixed(1), stepDim = live(g, "step", step);
        FloatBuf xb = FloatBuf.of("x", x), y = FloatBuf.allocate("y", n), dx = FloatBuf.of("dx", dx0);
        g.add("dropout", new Kernel.Dropout(rows, cols, p, seed, stepDim, site, xb, y))
                .add("dropout backward", new Kernel.DropoutBackward(rows, cols, p, seed, stepDim, site, xb, dx));
        run(g, threads);
        return new float[][] {y.toArray(), dx.toArray()};
    }

    private static float[] randomFloats(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) nonzero(rnd);
        return x;
    }

    @Test
    void maskIsTheSameForOneTwoAndThreeThreadsAndInTheBackward() {
        int n = 3 * (1 << 14) + 123; // three parts of the kernels' 16384-element grain
        float[] x = randomFloats(rnd, n), dx0 = randomFloats(rnd, n);
        float[][] one = dropoutBothWays(n, 0.2f, SEED, 9, SITE, 1, x, dx0);
        for (int threads : new int[] {2, 3}) {
            float[][] many = dropoutBothWays(n, 0.2f, SEED, 9, SITE, threads, x, dx0);
            assertArrayEquals(one[0], many[0], "forward on " + threads + " threads");
            assertArrayEquals(one[1], many[1], "backward on " + threads + " threads");
        }
        for (int i = 0; i < n; i++) {
            assertEquals(one[0][i] == 0f, one[1][i] == dx0[i], "forward and backward disagree on element " + i);
        }
    }

    @Test
    void keepRateIsWithinFourSigmaOfOneMinusP() {
        int n = 200_000;
        float[] x = randomFloats(rnd, n);
        for (float p : new float[] {0.1f, 0.5f}) {
            float[] y = dropoutBothWays(n, p, SEED, 1, SITE, 2, x, x)[0];
            long kept = 0;
            for (float v : y) if (v != 0f) kept++;
            double sigma = Math.sqrt(n * p * (1.0 - p));
            assertTrue(Math.abs(kept - n * (1.0 - p)) < 4 * sigma, "kept " + kept + " of " + n + " at p = " + p);
        }
        float[] kept = dropoutBothWays(n, 0f, SEED, 1, SITE, 2, x, x)[0];
        assertArrayEquals(x, kept, "p = 0 keeps everything unscaled");
    }

    private static boolean[] dropped(int seed, int step, int site, int n, float p) {
        boolean[] d = new boolean[n];
        for (int i = 0; i < n; i++) d[i] = DropoutMask.factor(seed, step, site, i, p) == 0f;
        return d;
    }

    /** Two independent masks disagree on a fraction 2p(1-p) of elements; require it within 4 sigma. */
    private static void assertIndependent(String what, boolean[] a, boolean[] b, float p) {
        int differ = 0;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) differ++;
        double q = 2 * p * (1.0 - p), sigma = Math.sqrt(a.length * q * (1 - q));
        assertTrue(Math.abs(differ - a.length * q) < 4 * sigma, what + ": " + differ + " of " + a.length + " differ");
    }

    @Test
    void stepsSitesAndSeedsDrawIndependentMasks() {
        int n = 50_000;
        float p = 0.1f;
        boolean[] base = dropped(SEED, 7, SITE, n, p);
        assertIndependent("next step", base, dropped(SEED, 8, SITE, n, p), p);
        assertIndependent("next site", base, dropped(SEED, 7, SITE + 1, n, p), p);
        assertIndependent("next seed", base, dropped(SEED + 1, 7, SITE, n, p), p);
        // The kernel reads the live step at every run: one graph, two steps, two masks.
        float[] x = randomFloats(rnd, n);
        assertFalse(Arrays.equals(dropoutBothWays(n, p, SEED, 7, SITE, 1, x, x)[0], dropoutBothWays(n, p, SEED, 8, SITE, 1, x, x)[0]));
    }

    @Test
    void maskIsAPureFunctionOfSeedStepSiteAndIndexOnly() {
        float p = 0.25f;
        boolean[] mask = dropped(SEED, 3, SITE, 1000, p);
        assertArrayEquals(mask, dropped(SEED, 3, SITE, 1000, p), "same arguments, same mask");
        for (int i = 0; i < 1000; i++) {
            float u = DropoutMask.uniform(SEED, 3, SITE, i);
            assertTrue(u >= 0f && u < 1f, "uniform out of [0, 1): " + u);
            assertEquals(mask[i] ? 0f : 1f / (1f - p), DropoutMask.factor(SEED, 3, SITE, i, p));
        }
        // Index i is the element of the tensor, not of the root: a view at another offset, at a
        // smaller live size, draws the same mask on its prefix.
        StepGraph g = new StepGraph("dropout");
        Dim rows = live(g, "rows", 20), cols = Dim.fixed(50), step = live(g, "step", 3);
        FloatBuf x = floats("x", 23 * 50, rnd), y = floats("y", 23 * 50, rnd);
        run(g.add("dropout", new Kernel.Dropout(rows, cols, p, SEED, step, SITE, x, y)));
        for (int i = 0; i < 1000; i++) assertEquals(mask[i], y.get(i) == 0f, "element " + i);
    }
}
