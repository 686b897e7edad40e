package tt.kernels.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import static tt.kernels.tornado.Group.THREADS;
import static tt.kernels.tornado.Group.dim;

/**
 * Row-wise normalisations, each forward beside its backward: one work-group of
 * {@link Group#THREADS} per row, reducing across the row in local memory. Plus the column sums
 * that give bias and layer-norm parameter gradients.
 */
public final class NormKernels {
    /** Column sums: work-groups of COLUMNS adjacent columns x LANES lanes that split the rows. */
    static final int COLUMNS = 32, LANES = 8;

    private NormKernels() {}

    // ---- attention softmax over keys, scores [batch, heads, queries, keys] ----

    /**
     * p = [batch, queries, keys, heads, lengthsOff, scoresOff, probsOff]: probs = softmax of
     * scale * scores over the keys before keyLengths[b] (and, when causal, not after the query).
     */
    public static void softmax(KernelContext ctx, IntArray sizes, IntArray p, IntArray keyLengths, FloatArray scores,
                               FloatArray probs, float scale, int causal) {
        int queries = dim(sizes, p, 1), keys = dim(sizes, p, 2), heads = p.get(3);
        int r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, 0) * heads * queries;
        int valid = 0;
        if (live) {
            valid = TornadoMath.min(keys, keyLengths.get(p.get(4) + r / (heads * queries)));
            if (causal != 0) valid = TornadoMath.min(valid, r % queries + 1);
        }
        int s = p.get(5) + r * keys, o = p.get(6) + r * keys;
        float max = -Float.MAX_VALUE;
        for (int j = lid; j < valid; j += THREADS) max = TornadoMath.max(max, scale * scores.get(s + j));
        max = Group.max(ctx, max);
        float sum = 0f;
        for (int j = lid; j < valid; j += THREADS) sum += TornadoMath.exp(scale * scores.get(s + j) - max);
        sum = Group.sum(ctx, sum);
        float inv = valid > 0 ? 1f / sum : 0f;
        if (live) {
            for (int j = lid; j < keys; j += THREADS) {
                probs.set(o + j, j < valid ? TornadoMath.exp(scale * scores.get(s + j) - max) * inv : 0f);
            }
        }
    }

    /** p = [batch, queries, keys, heads, probsOff, dProbsOff, dScoresOff]: dScores += scale * probs * (dProbs - probs . dProbs). */
    public static void softmaxBackward(KernelContext ctx, IntArray sizes, IntArray p, FloatArray probs, FloatArray dProbs,
                                       FloatArray dScores, float scale) {
        int keys = dim(sizes, p, 2), r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, 0) * p.get(3) * dim(sizes, p, 1);
        int pr = p.get(4) + r * keys, dp = p.get(5) + r * keys, ds = p.get(6) + r * keys;
        float dot = 0f;
        if (live) {
            for (int j = lid; j < keys; j += THREADS) dot += probs.get(pr + j) * dProbs.get(dp + j);
        }
        dot = Group.sum(ctx, dot);
        if (live) {
            for (int j = lid; j < keys; j += THREADS) {
                dScores.set(ds + j, dScores.get(ds + j) + scale * probs.get(pr + j) * (dProbs.get(dp + j) - dot));
            }
        }
    }

    // ---- log-softmax over rows (the output layer) ----

    /** p = [rows, cols, xOff, yOff]. */
    public static void logSoftmax(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray y) {
        int cols = dim(sizes, p, 1), r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, 0);
        int xr = p.get(2) + r * cols, yr = p.get(3) + r * cols;
        float max = -Float.MAX_VALUE;
        if (live) {
            for (int c = lid; c < cols; c += THREADS) max = TornadoMath.max(max, x.get(xr + c));
        }
        max = Group.max(ctx, max);
        float sum = 0f;
        if (live) {
            for (int c = lid; c < cols; c += THREADS) sum += TornadoMath.exp(x.get(xr + c) - max);
        }
        float logZ = max + TornadoMath.log(Group.sum(ctx, sum));
        if (live) {
            for (int c = lid; c < cols; c += THREADS) y.set(yr + c, x.get(xr + c) - logZ);
        }
    }

    // ---- layer norm: row moments, then the element-wise normalisation ----

    /**
     * p = [rows, cols, xOff, centerOff, outOff]: out[r] = the mean of row r, or with
     * {@code second} = 1 the reciprocal standard deviation about center[r], 1/sqrt(var + eps).
     * (Two passes write mean and rstd: TornadoVM wants one written buffer per task, see
     * {@link KernelTasks}.)
     */
    public static void rowMoment(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray center,
                                 FloatArray out, float eps, int second) {
        int cols = dim(sizes, p, 1), r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, 0);
        int xr = p.get(2) + r * cols;
        float c = live && second != 0 ? center.get(p.get(3) + r) : 0f, sum = 0f;
        if (live) {
            for (int j = lid; j < cols; j += THREADS) {
                float d = x.get(xr + j) - c;
                sum += second != 0 ? d * d : d;
            }
        }
        float moment = Group.sum(ctx, sum) / cols;
        if (live && lid == 0) out.set(p.get(4) + r, second != 0 ? 1f / TornadoMath.sqrt(moment + eps) : moment);
    }

    /** p = [rows, cols, xOff, gammaOff, betaOff, meanOff, rstdOff, yOff]: y = (x - mean) * rstd * gamma + beta. */
    public static void layerNorm(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray gamma,
                                 FloatArray beta, FloatArray mean, FloatArray rstd, FloatArray y) {
        int i = ctx.globalIdx, cols = dim(sizes, p, 1);
        if (i < dim(sizes, p, 0) * cols) {
            int r = i / cols, c = i % cols;
            y.set(p.get(7) + i, (x.get(p.get(2) + i) - mean.get(p.get(5) + r)) * rstd.get(p.get(6) + r) * gamma.get(p.get(3) + c)
                    + beta.get(p.get(4) + c));
        }
    }

    /**
     * p = [rows, cols, xOff, gammaOff, meanOff, rstdOff, dyOff, dxOff]: dx += rstd * (g - mean(g)
     * - xhat * mean(g * xhat)) per row, g = dy * gamma. dGamma and dBeta are {@link #columnSums}.
     */
    public static void layerNormBackward(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray gamma,
                                         FloatArray mean, FloatArray rstd, FloatArray dy, FloatArray dx) {
        int cols = dim(sizes, p, 1), r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, 0);
        int xr = p.get(2) + r * cols, dyr = p.get(6) + r * cols, dxr = p.get(7) + r * cols, g0 = p.get(3);
        float mu = 0f, rs = 0f, gSum = 0f, gxSum = 0f;
        if (live) {
            mu = mean.get(p.get(4) + r);
            rs = rstd.get(p.get(5) + r);
            for (int c = lid; c < cols; c += THREADS) {
                float g = dy.get(dyr + c) * gamma.get(g0 + c);
                gSum += g;
                gxSum += g * (x.get(xr + c) - mu) * rs;
            }
        }
        float gMean = Group.sum(ctx, gSum) / cols, gxMean = Group.sum(ctx, gxSum) / cols;
        if (live) {
            for (int c = lid; c < cols; c += THREADS) {
                float g = dy.get(dyr + c) * gamma.get(g0 + c);
                float xhat = (x.get(xr + c) - mu) * rs;
                dx.set(dxr + c, dx.get(dxr + c) + rs * (g - gMean - xhat * gxMean));
            }
        }
    }

    /**
     * p = [rows, cols, dyOff, xOff, meanOff, rstdOff, outOff]: out[c] += the sum over rows of dy,
     * times xhat = (x - mean) * rstd when {@code weighted}: a bias or layer-norm beta gradient, or
     * a layer-norm gamma gradient (unweighted, x, mean and rstd are never read). Work-groups are
     * COLUMNS x LANES: each lane sums every LANES-th row of its column, then the lanes are added
     * in local memory.
     */
    public static void columnSums(KernelContext ctx, IntArray sizes, IntArray p, FloatArray dy, FloatArray x,
                                  FloatArray mean, FloatArray rstd, FloatArray out, int weighted) {
        int rows = dim(sizes, p, 0), cols = dim(sizes, p, 1);
        int c = ctx.globalIdx, lx = ctx.localIdx, lane = ctx.localIdy;
        float[] lanes = ctx.allocateFloatLocalArray(COLUMNS * LANES);
        float sum = 0f;
        if (c < cols) {
            for (int r = lane; r < rows; r += LANES) {
                float d = dy.get(p.get(2) + r * cols + c);
                sum += weighted != 0 ? d * (x.get(p.get(3) + r * cols + c) - mean.get(p.get(4) + r)) * rstd.get(p.get(5) + r) : d;
            }
        }
        int slot = lane * COLUMNS + lx;
        lanes[slot] = sum;
        for (int s = LANES / 2; s > 0; s >>= 1) {
            ctx.localBarrier();
            if (lane < s) lanes[slot] += lanes[slot + s * COLUMNS];
        }
        if (lane == 0 && c < cols) out.set(p.get(6) + c, out.get(p.get(6) + c) + lanes[slot]);
    }
}
