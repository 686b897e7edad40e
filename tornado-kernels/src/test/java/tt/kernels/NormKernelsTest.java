package tt.kernels;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static tt.kernels.Harness.*;

/**
 * Masked attention softmax, layer norm and log-softmax against float64 references; each
 * reference backward is first checked against central differences of its reference forward.
 */
class NormKernelsTest {
    private final Random rnd = new Random(23);

    // ---- attention softmax, scores [batch, heads, queries, keys] ----

    /** Key j is visible to query q of sentence b when it is before the sentence's length and, if causal, not after q. */
    static boolean visible(int j, int q, int keyLength, boolean causal) {
        return j < keyLength && (!causal || j <= q);
    }

    static double[] softmax(int batch, int heads, int queries, int keys, double scale, boolean causal, int[] keyLengths, double[] scores) {
        double[] p = new double[batch * heads * queries * keys];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int q = 0; q < queries; q++) {
                    int row = ((b * heads + h) * queries + q) * keys;
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < keys; j++) if (visible(j, q, keyLengths[b], causal)) max = Math.max(max, scale * scores[row + j]);
                    for (int j = 0; j < keys; j++) if (visible(j, q, keyLengths[b], causal)) sum += Math.exp(scale * scores[row + j] - max);
                    for (int j = 0; j < keys; j++) {
                        p[row + j] = visible(j, q, keyLengths[b], causal) ? Math.exp(scale * scores[row + j] - max) / sum : 0;
                    }
                }
        return p;
    }

    /** dScores = scale * p * (dp - sum over keys of p * dp), per row. */
    static double[] softmaxBackward(int keys, double scale, double[] p, double[] dp) {
        double[] ds = new double[p.length];
        for (int row = 0; row < p.length; row += keys) {
            double dot = 0;
            for (int j = 0; j < keys; j++) dot += p[row + j] * dp[row + j];
            for (int j = 0; j < keys; j++) ds[row + j] = scale * p[row + j] * (dp[row + j] - dot);
        }
        return ds;
    }

    @Test
    void softmaxReferenceBackwardMatchesFiniteDifferences() {
        int[] lengths = {4, 2};
        for (boolean causal : new boolean[] {false, true}) {
            double[] s = nonzero(rnd, 2 * 3 * 4), dy = nonzero(rnd, s.length);
            double[] p = softmax(2, 1, 3, 4, 0.7, causal, lengths, s);
            assertGradient("softmax causal=" + causal, x -> softmax(2, 1, 3, 4, 0.7, causal, lengths, x), s, dy,
                    softmaxBackward(4, 0.7, p, dy));
        }
    }

    @Test
    void maskedSoftmaxAndBackward() {
        int[][] shapes = {{1, 1, 1, 1}, {2, 3, 7, 5}, {4, 2, 5, 33}, {2, 1, 3, 130}}; // batch, heads, queries, keys
        for (int[] s : shapes) {
            for (boolean causal : new boolean[] {false, true}) {
                StepGraph g = new StepGraph("attention");
                Dim batch = live(g, "batch", s[0]), queries = live(g, "queries", s[2]), keys = live(g, "keys", s[3]);
                int heads = s[1], nb = s[0], nq = s[2], nk = s[3], n = nb * heads * nq * nk;
                int max = batch.max() * heads * queries.max() * keys.max();
                // Full length, one past the keys (clamped), random, and an empty sentence (all masked, no NaN).
                int[] lengths = rnd.ints(batch.max(), 1, nk + 1).toArray();
                lengths[0] = nk;
                if (nb > 1) lengths[1] = nk + 2;
                if (nb > 3) lengths[3] = 0;
                float scale = 0.37f;
                IntBuf keyLengths = ints("keyLengths", lengths);
                FloatBuf scores = floats("scores", max, rnd), probs = floats("probs", max, rnd);
                FloatBuf dProbs = floats("dProbs", max, rnd), dScores = floats("dScores", max, rnd);
                double[] p = softmax(nb, heads, nq, nk, scale, causal, lengths, doubles(scores, n));
                double[] dScoresAfter = plus(doubles(dScores, n), softmaxBackward(nk, scale, p, doubles(dProbs, n)));
                float[] probsBefore = snapshot(probs), dScoresBefore = snapshot(dScores);
                g.add("softmax", new Kernel.Softmax(batch, heads, queries, keys, scale, causal, keyLengths, scores, probs))
                        .add("softmax backward", new Kernel.SoftmaxBackward(batch, heads, queries, keys, scale, probs, dProbs, dScores));
                run(g);
                String at = Arrays.toString(s) + " causal=" + causal;
                // exp and a sum of at most 130 terms in float32: 1e-6 relative per probability
                assertOutput("probs " + at, probsBefore, p, probs, 1e-6, 1e-9);
                for (int i = 0; i < n; i++) if (p[i] == 0) assertEquals(0f, probs.get(i), "masked prob " + i + " " + at);
                assertOutput("dScores " + at, dScoresBefore, dScoresAfter, dScores, 1e-6);
            }
        }
    }

    @Test
    void negativeKeyLengthHidesEveryKeyLikeZero() {
        Dim batch = Dim.fixed(2), queries = Dim.fixed(2), keys = Dim.fixed(3);
        FloatBuf scores = floats("scores", 12, rnd), probs = floats("probs", 12, rnd);
        float[] before = snapshot(probs);
        run(new StepGraph("attention").add("softmax",
                new Kernel.Softmax(batch, 1, queries, keys, 1f, false, ints("keyLengths", 3, -2), scores, probs)));
        double[] expected = softmax(2, 1, 2, 3, 1, false, new int[] {3, 0}, doubles(scores));
        assertOutput("probs with key length -2", before, expected, probs, 1e-6, 1e-9);
    }

    // ---- one query per row against cached keys and values (decoding) ----

    /**
     * {probs [rows, heads, capacity], context [rows, heads * headDim]} by the softmax reference above; caches
     * [rows, capacity, heads * headDim]; each key's scaled score gains log keySizes[r, j].
     */
    static double[][] cachedAttention(int rows, int heads, int headDim, int keys, int capacity, double scale, int[] keyLengths,
                                      double[] q, double[] kCache, double[] vCache, double[] keySizes) {
        double[] scores = new double[rows * heads * capacity];
        int[] visible = new int[rows];
        for (int r = 0; r < rows; r++) visible[r] = Math.min(keys, keyLengths[r]);
        for (int rh = 0; rh < rows * heads; rh++) {
            for (int j = 0; j < keys; j++) {
                for (int c = 0; c < headDim; c++) scores[rh * capacity + j] += q[rh * headDim + c] * kCache[((rh / heads * capacity + j) * heads + rh % heads) * headDim + c];
                scores[rh * capacity + j] += Math.log(keySizes[rh / heads * capacity + j]) / scale;
            }
        }
        double[] probs = softmax(rows, heads, 1, capacity, scale, false, visible, scores), context = new double[rows * heads * headDim];
        for (int rh = 0; rh < rows * heads; rh++) {
            for (int j = 0; j < capacity; j++) {
                for (int c = 0; c < headDim; c++) context[rh * headDim + c] += probs[rh * capacity + j] * vCache[((rh / heads * capacity + j) * heads + rh % heads) * headDim + c];
            }
        }
        return new double[][] {probs, context};
    }

    @Test
    void cachedAttentionIsTheSoftmaxOfTheVisibleKeysTimesTheValues() {
        int[][] shapes = {{1, 1, 1, 1, 1}, {3, 2, 8, 5, 7}, {5, 4, 13, 40, 40}, {4, 3, 16, 1, 9}};  // rows, heads, headDim, keys, capacity
        for (int[] s : shapes) {
            int rows = s[0], heads = s[1], headDim = s[2], keys = s[3], capacity = s[4];
            StepGraph g = new StepGraph("cached attention");
            Dim rowsDim = live(g, "rows", rows), keysDim = live(g, "keys", keys), capacityDim = live(g, "capacity", capacity);
            // Every key visible, one past the keys, fewer, and none (an all-masked row: zeros, no NaN).
            int[] lengths = rnd.ints(rows, 1, keys + 1).toArray();
            lengths[0] = keys;
            if (rows > 1) lengths[1] = keys + 2;
            if (rows > 3) lengths[3] = 0;
            int cache = rows * heads * capacity * headDim;
            FloatBuf q = floats("q", rows * heads * headDim, rnd), kCache = floats("k", cache, rnd), vCache = floats("v", cache, rnd);
            FloatBuf probs = floats("probs", rows * heads * capacity, rnd), context = floats("context", rows * heads * headDim, rnd);
            FloatBuf keySizes = FloatBuf.allocate("keySizes", rows * capacity);
            for (int i = 0; i < keySizes.length(); i++) keySizes.set(i, 1 + rnd.nextInt(4));  // merged keys of up to 4 tokens
            float scale = 0.41f;
            double[][] expected = cachedAttention(rows, heads, headDim, keys, capacity, scale, lengths, doubles(q), doubles(kCache), doubles(vCache),
                    doubles(keySizes));
            float[] probsBefore = snapshot(probs), contextBefore = snapshot(context);
            run(g.add("attend", new Kernel.CachedAttention(rowsDim, heads, headDim, keysDim, capacityDim, scale, ints("keyLengths", lengths),
                    q, kCache, vCache, keySizes, probs, context)));
            String at = Arrays.toString(s);
            // dot products of at most 16 terms, exp and sums of at most 40 in float32
            assertOutput("cached probs " + at, probsBefore, expected[0], probs, 1e-5, 1e-9);
            for (int i = 0; i < expected[0].length; i++) if (expected[0][i] == 0) assertEquals(0f, probs.get(i), "masked prob " + i + " " + at);
            assertOutput("cached context " + at, contextBefore, expected[1], context, 1e-5, 1e-6);
        }
    }

    /** log(size) / scale on every score of key j: the softmax after it (scale) then sees + log(size). */
    @Test
    void keySizeBiasAddsTheLogOfEachKeysSizeBeforeTheScale() {
        int batch = 3, heads = 2, queries = 4, keys = 5;
        float scale = 0.35f;
        StepGraph g = new StepGraph("key size bias");
        FloatBuf sizes = FloatBuf.allocate("sizes", batch * keys), scores = floats("scores", batch * heads * queries * keys, rnd);
        for (int i = 0; i < sizes.length(); i++) sizes.set(i, 1 + rnd.nextInt(5));
        double[] expected = doubles(scores);
        for (int i = 0; i < expected.length; i++) expected[i] += Math.log(sizes.get(i / (heads * queries * keys) * keys + i % keys)) / scale;
        float[] before = snapshot(scores);
        run(g.add("bias", new Kernel.KeySizeBias(live(g, "batch", batch), heads, live(g, "queries", queries), live(g, "keys", keys), scale,
                sizes, scores)));
        assertOutput("scores + log(size) / scale", before, expected, scores, 1e-6, 1e-7);
    }

    /** Dropped tokens vanish, merged ones average by size, sizes add up, empty slots are zeros of size 1; inputs beyond inLen are ignored. */
    @Test
    void combineTokensAveragesTheTokensSentToEachSlotBySize() {
        int batch = 2, inLen = 5, outLen = 3, width = 6;
        int[] dest = {0, 2, 0, -1, 1, 1, -1, 1, 0, -1};  // sentence 1: slot 2 gets nothing
        float[] size = {1, 2, 3, 1, 1, 1, 1, 4, 1, 1};
        StepGraph g = new StepGraph("combine");
        FloatBuf sizes = FloatBuf.allocate("sizes", batch * inLen), x = floats("x", batch * inLen * width, rnd);
        for (int i = 0; i < size.length; i++) sizes.set(i, size[i]);
        FloatBuf outSizes = floats("outSizes", batch * outLen, rnd), out = floats("out", batch * outLen * width, rnd);
        double[] expected = new double[batch * outLen * width], expectedSizes = new double[batch * outLen];
        for (int t = 0; t < batch * inLen; t++) {
            if (dest[t] < 0) continue;
            int slot = t / inLen * outLen + dest[t];
            expectedSizes[slot] += size[t];
            for (int c = 0; c < width; c++) expected[slot * width + c] += size[t] * x.get(t * width + c);
        }
        for (int slot = 0; slot < expectedSizes.length; slot++) {
            for (int c = 0; c < width; c++) expected[slot * width + c] /= Math.max(expectedSizes[slot], 1);
            if (expectedSizes[slot] == 0) expectedSizes[slot] = 1;
        }
        float[] outBefore = snapshot(out), sizesBefore = snapshot(outSizes);
        run(g.add("combine", new Kernel.CombineTokens(live(g, "batch", batch), live(g, "inLen", inLen), live(g, "outLen", outLen), width,
                ints("dest", dest), sizes, x, outSizes, out)));
        assertOutput("combined tokens", outBefore, expected, out, 1e-6, 1e-7);
        assertOutput("combined sizes", sizesBefore, expectedSizes, outSizes, 0, 0);
        // Sizes add up: what was kept (7 of sentence 0's 8; 6 of sentence 1's 8) and 1 for the empty slot.
        assertEquals(7, outSizes.get(0) + outSizes.get(1) + outSizes.get(2));
        assertEquals(6 + 1, outSizes.get(3) + outSizes.get(4) + outSizes.get(5));
    }

    // ---- layer norm ----

    /** {y, mean, rstd} of layer norm over each row. */
    static double[][] layerNorm(int rows, int cols, double eps, double[] x, double[] gamma, double[] beta) {
        double[] y = new double[rows * cols], mean = new double[rows], rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double mu = 0, var = 0;
            for (int c = 0; c < cols; c++) mu += x[r * cols + c] / cols;
            for (int c = 0; c < cols; c++) var += (x[r * cols + c] - mu) * (x[r * cols + c] - mu) / cols;
            mean[r] = mu;
            rstd[r] = 1 / Math.sqrt(var + eps);
            for (int c = 0; c < cols; c++) y[r * cols + c] = (x[r * cols + c] - mu) * rstd[r] * gamma[c] + beta[c];
        }
        return new double[][] {y, mean, rstd};
    }

    /** {dx, dGamma, dBeta} given dy. */
    static double[][] layerNormBackward(int rows, int cols, double eps, double[] x, double[] gamma, double[] dy) {
        double[][] fwd = layerNorm(rows, cols, eps, x, gamma, new double[cols]);
        double[] dx = new double[rows * cols], dGamma = new double[cols], dBeta = new double[cols];
        for (int r = 0; r < rows; r++) {
            double mu = fwd[1][r], rs = fwd[2][r], gMean = 0, gxMean = 0;
            for (int c = 0; c < cols; c++) {
                double g = dy[r * cols + c] * gamma[c], xhat = (x[r * cols + c] - mu) * rs;
                gMean += g / cols;
                gxMean += g * xhat / cols;
                dGamma[c] += dy[r * cols + c] * xhat;
                dBeta[c] += dy[r * cols + c];
            }
            for (int c = 0; c < cols; c++) {
                double xhat = (x[r * cols + c] - mu) * rs;
                dx[r * cols + c] = rs * (dy[r * cols + c] * gamma[c] - gMean - xhat * gxMean);
            }
        }
        return new double[][] {dx, dGamma, dBeta};
    }

    @Test
    void layerNormReferenceBackwardMatchesFiniteDifferences() {
        int rows = 3, cols = 5;
        double eps = 1e-5;
        double[] x = nonzero(rnd, rows * cols), gamma = nonzero(rnd, cols), beta = nonzero(rnd, cols), dy = nonzero(rnd, rows * cols);
        double[][] grads = layerNormBackward(rows, cols, eps, x, gamma, dy);
        assertGradient("layer norm dx", v -> layerNorm(rows, cols, eps, v, gamma, beta)[0], x, dy, grads[0]);
        assertGradient("layer norm dGamma", v -> layerNorm(rows, cols, eps, x, v, beta)[0], gamma, dy, grads[1]);
        assertGradient("layer norm dBeta", v -> layerNorm(rows, cols, eps, x, gamma, v)[0], beta, dy, grads[2]);
    }

    @Test
    void layerNormAndBackward() {
        float eps = 1e-5f;
        for (int[] shape : SHAPES) {
            Grid grid = Grid.of("layer norm", shape);
            int rows = grid.r(), cols = grid.c(), n = grid.n(), maxRows = grid.rows().max(), maxCols = grid.cols().max();
            FloatBuf x = floats("x", grid.maxN(), rnd), gamma = floats("gamma", maxCols, rnd), beta = floats("beta", maxCols, rnd);
            FloatBuf y = floats("y", grid.maxN(), rnd), mean = floats("mean", maxRows, rnd), rstd = floats("rstd", maxRows, rnd);
            FloatBuf dy = floats("dy", grid.maxN(), rnd), dx = floats("dx", grid.maxN(), rnd);
            FloatBuf dGamma = floats("dGamma", maxCols, rnd), dBeta = floats("dBeta", maxCols, rnd);
            double[] xs = doubles(x, n), gs = doubles(gamma, cols);
            double[][] fwd = layerNorm(rows, cols, eps, xs, gs, doubles(beta, cols));
            double[][] bwd = layerNormBackward(rows, cols, eps, xs, gs, doubles(dy, n));
            double[] dxAfter = plus(doubles(dx, n), bwd[0]), dGammaAfter = plus(doubles(dGamma, cols), bwd[1]);
            double[] dBetaAfter = plus(doubles(dBeta, cols), bwd[2]);
            float[] yBefore = snapshot(y), meanBefore = snapshot(mean), rstdBefore = snapshot(rstd);
            float[] dxBefore = snapshot(dx), dGammaBefore = snapshot(dGamma), dBetaBefore = snapshot(dBeta);
            grid.graph().add("norm", new Kernel.LayerNorm(grid.rows(), grid.cols(), eps, x, gamma, beta, y, mean, rstd))
                    .add("norm backward", new Kernel.LayerNormBackward(grid.rows(), grid.cols(), x, gamma, mean, rstd, dy, dx, dGamma, dBeta));
            run(grid.graph());
            // forward: 1e-5 of the largest magnitude (float32 sums over a row); backward: 1e-5 of the largest gradient
            assertOutput("y " + grid.at(), yBefore, fwd[0], y, 1e-5);
            assertOutput("mean " + grid.at(), meanBefore, fwd[1], mean, 1e-5);
            assertOutput("rstd " + grid.at(), rstdBefore, fwd[2], rstd, 1e-5);
            assertOutput("dx " + grid.at(), dxBefore, dxAfter, dx, 1e-5);
            assertOutput("dGamma " + grid.at(), dGammaBefore, dGammaAfter, dGamma, 1e-5);
            assertOutput("dBeta " + grid.at(), dBetaBefore, dBetaAfter, dBeta, 1e-5);
        }
    }

    // ---- log-softmax ----

    static double[] logSoftmax(int rows, int cols, double[] x) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
            for (int c = 0; c < cols; c++) sum += Math.exp(x[r * cols + c] - max);
            for (int c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] - max - Math.log(sum);
        }
        return y;
    }

    @Test
    void logSoftmax() {
        for (int[] shape : SHAPES) {
            Grid grid = Grid.of("log softmax", shape);
            FloatBuf x = floats("x", grid.maxN(), rnd), y = floats("y", grid.maxN(), rnd);
            double[] expected = logSoftmax(grid.r(), grid.c(), doubles(x, grid.n()));
            float[] before = snapshot(y);
            run(grid.graph().add("log probs", new Kernel.LogSoftmax(grid.rows(), grid.cols(), x, y)));
            // log of a float32 sum of at most 130 terms: 1e-6 absolute plus 1e-6 relative
            assertOutput("log softmax " + grid.at(), before, expected, y, 1e-6, 1e-6);
        }
    }
}
