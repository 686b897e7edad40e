package tt.kernels.jvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * GEMM against a float64 reference on random inputs. Tolerance per element:
 * |c - ref| <= 1e-5 * (|alpha| * sum_p |a_ip b_pj| + |beta c_ij|) + 1e-6.
 * Shapes cover 1x1x1, primes, and non-multiples of the 6 x 4-vector, 8 x 2-vector and 6 x 2-vector
 * tiles and of the M, K and N blocks, with both register counts' choices of tiles whatever this
 * CPU's are; guard cells around every operand must stay untouched.
 */
class GemmKernelsTest {
    private static final int GUARD = 7;
    private static final float SENTINEL = 12345f;
    /** Narrow and wide tiles as 32 and as 16 vector registers choose them: the test runs both, whatever this CPU has. */
    private static final GemmKernels.Tile[][] TILE_CHOICES = {
            {GemmKernels.Tile.EIGHT_BY_TWO, GemmKernels.Tile.SIX_BY_FOUR}, {GemmKernels.Tile.SIX_BY_TWO, GemmKernels.Tile.SIX_BY_TWO}};

    /** One GEMM implementation under test, with Kernel.Gemm's arguments. */
    interface Impl {
        void gemm(int batch, int m, int n, int k, boolean transA, boolean transB, float alpha,
                  float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff);
    }

    /** batch, m, n, k: tiny, prime, k = 0, off every block size (tile rows 6 and 8, 4-vector tile 64 wide on AVX-512, MC 192, KC 256), small and packed paths, narrow (n <= 2 vectors) and wide tiles, few rows split by column blocks. */
    private static final int[][] SHAPES = {
            {1, 1, 1, 1}, {1, 37, 53, 29}, {1, 193, 67, 257}, {1, 13, 100, 300}, {3, 32, 64, 32}, {2, 25, 17, 520}, {4, 5, 7, 0}, {2, 70, 32, 300}, {1, 7, 1100, 40}};

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (int[] s : SHAPES) {
            for (int t = 0; t < 4; t++) {
                boolean transA = (t & 1) != 0, transB = (t & 2) != 0;
                cases.add(Arguments.of(s[0], s[1], s[2], s[3], transA, transB, 1f, 0f));
                cases.add(Arguments.of(s[0], s[1], s[2], s[3], transA, transB, -0.75f, 1f));
                cases.add(Arguments.of(s[0], s[1], s[2], s[3], transA, transB, 1.5f, -0.5f));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}x{1}x{2}x{3} transA={4} transB={5} alpha={6} beta={7}")
    @MethodSource("cases")
    void javaMatchesFloat64Reference(int batch, int m, int n, int k, boolean transA, boolean transB, float alpha, float beta) {
        try (Parallel par = new Parallel(2)) {
            for (GemmKernels.Tile[] tiles : TILE_CHOICES) {
                check(java(par, tiles), batch, m, n, k, transA, transB, alpha, beta, 11);
            }
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{2}x{3} transA={4} transB={5} alpha={6} beta={7}")
    @MethodSource("cases")
    void nativeBlasMatchesFloat64Reference(int batch, int m, int n, int k, boolean transA, boolean transB, float alpha, float beta) {
        assumeTrue(NativeBlas.isAvailable(), NativeBlas::description);
        check(NativeBlas::gemm, batch, m, n, k, transA, transB, alpha, beta, 13);
    }

    @Test
    void wideMatrixCrossesTheNBlock() {
        try (Parallel par = new Parallel(2)) {
            for (GemmKernels.Tile[] tiles : TILE_CHOICES) {
                check(java(par, tiles), 1, 29, GemmKernels.NC + 37, 300, false, true, 1f, 0.5f, 17);
            }
        }
    }

    /** A bias (and ReLU) applied as the last K block is stored gives the floats of the product followed by passes of their own, exactly. */
    @Test
    void epilogueEqualsBiasAndReluPassesAfterTheProduct() {
        int[][] shapes = {{37, 53, 29}, {13, 100, 300}, {70, 32, 520}, {7, 1100, 40}, {5, 7, 0}};
        SplittableRandom rnd = new SplittableRandom(21);
        try (Parallel par = new Parallel(2)) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = random(rnd, m * k), b = random(rnd, k * n), bias = random(rnd, n + 3), c = random(rnd, m * n);
                for (boolean transB : new boolean[] {false, true}) {
                    for (float beta : new float[] {0f, 1f}) {
                        for (GemmKernels.Tile[] tiles : TILE_CHOICES) {
                            for (boolean relu : new boolean[] {false, true}) {
                                float[] separate = c.clone(), fused = c.clone();
                                GemmKernels.gemm(par, tiles[0], tiles[1], 1, m, n, k, false, transB, 1f, a, 0, b, 0, beta, separate, 0, null);
                                ElementwiseKernels.biasAdd(par, m, n, bias, 3, separate, 0);
                                if (relu) ElementwiseKernels.relu(par, m * n, separate, 0, separate, 0);
                                GemmKernels.gemm(par, tiles[0], tiles[1], 1, m, n, k, false, transB, 1f, a, 0, b, 0, beta, fused, 0,
                                        new GemmKernels.Epilogue(bias, 3, relu));
                                assertArrayEquals(separate, fused, m + "x" + n + "x" + k + " transB=" + transB + " beta=" + beta + " relu=" + relu);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNsInC() {
        float[] a = random(new SplittableRandom(3), 6 * 5), b = random(new SplittableRandom(4), 5 * 40), c = new float[6 * 40];
        Arrays.fill(c, Float.NaN);
        try (Parallel par = new Parallel(1)) {
            GemmKernels.gemm(par, 1, 6, 40, 5, false, false, 1f, a, 0, b, 0, 0f, c, 0);
        }
        for (float v : c) assertTrue(Float.isFinite(v), "beta = 0 must overwrite C, got " + v);
    }

    /** Each element belongs to one thread and sums K in a fixed order: any thread count gives the same bits. */
    @Test
    void threadCountDoesNotChangeBits() {
        // {1, 300, 24, 520} and {64, 32, 32, 32} take the 2-vector tile (n <= 2 vectors), the others
        // the wide one; {1, 100, 1100, 130} has few rows and many columns, split by column blocks.
        int[][] shapes = {{1, 193, 67, 257}, {1, 500, 96, 300}, {5, 40, 64, 200}, {64, 32, 64, 32}, {1, 300, 24, 520}, {64, 32, 32, 32},
                {1, 100, 1100, 130}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean transA = (t & 1) != 0, transB = (t & 2) != 0;
                float[] expected = null;
                for (int threads = 1; threads <= 3; threads++) {
                    SplittableRandom rnd = new SplittableRandom(5);
                    float[] a = random(rnd, s[0] * s[1] * s[3]), b = random(rnd, s[0] * s[3] * s[2]), c = random(rnd, s[0] * s[1] * s[2]);
                    try (Parallel par = new Parallel(threads)) {
                        GemmKernels.gemm(par, s[0], s[1], s[2], s[3], transA, transB, 0.5f, a, 0, b, 0, 1f, c, 0);
                    }
                    if (expected == null) expected = c;
                    else assertArrayEquals(expected, c, Arrays.toString(s) + " transA=" + transA + " transB=" + transB + " threads=" + threads);
                }
            }
        }
    }

    /** The backend binds Kernel.Gemm to the same kernel (bit-identical) or, on request, to OpenBLAS. */
    @Test
    void jvmBackendRunsGemmCalls() {
        int m = 19, n = 70, k = 33;
        SplittableRandom rnd = new SplittableRandom(9);
        FloatBuf a = FloatBuf.of("a", random(rnd, m * k)), b = FloatBuf.of("b", random(rnd, n * k));
        float[] expected = new float[m * n];
        try (Parallel par = new Parallel(1)) {
            GemmKernels.gemm(par, 1, m, n, k, false, true, 1f, a.array(), 0, b.array(), 0, 0f, expected, 0);
        }
        for (boolean nativeBlas : new boolean[] {false, true}) {
            if (nativeBlas && !NativeBlas.isAvailable()) continue; // covered by nativeBlasMatchesFloat64Reference's assumption
            FloatBuf c = FloatBuf.allocate("c", m * n);
            StepGraph g = new StepGraph("gemm");
            g.add("gemm", new Kernel.Gemm(Dim.fixed(1), Dim.fixed(m), Dim.fixed(n), Dim.fixed(k), false, true, 1f, a, b, 0f, c));
            try (JvmBackend backend = new JvmBackend(2, nativeBlas)) {
                backend.compile(g).run();
                assertTrue(backend.device().contains(nativeBlas ? "OpenBLAS" : "GEMM: Java"), backend.device());
            }
            if (!nativeBlas) assertArrayEquals(expected, c.toArray());
            else for (int i = 0; i < m * n; i++) assertEquals(expected[i], c.get(i), 1e-4f, "native C[" + i + "]");
        }
    }

    private static Impl java(Parallel par, GemmKernels.Tile[] narrowAndWide) {
        return (batch, m, n, k, ta, tb, alpha, a, aOff, b, bOff, beta, c, cOff) ->
                GemmKernels.gemm(par, narrowAndWide[0], narrowAndWide[1], batch, m, n, k, ta, tb, alpha, a, aOff, b, bOff, beta, c, cOff, null);
    }

    /** Runs impl on random operands placed at nonzero offsets between guard cells and checks every element. */
    private static void check(Impl impl, int batch, int m, int n, int k, boolean transA, boolean transB,
                              float alpha, float beta, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = guarded(random(rnd, batch * m * k)), b = guarded(random(rnd, batch * k * n));
        float[] c0 = random(rnd, batch * m * n);
        if (beta == 0f) Arrays.fill(c0, Float.NaN); // must be ignored, not multiplied by zero
        float[] c = guarded(c0);
        impl.gemm(batch, m, n, k, transA, transB, alpha, a, GUARD, b, GUARD, beta, c, GUARD);
        assertGuards(a, "a");
        assertGuards(b, "b");
        assertGuards(c, "c");
        String what = batch + "x" + m + "x" + n + "x" + k + " transA=" + transA + " transB=" + transB;
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0, abs = 0;
                    for (int p = 0; p < k; p++) {
                        double av = a[GUARD + bi * m * k + (transA ? p * m + i : i * k + p)];
                        double bv = b[GUARD + bi * k * n + (transB ? j * k + p : p * n + j)];
                        sum += av * bv;
                        abs += Math.abs(av * bv);
                    }
                    double old = beta == 0f ? 0 : c0[bi * m * n + i * n + j];
                    double ref = alpha * sum + beta * old;
                    double tol = 1e-5 * (Math.abs(alpha) * abs + Math.abs(beta * old)) + 1e-6;
                    float got = c[GUARD + bi * m * n + i * n + j];
                    if (!(Math.abs(got - ref) <= tol)) {
                        throw new AssertionError(what + " C[" + bi + "][" + i + "][" + j + "] = " + got + ", expected " + ref + " +- " + tol);
                    }
                }
            }
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        return x;
    }

    private static float[] guarded(float[] x) {
        float[] g = new float[x.length + 2 * GUARD];
        Arrays.fill(g, SENTINEL);
        System.arraycopy(x, 0, g, GUARD, x.length);
        return g;
    }

    private static void assertGuards(float[] g, String name) {
        for (int i = 0; i < GUARD; i++) {
            assertEquals(SENTINEL, g[i], name + " guard before the operand was written");
            assertEquals(SENTINEL, g[g.length - 1 - i], name + " guard after the operand was written");
        }
    }
}
