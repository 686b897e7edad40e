package tt.kernels.jvm;

/** Row-wise normalisations: masked softmax, log-softmax and layer norm, each forward beside its backward. */
public final class NormKernels {
    private static final int GRAIN = 1 << 13;

    private NormKernels() {}

    private static int rowGrain(int cols) { return Math.max(1, GRAIN / Math.max(cols, 1)); }

    // ---- attention softmax over keys, scores [batch, heads, queries, keys] ----

    public static void softmax(Parallel par, int batch, int heads, int queries, int keys, float scale, boolean causal,
                               int[] keyLengths, int lenOff, float[] scores, int sOff, float[] probs, int pOff) {
        par.range(batch * heads * queries, rowGrain(keys), (s, e) -> {
            for (int r = s; r < e; r++) {
                int b = r / (heads * queries), q = r % queries;
                int valid = Math.clamp(keyLengths[lenOff + b], 0, keys);
                if (causal) valid = Math.min(valid, q + 1);
                int row = r * keys;
                if (valid > 0) {
                    float max = scale * Vec.max(scores, sOff + row, valid);
                    float sum = Vec.sumExp(scores, sOff + row, valid, scale, max);
                    Vec.expScaled(scores, sOff + row, probs, pOff + row, valid, scale, max, 1f / sum);
                }
                for (int j = valid; j < keys; j++) probs[pOff + row + j] = 0f;
            }
        });
    }

    /**
     * One query per row and head against cached keys and values: softmax of the visible scaled dot
     * products (the same max, exp and sum as {@link #softmax}), then the probability-weighted values.
     * A row's heads go together, key by key, so its cache is read front to back, once.
     */
    public static void cachedAttention(Parallel par, int rows, int heads, int headDim, int keys, int capacity, float scale,
                                       int[] keyLengths, int lenOff, float[] q, int qOff, float[] kc, int kOff, float[] vc, int vOff,
                                       float[] keySizes, int sOff, float[] probs, int pOff, float[] context, int cOff) {
        int width = heads * headDim;
        par.range(rows, Math.max(1, rowGrain(keys * width)), (s, e) -> {
            for (int r = s; r < e; r++) {
                // Key j of head h sits at (r * capacity + j) * width + h * headDim; its probability at (r * heads + h) * capacity + j.
                int key0 = r * capacity * width, probs0 = pOff + r * heads * capacity, out = cOff + r * width, qRow = qOff + r * width;
                int valid = Math.min(keys, Math.clamp(keyLengths[lenOff + r], 0, keys));
                for (int j = 0; j < valid; j++) {
                    // Proportional attention: + log(size) after scaling, so + log(size) / scale before it (0, and no log, for a single token).
                    float size = keySizes[sOff + r * capacity + j], bias = size == 1f ? 0f : (float) Math.log(size) / scale;
                    for (int h = 0; h < heads; h++) {
                        probs[probs0 + h * capacity + j] = Vec.dot(q, qRow + h * headDim, kc, kOff + key0 + j * width + h * headDim, headDim) + bias;
                    }
                }
                for (int h = 0, row = probs0; h < heads; h++, row += capacity) {
                    if (valid > 0) {
                        float max = scale * Vec.max(probs, row, valid);
                        float sum = Vec.sumExp(probs, row, valid, scale, max);
                        Vec.expScaled(probs, row, probs, row, valid, scale, max, 1f / sum);
                    }
                    java.util.Arrays.fill(probs, row + valid, row + capacity, 0f);
                }
                java.util.Arrays.fill(context, out, out + width, 0f);
                for (int j = 0; j < valid; j++) {
                    for (int h = 0; h < heads; h++) {
                        Vec.axpy(probs[probs0 + h * capacity + j], vc, vOff + key0 + j * width + h * headDim, context, out + h * headDim, headDim);
                    }
                }
            }
        });
    }

    /** Kernel.KeySizeBias: scores[b, h, i, j] += log(keySizes[b, j]) / scale. */
    public static void keySizeBias(Parallel par, int batch, int heads, int queries, int keys, float scale, float[] keySizes, int sOff,
                                   float[] scores, int off) {
        par.range(batch * heads, rowGrain(queries * keys), (s, e) -> {
            for (int bh = s; bh < e; bh++) {
                int sizes0 = sOff + bh / heads * keys;
                for (int i = 0; i < queries; i++) {
                    int row = off + (bh * queries + i) * keys;
                    for (int j = 0; j < keys; j++) scores[row + j] += (float) Math.log(keySizes[sizes0 + j]) / scale;
                }
            }
        });
    }

    /** Kernel.CombineTokens: each output slot the size-weighted mean of the tokens sent to it, and their summed size. */
    public static void combineTokens(Parallel par, int batch, int inLen, int outLen, int width, int[] dest, int dOff, float[] sizes, int sOff,
                                     float[] x, int xOff, float[] outSizes, int osOff, float[] out, int oOff) {
        par.range(batch, 1, (s, e) -> {
            for (int b = s; b < e; b++) {
                java.util.Arrays.fill(out, oOff + b * outLen * width, oOff + (b + 1) * outLen * width, 0f);
                java.util.Arrays.fill(outSizes, osOff + b * outLen, osOff + (b + 1) * outLen, 0f);
                for (int t = 0; t < inLen; t++) {
                    int j = dest[dOff + b * inLen + t];
                    if (j < 0) continue;
                    float size = sizes[sOff + b * inLen + t];
                    Vec.axpy(size, x, xOff + (b * inLen + t) * width, out, oOff + (b * outLen + j) * width, width);
                    outSizes[osOff + b * outLen + j] += size;
                }
                for (int j = 0; j < outLen; j++) {
                    float total = outSizes[osOff + b * outLen + j];
                    if (total == 0f) outSizes[osOff + b * outLen + j] = 1f;  // an empty slot: padding, a key of one token
                    else if (total != 1f) {
                        for (int c = 0, o = oOff + (b * outLen + j) * width; c < width; c++) out[o + c] /= total;
                    }
                }
            }
        });
    }

    public static void softmaxBackward(Parallel par, int rows, int keys, float scale, boolean accumulate,
                                       float[] probs, int pOff, float[] dProbs, int dpOff, float[] dScores, int dsOff) {
        par.range(rows, rowGrain(keys), (s, e) -> {
            for (int r = s; r < e; r++) {
                int row = r * keys;
                float dot = Vec.dot(probs, pOff + row, dProbs, dpOff + row, keys);
                // dScores += scale * p * (dp - dot)
                Vec.addProductOfShifted(probs, pOff + row, scale, dProbs, dpOff + row, -dot, dScores, dsOff + row, keys, accumulate);
            }
        });
    }

    // ---- log-softmax over rows (the output layer) ----

    public static void logSoftmax(Parallel par, int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        par.range(rows, rowGrain(cols), (s, e) -> {
            for (int r = s; r < e; r++) logSoftmaxRow(x, xOff + r * cols, y, yOff + r * cols, cols);
        });
    }

    /** What {@link #logSoftmaxRow} knows of the log-probabilities it wrote: their sum and their maximum. */
    record LogProbabilities(float sum, float max) {}

    /**
     * y = x - log(sum of exp(x)) over one row; y may be x. The sum of the y comes from the same pass
     * (as Vec.sum adds them), and their maximum from the x's (subtracting logZ keeps the order).
     */
    static LogProbabilities logSoftmaxRow(float[] x, int xOff, float[] y, int yOff, int cols) {
        float max = Vec.max(x, xOff, cols), logZ = max + (float) Math.log(Vec.sumExp(x, xOff, cols, 1f, max));
        return new LogProbabilities(Vec.addScalarAndSum(x, xOff, y, yOff, cols, -logZ), max - logZ);
    }

    // ---- layer norm ----

    public static void layerNorm(Parallel par, int rows, int cols, float eps, float[] x, int xOff, float[] gamma, int gOff,
                                 float[] beta, int bOff, float[] y, int yOff, float[] mean, int mOff, float[] rstd, int rOff) {
        par.range(rows, rowGrain(cols), (s, e) -> {
            for (int r = s; r < e; r++) {
                int row = xOff + r * cols;
                float mu = Vec.sum(x, row, cols) / cols;
                float rs = (float) (1.0 / Math.sqrt(Vec.sumSquaredDeviations(x, row, cols, mu) / cols + eps));
                Vec.normalize(x, row, cols, mu, rs, gamma, gOff, beta, bOff, y, yOff + r * cols);
                mean[mOff + r] = mu;
                rstd[rOff + r] = rs;
            }
        });
    }

    /**
     * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma, per row; dGamma and
     * dBeta are column sums, split by column so that the row order of the sums is fixed.
     */
    public static void layerNormBackward(Parallel par, int rows, int cols, boolean accumulate, float[] x, int xOff, float[] gamma, int gOff,
                                         float[] mean, int mOff, float[] rstd, int rOff, float[] dy, int dyOff,
                                         float[] dx, int dxOff, float[] dGamma, int dgOff, float[] dBeta, int dbOff) {
        par.range(rows, rowGrain(cols), (s, e) -> {
            for (int r = s; r < e; r++) {
                int row = r * cols;
                float mu = mean[mOff + r], rs = rstd[rOff + r];
                float gMean = Vec.dot(dy, dyOff + row, gamma, gOff, cols) / cols;
                float gxMean = Vec.sumProductsCentered(dy, dyOff + row, gamma, gOff, x, xOff + row, mu, cols) * rs / cols;
                Vec.layerNormInputGradient(dy, dyOff + row, gamma, gOff, x, xOff + row, mu, rs, gMean, gxMean, dx, dxOff + row, cols, accumulate);
            }
        });
        par.range(cols, 16, (s, e) -> {
            float[] dg = new float[e - s], db = new float[e - s];
            for (int r = 0; r < rows; r++) {
                int row = r * cols + s;
                Vec.accumulateScaledDeviations(dy, dyOff + row, x, xOff + row, mean[mOff + r], rstd[rOff + r], dg, db, e - s);
            }
            Vec.axpy(1f, dg, 0, dGamma, dgOff + s, e - s);
            Vec.axpy(1f, db, 0, dBeta, dbOff + s, e - s);
        });
    }
}
