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

    /** HEADS is a fixed int, not a dim. */
    interface SoftmaxParams { int BATCH = 0, QUERIES = 1, KEYS = 2, HEADS = 3, KEY_LENGTHS = 4, SCORES = 5, PROBS = 6; }

    /**
     * probs = softmax of scale * scores over the keys before keyLengths[b] (and, when causal, not
     * after the query).
     */
    public static void softmax(KernelContext ctx, IntArray sizes, IntArray p, IntArray keyLengths, FloatArray scores,
                               FloatArray probs, float scale, int causal) {
        int queries = dim(sizes, p, SoftmaxParams.QUERIES), keys = dim(sizes, p, SoftmaxParams.KEYS);
        int heads = p.get(SoftmaxParams.HEADS);
        int r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, SoftmaxParams.BATCH) * heads * queries;
        int valid = 0;
        if (live) {
            valid = TornadoMath.min(keys, keyLengths.get(p.get(SoftmaxParams.KEY_LENGTHS) + r / (heads * queries)));
            if (causal != 0) valid = TornadoMath.min(valid, r % queries + 1);
        }
        int s = p.get(SoftmaxParams.SCORES) + r * keys, o = p.get(SoftmaxParams.PROBS) + r * keys;
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

    /** HEADS and HEAD_DIM are fixed ints, not dims. */
    interface CachedScoresParams {
        int ROWS = 0, HEADS = 1, HEAD_DIM = 2, KEYS = 3, CAPACITY = 4, KEY_LENGTHS = 5, Q = 6, K_CACHE = 7, KEY_SIZES = 8, PROBS = 9;
    }

    /**
     * Kernel.CachedAttention's probabilities: one work-group per (row, head) and one query against
     * its cached keys. Each work-item writes the scaled scores of its keys into probs and reads back
     * only those, so the work-group shares nothing but the max and the sum.
     */
    public static void cachedScores(KernelContext ctx, IntArray sizes, IntArray p, IntArray keyLengths, FloatArray q,
                                    FloatArray kCache, FloatArray keySizes, FloatArray probs, float scale) {
        int heads = p.get(CachedScoresParams.HEADS), headDim = p.get(CachedScoresParams.HEAD_DIM);
        int keys = dim(sizes, p, CachedScoresParams.KEYS), capacity = dim(sizes, p, CachedScoresParams.CAPACITY);
        int rh = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = rh < dim(sizes, p, CachedScoresParams.ROWS) * heads;
        int valid = live ? TornadoMath.max(0, TornadoMath.min(keys, keyLengths.get(p.get(CachedScoresParams.KEY_LENGTHS) + rh / heads))) : 0;
        // Key j of this head sits at ((r * capacity + j) * heads + h) * headDim.
        int width = heads * headDim, qRow = p.get(CachedScoresParams.Q) + rh * headDim;
        int kBase = p.get(CachedScoresParams.K_CACHE) + rh / heads * capacity * width + rh % heads * headDim;
        int o = p.get(CachedScoresParams.PROBS) + rh * capacity, keySizes0 = p.get(CachedScoresParams.KEY_SIZES) + rh / heads * capacity;
        float max = -Float.MAX_VALUE;
        for (int j = lid; j < valid; j += THREADS) {
            float dot = 0f;
            for (int c = 0; c < headDim; c++) dot += q.get(qRow + c) * kCache.get(kBase + j * width + c);
            float score = scale * (dot + TornadoMath.log(keySizes.get(keySizes0 + j)) / scale);  // as the JVM backend: + log(size) / scale, then scaled
            probs.set(o + j, score);
            max = TornadoMath.max(max, score);
        }
        max = Group.max(ctx, max);
        float sum = 0f;
        for (int j = lid; j < valid; j += THREADS) sum += TornadoMath.exp(probs.get(o + j) - max);
        sum = Group.sum(ctx, sum);
        if (live) {
            for (int j = lid; j < capacity; j += THREADS) probs.set(o + j, j < valid ? TornadoMath.exp(probs.get(o + j) - max) / sum : 0f);
        }
    }

    /** HEADS is a fixed int, not a dim. */
    interface KeySizeBiasParams { int BATCH = 0, HEADS = 1, QUERIES = 2, KEYS = 3, KEY_SIZES = 4, SCORES = 5; }

    /** Kernel.KeySizeBias, one work-item per score: scores[b, h, i, j] += log(keySizes[b, j]) / scale. */
    public static void keySizeBias(KernelContext ctx, IntArray sizes, IntArray p, FloatArray keySizes, FloatArray scores, float scale) {
        int i = ctx.globalIdx, keys = dim(sizes, p, KeySizeBiasParams.KEYS);
        int perSentence = p.get(KeySizeBiasParams.HEADS) * dim(sizes, p, KeySizeBiasParams.QUERIES) * keys;
        if (i < dim(sizes, p, KeySizeBiasParams.BATCH) * perSentence) {
            int at = p.get(KeySizeBiasParams.SCORES) + i;
            scores.set(at, scores.get(at) + TornadoMath.log(keySizes.get(p.get(KeySizeBiasParams.KEY_SIZES) + i / perSentence * keys + i % keys)) / scale);
        }
    }

    /** WIDTH is a fixed int, not a dim. */
    interface CombineTokensParams { int BATCH = 0, IN_LEN = 1, OUT_LEN = 2, WIDTH = 3, DEST = 4, SIZES = 5, X = 6, OUT_SIZES = 7, OUT = 8; }

    /**
     * Kernel.CombineTokens' tokens, one work-item per output element (b, j, c): the tokens sent to
     * slot j in order, as the JVM backend adds them. Its sizes are {@link #combineTokenSizes}, a task
     * of their own: a TornadoVM task writes one array.
     */
    public static void combineTokens(KernelContext ctx, IntArray sizes, IntArray p, IntArray dest, FloatArray tokenSizes, FloatArray x,
                                     FloatArray out) {
        int i = ctx.globalIdx, width = p.get(CombineTokensParams.WIDTH), outLen = dim(sizes, p, CombineTokensParams.OUT_LEN);
        if (i < dim(sizes, p, CombineTokensParams.BATCH) * outLen * width) {
            int inLen = dim(sizes, p, CombineTokensParams.IN_LEN), slot = i / width, b = slot / outLen, j = slot % outLen, c = i % width;
            float sum = 0f, total = 0f;
            for (int t = 0; t < inLen; t++) {
                if (dest.get(p.get(CombineTokensParams.DEST) + b * inLen + t) == j) {
                    float size = tokenSizes.get(p.get(CombineTokensParams.SIZES) + b * inLen + t);
                    sum += size * x.get(p.get(CombineTokensParams.X) + (b * inLen + t) * width + c);
                    total += size;
                }
            }
            out.set(p.get(CombineTokensParams.OUT) + i, total == 0f ? 0f : total == 1f ? sum : sum / total);
        }
    }

    /** Kernel.CombineTokens' sizes, one work-item per slot: the summed size of the tokens sent to it, 1 for an empty slot. */
    public static void combineTokenSizes(KernelContext ctx, IntArray sizes, IntArray p, IntArray dest, FloatArray tokenSizes, FloatArray outSizes) {
        int slot = ctx.globalIdx, outLen = dim(sizes, p, CombineTokensParams.OUT_LEN);
        if (slot < dim(sizes, p, CombineTokensParams.BATCH) * outLen) {
            int inLen = dim(sizes, p, CombineTokensParams.IN_LEN), b = slot / outLen, j = slot % outLen;
            float total = 0f;
            for (int t = 0; t < inLen; t++) {
                if (dest.get(p.get(CombineTokensParams.DEST) + b * inLen + t) == j) total += tokenSizes.get(p.get(CombineTokensParams.SIZES) + b * inLen + t);
            }
            outSizes.set(p.get(CombineTokensParams.OUT_SIZES) + slot, total == 0f ? 1f : total);
        }
    }

    /** HEADS and HEAD_DIM are fixed ints, not dims. */
    interface CachedContextParams { int ROWS = 0, HEADS = 1, HEAD_DIM = 2, KEYS = 3, CAPACITY = 4, PROBS = 5, V_CACHE = 6, CONTEXT = 7; }

    /** Kernel.CachedAttention's context, one work-item per element: context[r, h, c] = sum over keys of probs v. */
    public static void cachedContext(KernelContext ctx, IntArray sizes, IntArray p, FloatArray probs, FloatArray vCache,
                                     FloatArray context) {
        int i = ctx.globalIdx, headDim = p.get(CachedContextParams.HEAD_DIM);
        if (i < dim(sizes, p, CachedContextParams.ROWS) * p.get(CachedContextParams.HEADS) * headDim) {
            int heads = p.get(CachedContextParams.HEADS), width = heads * headDim, rh = i / headDim;
            int capacity = dim(sizes, p, CachedContextParams.CAPACITY), keys = dim(sizes, p, CachedContextParams.KEYS);
            int pRow = p.get(CachedContextParams.PROBS) + rh * capacity;
            int vBase = p.get(CachedContextParams.V_CACHE) + rh / heads * capacity * width + i % width;
            float sum = 0f;
            for (int j = 0; j < keys; j++) sum += probs.get(pRow + j) * vCache.get(vBase + j * width);
            context.set(p.get(CachedContextParams.CONTEXT) + i, sum);
        }
    }

    interface SoftmaxBackwardParams { int BATCH = 0, QUERIES = 1, KEYS = 2, HEADS = 3, PROBS = 4, D_PROBS = 5, D_SCORES = 6; }

    /** dScores += scale * probs * (dProbs - probs . dProbs); without accumulate, =. */
    public static void softmaxBackward(KernelContext ctx, IntArray sizes, IntArray p, FloatArray probs, FloatArray dProbs,
                                       FloatArray dScores, float scale, int accumulate) {
        int keys = dim(sizes, p, SoftmaxBackwardParams.KEYS), r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, SoftmaxBackwardParams.BATCH) * p.get(SoftmaxBackwardParams.HEADS)
                * dim(sizes, p, SoftmaxBackwardParams.QUERIES);
        int pr = p.get(SoftmaxBackwardParams.PROBS) + r * keys, dp = p.get(SoftmaxBackwardParams.D_PROBS) + r * keys;
        int ds = p.get(SoftmaxBackwardParams.D_SCORES) + r * keys;
        float dot = 0f;
        if (live) {
            for (int j = lid; j < keys; j += THREADS) dot += probs.get(pr + j) * dProbs.get(dp + j);
        }
        dot = Group.sum(ctx, dot);
        if (live) {
            for (int j = lid; j < keys; j += THREADS) {
                dScores.set(ds + j, (accumulate != 0 ? dScores.get(ds + j) : 0f) + scale * probs.get(pr + j) * (dProbs.get(dp + j) - dot));
            }
        }
    }

    // ---- log-softmax over rows (the output layer) ----

    interface LogSoftmaxParams { int ROWS = 0, COLS = 1, X = 2, Y = 3; }

    public static void logSoftmax(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray y) {
        int cols = dim(sizes, p, LogSoftmaxParams.COLS), r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, LogSoftmaxParams.ROWS);
        int xr = p.get(LogSoftmaxParams.X) + r * cols, yr = p.get(LogSoftmaxParams.Y) + r * cols;
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

    interface RowMomentParams { int ROWS = 0, COLS = 1, X = 2, CENTER = 3, OUT = 4; }

    /**
     * out[r] = the mean of row r, or with {@code second} = 1 the reciprocal standard deviation
     * about center[r], 1/sqrt(var + eps). (Two passes write mean and rstd: TornadoVM wants one
     * written buffer per task, see {@link KernelTasks}.)
     */
    public static void rowMoment(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray center,
                                 FloatArray out, float eps, int second) {
        int cols = dim(sizes, p, RowMomentParams.COLS), r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, RowMomentParams.ROWS);
        int xr = p.get(RowMomentParams.X) + r * cols;
        float c = live && second != 0 ? center.get(p.get(RowMomentParams.CENTER) + r) : 0f, sum = 0f;
        if (live) {
            for (int j = lid; j < cols; j += THREADS) {
                float d = x.get(xr + j) - c;
                sum += second != 0 ? d * d : d;
            }
        }
        float moment = Group.sum(ctx, sum) / cols;
        if (live && lid == 0) out.set(p.get(RowMomentParams.OUT) + r, second != 0 ? 1f / TornadoMath.sqrt(moment + eps) : moment);
    }

    interface LayerNormParams { int ROWS = 0, COLS = 1, X = 2, GAMMA = 3, BETA = 4, MEAN = 5, RSTD = 6, Y = 7; }

    /** y = (x - mean) * rstd * gamma + beta. */
    public static void layerNorm(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray gamma,
                                 FloatArray beta, FloatArray mean, FloatArray rstd, FloatArray y) {
        int i = ctx.globalIdx, cols = dim(sizes, p, LayerNormParams.COLS);
        if (i < dim(sizes, p, LayerNormParams.ROWS) * cols) {
            int r = i / cols, c = i % cols;
            y.set(p.get(LayerNormParams.Y) + i, (x.get(p.get(LayerNormParams.X) + i) - mean.get(p.get(LayerNormParams.MEAN) + r))
                    * rstd.get(p.get(LayerNormParams.RSTD) + r) * gamma.get(p.get(LayerNormParams.GAMMA) + c)
                    + beta.get(p.get(LayerNormParams.BETA) + c));
        }
    }

    interface LayerNormBackwardParams { int ROWS = 0, COLS = 1, X = 2, GAMMA = 3, MEAN = 4, RSTD = 5, DY = 6, DX = 7; }

    /**
     * dx += rstd * (g - mean(g) - xhat * mean(g * xhat)) per row, g = dy * gamma (without
     * accumulate, =). dGamma and dBeta are {@link #columnSums}.
     */
    public static void layerNormBackward(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray gamma,
                                         FloatArray mean, FloatArray rstd, FloatArray dy, FloatArray dx, int accumulate) {
        int cols = dim(sizes, p, LayerNormBackwardParams.COLS), r = ctx.groupIdx, lid = ctx.localIdx;
        boolean live = r < dim(sizes, p, LayerNormBackwardParams.ROWS);
        int xr = p.get(LayerNormBackwardParams.X) + r * cols, dyr = p.get(LayerNormBackwardParams.DY) + r * cols;
        int dxr = p.get(LayerNormBackwardParams.DX) + r * cols, g0 = p.get(LayerNormBackwardParams.GAMMA);
        float mu = 0f, rs = 0f, gSum = 0f, gxSum = 0f;
        if (live) {
            mu = mean.get(p.get(LayerNormBackwardParams.MEAN) + r);
            rs = rstd.get(p.get(LayerNormBackwardParams.RSTD) + r);
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
                dx.set(dxr + c, (accumulate != 0 ? dx.get(dxr + c) : 0f) + rs * (g - gMean - xhat * gxMean));
            }
        }
    }

    interface ColumnSumsParams { int ROWS = 0, COLS = 1, DY = 2, X = 3, MEAN = 4, RSTD = 5, OUT = 6; }

    /**
     * out[c] += the sum over rows of dy, times xhat = (x - mean) * rstd when {@code weighted}: a
     * bias or layer-norm beta gradient, or a layer-norm gamma gradient (unweighted, x, mean and
     * rstd are never read). Work-groups are COLUMNS x LANES: each lane sums every LANES-th row of
     * its column, then the lanes are added in local memory.
     */
    public static void columnSums(KernelContext ctx, IntArray sizes, IntArray p, FloatArray dy, FloatArray x,
                                  FloatArray mean, FloatArray rstd, FloatArray out, int weighted) {
        int rows = dim(sizes, p, ColumnSumsParams.ROWS), cols = dim(sizes, p, ColumnSumsParams.COLS);
        int c = ctx.globalIdx, lx = ctx.localIdx, lane = ctx.localIdy;
        float[] lanes = ctx.allocateFloatLocalArray(COLUMNS * LANES);
        float sum = 0f;
        if (c < cols) {
            for (int r = lane; r < rows; r += LANES) {
                float d = dy.get(p.get(ColumnSumsParams.DY) + r * cols + c);
                sum += weighted != 0 ? d * (x.get(p.get(ColumnSumsParams.X) + r * cols + c)
                        - mean.get(p.get(ColumnSumsParams.MEAN) + r)) * rstd.get(p.get(ColumnSumsParams.RSTD) + r) : d;
            }
        }
        int slot = lane * COLUMNS + lx;
        lanes[slot] = sum;
        for (int s = LANES / 2; s > 0; s >>= 1) {
            ctx.localBarrier();
            if (lane < s) lanes[slot] += lanes[slot + s * COLUMNS];
        }
        if (lane == 0 && c < cols) out.set(p.get(ColumnSumsParams.OUT) + c, out.get(p.get(ColumnSumsParams.OUT) + c) + lanes[slot]);
    }
}
