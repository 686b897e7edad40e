package tt.kernels.jvm;

import tt.kernels.DropoutMask;
import tt.kernels.Ids;

/**
 * Element-wise and gather/scatter kernels, each forward beside its backward. Arrays are root
 * arrays indexed from the given offsets; every output index is written by one thread only.
 */
public final class ElementwiseKernels {
    private static final int GRAIN = 1 << 14;

    private ElementwiseKernels() {}

    public static void fill(Parallel par, float[] x, int xOff, int n, float value) {
        par.range(n, GRAIN, (s, e) -> java.util.Arrays.fill(x, xOff + s, xOff + e, value));
    }

    // ---- bias: forward x += bias per row, backward dBias += column sums of dy ----

    public static void biasAdd(Parallel par, int rows, int cols, float[] bias, int bOff, float[] x, int xOff) {
        par.range(rows, Math.max(1, GRAIN / Math.max(cols, 1)), (s, e) -> {
            for (int r = s; r < e; r++) {
                Vec.axpy(1f, bias, bOff, x, xOff + r * cols, cols);  // fma(1, b, x) rounds as x + b does
            }
        });
    }

    /** Columns are split across threads; each column sums its rows in order, so no thread count changes it. */
    public static void biasBackward(Parallel par, int rows, int cols, float[] dy, int dyOff, float[] dBias, int dbOff) {
        par.range(cols, 16, (s, e) -> Vec.addColumnSums(dy, dyOff + s, cols, rows, e - s, dBias, dbOff + s));
    }

    // ---- embedding: forward gathers rows, backward scatter-adds them ----

    public static void embeddingForward(Parallel par, int tokens, int dim, float scale, int[] ids, int idOff,
                                        float[] table, int tOff, int tableRows, float[] out, int oOff) {
        Ids.check(Ids.Kind.TOKENS, ids, idOff, tokens, tableRows, Ids.NO_PAD);
        par.range(tokens, Math.max(1, GRAIN / Math.max(dim, 1)), (s, e) -> {
            for (int t = s; t < e; t++) {
                int src = tOff + ids[idOff + t] * dim, dst = oOff + t * dim;
                for (int c = 0; c < dim; c++) out[dst + c] = scale * table[src + c];
            }
        });
    }

    /**
     * Split over embedding columns: each column adds its tokens in order, deterministic for any
     * thread count. Ids are checked before any write, so a bad id leaves the table as it was.
     */
    public static void embeddingBackward(Parallel par, int tokens, int dim, float scale, int[] ids, int idOff,
                                         float[] dOut, int dOff, float[] dTable, int tOff, int tableRows) {
        Ids.check(Ids.Kind.TOKENS, ids, idOff, tokens, tableRows, Ids.NO_PAD);
        par.range(dim, 16, (s, e) -> {
            for (int t = 0; t < tokens; t++) {
                int src = dOff + t * dim, dst = tOff + ids[idOff + t] * dim;
                for (int c = s; c < e; c++) dTable[dst + c] += scale * dOut[src + c];
            }
        });
    }

    public static void positionalAdd(Parallel par, int rows, int seqLen, int first, int dim, float[] table, int tOff, float[] x, int xOff) {
        par.range(rows, Math.max(1, GRAIN / Math.max(dim, 1)), (s, e) -> {
            for (int r = s; r < e; r++) {
                int src = tOff + (first + r % seqLen) * dim, dst = xOff + r * dim;
                for (int c = 0; c < dim; c++) x[dst + c] += table[src + c];
            }
        });
    }

    // ---- residual: out = a + b forward, y += alpha x backward ----

    public static void add(Parallel par, int n, float[] a, int aOff, float[] b, int bOff, float[] out, int oOff) {
        par.range(n, GRAIN, (s, e) -> {
            for (int i = s; i < e; i++) out[oOff + i] = a[aOff + i] + b[bOff + i];
        });
    }

    public static void axpy(Parallel par, int n, float alpha, boolean accumulate, float[] x, int xOff, float[] y, int yOff) {
        par.range(n, GRAIN, (s, e) -> {
            if (accumulate) for (int i = s; i < e; i++) y[yOff + i] += alpha * x[xOff + i];
            else for (int i = s; i < e; i++) y[yOff + i] = alpha * x[xOff + i];
        });
    }

    // ---- ReLU ----

    public static void relu(Parallel par, int n, float[] x, int xOff, float[] y, int yOff) {
        par.range(n, GRAIN, (s, e) -> {
            for (int i = s; i < e; i++) y[yOff + i] = Math.max(x[xOff + i], 0f);
        });
    }

    public static void reluBackward(Parallel par, int n, boolean accumulate, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
        par.range(n, GRAIN, (s, e) -> Vec.reluBackward(y, yOff, dy, dyOff, dx, dxOff, s, e, accumulate));
    }

    // ---- dropout: one loop serves both directions; backward accumulates ----

    /**
     * out[i] (+)= in[i] * mask factor; forward overwrites, backward accumulates. At rate 0 (every
     * inference pass) the factor is 1 and no mask is drawn.
     */
    public static void dropout(Parallel par, int n, float p, int seed, int step, int site,
                               float[] in, int inOff, float[] out, int outOff, boolean accumulate) {
        if (p == 0f) {
            if (accumulate) add(par, n, in, inOff, out, outOff, out, outOff);
            else par.range(n, GRAIN, (s, e) -> System.arraycopy(in, inOff + s, out, outOff + s, e - s));
            return;
        }
        int key = DropoutMask.siteKey(seed, step, site);
        par.range(n, GRAIN, (s, e) -> Vec.dropout(in, inOff, out, outOff, s, e, key, p, accumulate));
    }

    // ---- heads: [batch, seq, heads*headDim] <-> [batch, heads, seq, headDim] ----

    public static void headTranspose(Parallel par, int batch, int seq, int heads, int headDim, boolean toHeads,
                                     boolean accumulate, float[] in, int inOff, float[] out, int outOff) {
        int width = heads * headDim;
        par.range(batch * seq, Math.max(1, GRAIN / Math.max(width, 1)), (s, e) -> {
            for (int row = s; row < e; row++) {
                int b = row / seq, t = row % seq;
                for (int h = 0; h < heads; h++) {
                    int tokenIdx = row * width + h * headDim;
                    int headIdx = ((b * heads + h) * seq + t) * headDim;
                    int src = inOff + (toHeads ? tokenIdx : headIdx), dst = outOff + (toHeads ? headIdx : tokenIdx);
                    if (accumulate) Vec.axpy(1f, in, src, out, dst, headDim);
                    else System.arraycopy(in, src, out, dst, headDim);
                }
            }
        });
    }

    // ---- decoding one token at a time: keys and values kept, beams reordered ----

    public static void cacheWrite(Parallel par, int rows, int width, int position, int capacity,
                                  float[] x, int xOff, float[] cache, int cOff) {
        copyRows(par, rows, width, null, 0, x, xOff, width, cache, cOff + position * width, capacity * width);
    }

    /** The first length floats of row r of data become those of row index[r]: all rows into scratch first, so the index may repeat. */
    public static void gatherRows(Parallel par, int rows, int length, int stride, int[] index, int iOff, float[] scratch, int sOff,
                                  float[] data, int dOff) {
        copyRows(par, rows, length, index, iOff, data, dOff, stride, scratch, sOff, length);
        copyRows(par, rows, length, null, 0, scratch, sOff, length, data, dOff, stride);
    }

    /** to[r, :length] = from[index[r] (or r without an index), :length], rows of each their stride apart. */
    private static void copyRows(Parallel par, int rows, int length, int[] index, int iOff, float[] from, int fOff, int fromStride,
                                 float[] to, int tOff, int toStride) {
        par.range(rows, Math.max(1, GRAIN / Math.max(length, 1)), (s, e) -> {
            for (int r = s; r < e; r++) {
                System.arraycopy(from, fOff + (index != null ? index[iOff + r] : r) * fromStride, to, tOff + r * toStride, length);
            }
        });
    }
}
