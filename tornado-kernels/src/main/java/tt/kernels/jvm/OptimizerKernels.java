package tt.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static tt.kernels.jvm.Vec.F;

/** Global gradient norm and the Adam update. */
public final class OptimizerKernels {
    /** Fixed reduction chunk: partial sums do not depend on the thread count. */
    private static final int CHUNK = 1 << 12;

    private OptimizerKernels() {}

    public static float globalNorm(Parallel par, float[] x, int off, int n) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        double[] partial = new double[chunks];
        par.range(chunks, 4, (s, e) -> {
            for (int ch = s; ch < e; ch++) partial[ch] = Vec.sumOfSquares(x, off + ch * CHUNK, Math.min(CHUNK, n - ch * CHUNK));
        });
        double sum = 0;
        for (double p : partial) sum += p;
        return (float) Math.sqrt(sum);
    }

    /** Clip factor applied to the scaled gradient so that its global norm is at most maxNorm. */
    public static float clipFactor(float norm, float gradScale, float maxNorm) {
        return maxNorm > 0f ? Math.min(1f, maxNorm / (norm * gradScale + 1e-6f)) : 1f;
    }

    /** hyper = [lr, 1 - beta1^t, 1 - beta2^t, gradient scale]. */
    public static void adam(Parallel par, int n, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff,
                            float[] v, int vOff, float[] hyper, int hOff, float norm,
                            float beta1, float beta2, float eps, float weightDecay, float maxNorm) {
        float lr = hyper[hOff], bc1 = hyper[hOff + 1], bc2 = hyper[hOff + 2], scale = hyper[hOff + 3];
        float gMul = scale * clipFactor(norm, scale, maxNorm);
        par.range(n, 1 << 14, (s, e) -> {
            int i = s;
            // The scalar loop's operations lane-wise, in its order (a float sqrt is the rounded double one).
            for (int bound = s + F.loopBound(e - s); i < bound; i += F.length()) {
                FloatVector grad = FloatVector.fromArray(F, g, gOff + i).mul(gMul);
                FloatVector mi = FloatVector.fromArray(F, m, mOff + i).mul(beta1).add(grad.mul(1f - beta1));
                FloatVector vi = FloatVector.fromArray(F, v, vOff + i).mul(beta2).add(grad.mul(1f - beta2).mul(grad));
                mi.intoArray(m, mOff + i);
                vi.intoArray(v, vOff + i);
                FloatVector update = mi.div(bc1).div(vi.div(bc2).lanewise(VectorOperators.SQRT).add(eps));
                FloatVector pi = FloatVector.fromArray(F, p, pOff + i);
                pi.sub(update.add(pi.mul(weightDecay)).mul(lr)).intoArray(p, pOff + i);
            }
            for (; i < e; i++) {
                float grad = g[gOff + i] * gMul;
                float mi = beta1 * m[mOff + i] + (1f - beta1) * grad;
                float vi = beta2 * v[vOff + i] + (1f - beta2) * grad * grad;
                m[mOff + i] = mi;
                v[vOff + i] = vi;
                float update = (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
                p[pOff + i] -= lr * (update + weightDecay * p[pOff + i]);
            }
        });
    }
}
