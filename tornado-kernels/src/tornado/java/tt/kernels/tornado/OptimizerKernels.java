package tt.kernels.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import static tt.kernels.tornado.Group.THREADS;
import static tt.kernels.tornado.Group.dim;

/** Global gradient norm (two device passes) and the Adam update, reading both from device buffers. */
public final class OptimizerKernels {
    /** Work-groups of the first norm pass; each leaves one partial sum. */
    static final int NORM_GROUPS = 128;

    private OptimizerKernels() {}

    interface SumOfSquaresParams { int N = 0, X = 1; }

    /** partials[g] = sum of x^2 over a grid-strided share of x. */
    public static void sumOfSquares(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray partials) {
        int n = dim(sizes, p, SumOfSquaresParams.N), off = p.get(SumOfSquaresParams.X);
        float acc = 0f;
        for (int i = ctx.globalIdx; i < n; i += NORM_GROUPS * THREADS) {
            float v = x.get(off + i);
            acc += v * v;
        }
        acc = Group.sum(ctx, acc);
        if (ctx.localIdx == 0) partials.set(ctx.groupIdx, acc);
    }

    interface NormOfPartialsParams { int OUT = 0; }

    /** One work-group: out = sqrt(sum of the partials). */
    public static void normOfPartials(KernelContext ctx, IntArray p, FloatArray partials, FloatArray out) {
        float acc = 0f;
        for (int g = ctx.localIdx; g < NORM_GROUPS; g += THREADS) acc += partials.get(g);
        acc = Group.sum(ctx, acc);
        if (ctx.localIdx == 0) out.set(p.get(NormOfPartialsParams.OUT), TornadoMath.sqrt(acc));
    }

    interface AdamMomentParams { int N = 0, GRADS = 1, HYPER = 2, GRAD_NORM = 3, MOMENT = 4; }

    /**
     * Adam's first moment m = beta m + (1 - beta) g, or with {@code squared} = 1 its second
     * v = beta v + (1 - beta) g^2, g being the scaled and clipped gradient. hyper = [lr,
     * 1 - beta1^t, 1 - beta2^t, gradient scale] and the norm are read on the device, so an update
     * never waits for the host.
     */
    public static void adamMoment(KernelContext ctx, IntArray sizes, IntArray p, FloatArray grads, FloatArray hyper,
                                  FloatArray gradNorm, FloatArray moment, float beta, float maxNorm, int squared) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, AdamMomentParams.N)) {
            float g = grads.get(p.get(AdamMomentParams.GRADS) + i) * gradientFactor(hyper.get(p.get(AdamMomentParams.HYPER) + 3),
                    gradNorm.get(p.get(AdamMomentParams.GRAD_NORM)), maxNorm);
            int o = p.get(AdamMomentParams.MOMENT) + i;
            float step = (1f - beta) * g;
            moment.set(o, beta * moment.get(o) + (squared != 0 ? step * g : step));
        }
    }

    interface AdamStepParams { int N = 0, HYPER = 1, M = 2, V = 3, PARAMS = 4; }

    /** params -= lr * (m-hat / (sqrt(v-hat) + eps) + weightDecay * params). */
    public static void adamStep(KernelContext ctx, IntArray sizes, IntArray p, FloatArray hyper, FloatArray m, FloatArray v,
                                FloatArray params, float eps, float weightDecay) {
        int i = ctx.globalIdx, h = p.get(AdamStepParams.HYPER);
        if (i < dim(sizes, p, AdamStepParams.N)) {
            float update = (m.get(p.get(AdamStepParams.M) + i) / hyper.get(h + 1))
                    / (TornadoMath.sqrt(v.get(p.get(AdamStepParams.V) + i) / hyper.get(h + 2)) + eps);
            int o = p.get(AdamStepParams.PARAMS) + i;
            params.set(o, params.get(o) - hyper.get(h) * (update + weightDecay * params.get(o)));
        }
    }

    /** The factor a raw gradient is multiplied by: the accumulation scale and the clipping factor, as on the JVM. */
    private static float gradientFactor(float scale, float norm, float maxNorm) {
        return scale * tt.kernels.jvm.OptimizerKernels.clipFactor(norm, scale, maxNorm);
    }
}
