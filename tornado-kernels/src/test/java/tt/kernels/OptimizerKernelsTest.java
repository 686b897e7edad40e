package tt.kernels;

import org.junit.jupiter.api.Test;
import tt.kernels.jvm.JvmBackend;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static tt.kernels.Harness.*;

/** Global gradient norm and Adam (bias correction, gradient scale, clipping, weight decay) against float64. */
class OptimizerKernelsTest {
    private static final float BETA1 = 0.9f, BETA2 = 0.98f, EPS = 1e-9f, LR = 0.01f;
    private final Random rnd = new Random(53);

    static double norm(double[] x) { return Math.sqrt(Harness.dot(x, x)); }

    @Test
    void globalNormOverViewsOfManySizes() {
        for (int n : new int[] {1, 5, 4097, 20_000}) { // one element, odd, one past a reduction chunk, several chunks
            FloatBuf x = floats("grads", n, rnd), out = floats("norm", 1, rnd);
            float[] before = snapshot(out);
            run(new StepGraph("norm").add("grad norm", new Kernel.GlobalNorm(x, out)));
            // float64 accumulation, one float32 rounding
            assertOutput("norm of " + n, before, new double[] {norm(doubles(x))}, out, 1e-7, 0);
        }
    }

    /** One Adam step in float64 on p, m, v in place; hyper = [lr, 1 - beta1^t, 1 - beta2^t, grad scale]. */
    static void adam(double[] p, double[] g, double[] m, double[] v, double[] hyper, double weightDecay, double maxNorm) {
        double lr = hyper[0], scale = hyper[3], gradNorm = norm(g);
        double clip = maxNorm > 0 ? Math.min(1, maxNorm / (gradNorm * scale + 1e-6)) : 1;
        for (int i = 0; i < p.length; i++) {
            double grad = g[i] * scale * clip;
            m[i] = BETA1 * m[i] + (1 - BETA1) * grad;
            v[i] = BETA2 * v[i] + (1 - BETA2) * grad * grad;
            double mHat = m[i] / hyper[1], vHat = v[i] / hyper[2];
            p[i] -= lr * (mHat / (Math.sqrt(vHat) + EPS) + weightDecay * p[i]);
        }
    }

    private record AdamCase(int n, float weightDecay, String clipping) {}

    @Test
    void adamOverThreeStepsWithClippingAndWeightDecay() {
        for (AdamCase c : new AdamCase[] {
                new AdamCase(1, 0f, "off"), new AdamCase(7, 0.01f, "active"), new AdamCase(4099, 0.1f, "inactive"),
                new AdamCase(20_000, 0.01f, "active")}) {
            int n = c.n();
            FloatBuf params = floats("params", n, rnd), grads = floats("grads", n, rnd);
            FloatBuf m = floats("m", n, rnd), v = floats("v", n, rnd);
            for (int i = 0; i < n; i++) v.set(i, Math.abs(v.get(i)));
            FloatBuf hyper = floats("hyper", 4, rnd), gradNorm = floats("gradNorm", 1, rnd);
            float scale = 0.5f; // two accumulated micro-batches
            double[] g = doubles(grads);
            float maxNorm = switch (c.clipping()) {
                case "active" -> (float) (0.3 * norm(g) * scale);
                case "inactive" -> (float) (3 * norm(g) * scale);
                default -> 0f;
            };
            double[] p = doubles(params), mm = doubles(m), vv = doubles(v);
            float[] pBefore = snapshot(params), mBefore = snapshot(m), vBefore = snapshot(v);
            StepGraph graph = new StepGraph("update")
                    .add("grad norm", new Kernel.GlobalNorm(grads, gradNorm))
                    .add("adam", new Kernel.Adam(params, grads, m, v, hyper, gradNorm, BETA1, BETA2, EPS, c.weightDecay(), maxNorm));
            try (JvmBackend backend = new JvmBackend(2)) {
                Backend.Executable step = backend.compile(graph);
                for (int t = 1; t <= 3; t++) {
                    double[] h = {LR, 1 - Math.pow(BETA1, t), 1 - Math.pow(BETA2, t), scale};
                    for (int i = 0; i < 4; i++) hyper.set(i, (float) h[i]);
                    adam(p, g, mm, vv, doubles(hyper), c.weightDecay(), maxNorm);
                    step.run();
                    // float32 state against float64 over t steps: parameters within 1e-6 (updates are lr-sized), moments within 1e-5
                    String at = c + " step " + t;
                    assertOutput("params " + at, pBefore, p, params, 0, 1e-6);
                    assertOutput("m " + at, mBefore, mm, m, 1e-5, 1e-9);
                    assertOutput("v " + at, vBefore, vv, v, 1e-5, 1e-12);
                }
            }
        }
    }

    /** Checks of the formula itself, independent of the reference above. */
    @Test
    void firstStepFromZeroMomentsMovesEachParameterByLrAgainstItsGradientSign() {
        int n = 300;
        FloatBuf params = floats("params", n, rnd), grads = floats("grads", n, rnd);
        FloatBuf m = floats("m", n, rnd), v = floats("v", n, rnd), gradNorm = floats("gradNorm", 1, rnd);
        m.fill(0f);
        v.fill(0f);
        FloatBuf hyper = FloatBuf.of("hyper", LR, 1 - BETA1, 1 - BETA2, 0.5f);
        double[] p0 = doubles(params), g = doubles(grads);
        float maxNorm = (float) (0.25 * norm(g) * 0.5);
        run(new StepGraph("update").add("grad norm", new Kernel.GlobalNorm(grads, gradNorm))
                .add("adam", new Kernel.Adam(params, grads, m, v, hyper, gradNorm, BETA1, BETA2, EPS, 0f, maxNorm)));
        // Bias correction makes the first update lr * g / |g|, whatever the scale and clipping.
        for (int i = 0; i < n; i++) assertEquals(p0[i] - LR * Math.signum(g[i]), params.get(i), 1e-6, "param " + i);
        // Clipping: the gradient Adam used, m / (1 - beta1), has global norm maxNorm.
        double used = norm(doubles(m)) / (1 - BETA1);
        assertEquals(maxNorm, used, 1e-5 * maxNorm, "clipped gradient norm");
    }
    /** The vector lanes do the scalar loop's float operations in its order: every element as the tail would compute it, bit for bit. */
    @Test
    void adamLanesMatchTheScalarUpdateBitForBit() {
        int n = 53;  // lanes, then a scalar tail
        float[] p = new float[n], g = new float[n], m = new float[n], v = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) rnd.nextGaussian();
            g[i] = (float) rnd.nextGaussian();
            m[i] = (float) rnd.nextGaussian() * 0.1f;
            v[i] = (float) Math.abs(rnd.nextGaussian()) * 0.01f;
        }
        float[] hyper = {1e-3f, 0.1f, 0.002f, 0.5f}, p0 = p.clone(), m0 = m.clone(), v0 = v.clone();
        try (tt.kernels.jvm.Parallel par = new tt.kernels.jvm.Parallel(1)) {
            tt.kernels.jvm.OptimizerKernels.adam(par, n, p, 0, g, 0, m, 0, v, 0, hyper, 0, 3f, BETA1, BETA2, EPS, 0.01f, 1f);
        }
        float gMul = 0.5f * tt.kernels.jvm.OptimizerKernels.clipFactor(3f, 0.5f, 1f);
        for (int i = 0; i < n; i++) {
            float grad = g[i] * gMul;
            float mi = BETA1 * m0[i] + (1f - BETA1) * grad, vi = BETA2 * v0[i] + (1f - BETA2) * grad * grad;
            float update = (mi / hyper[1]) / ((float) Math.sqrt(vi / hyper[2]) + EPS);
            float pi = p0[i] - hyper[0] * (update + 0.01f * p0[i]);
            assertEquals(Float.floatToIntBits(mi), Float.floatToIntBits(m[i]), "m at " + i);
            assertEquals(Float.floatToIntBits(vi), Float.floatToIntBits(v[i]), "v at " + i);
            assertEquals(Float.floatToIntBits(pi), Float.floatToIntBits(p[i]), "params at " + i);
        }
    }
}
