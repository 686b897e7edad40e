package tt.kernels.tornado;

import tt.kernels.DropoutMask;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import static tt.kernels.tornado.Group.dim;

/**
 * Element-wise and gather/scatter kernels, forward beside backward, one work-item per output
 * element. Each reads {@code p} by the slots of the interface above it (see {@link Params}).
 */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    interface FillParams { int N = 0, X = 1; }

    /** x[:n] = value. */
    public static void fill(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, float value) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, FillParams.N)) x.set(p.get(FillParams.X) + i, value);
    }

    // ---- bias: forward x += bias per row; backward is NormKernels.columnSums ----

    interface BiasAddParams { int ROWS = 0, COLS = 1, BIAS = 2, X = 3; }

    public static void biasAdd(KernelContext ctx, IntArray sizes, IntArray p, FloatArray bias, FloatArray x) {
        int i = ctx.globalIdx, cols = dim(sizes, p, BiasAddParams.COLS);
        if (i < dim(sizes, p, BiasAddParams.ROWS) * cols) {
            x.set(p.get(BiasAddParams.X) + i, x.get(p.get(BiasAddParams.X) + i) + bias.get(p.get(BiasAddParams.BIAS) + i % cols));
        }
    }

    // ---- embedding: forward gathers rows, backward scatter-adds them ----

    interface EmbeddingForwardParams { int TOKENS = 0, DIM = 1, IDS = 2, TABLE = 3, OUT = 4; }

    /** out[t, :] = scale * table[ids[t], :]. */
    public static void embeddingForward(KernelContext ctx, IntArray sizes, IntArray p, IntArray ids, FloatArray table,
                                        FloatArray out, float scale) {
        int i = ctx.globalIdx, width = dim(sizes, p, EmbeddingForwardParams.DIM);
        if (i < dim(sizes, p, EmbeddingForwardParams.TOKENS) * width) {
            int id = ids.get(p.get(EmbeddingForwardParams.IDS) + i / width);
            out.set(p.get(EmbeddingForwardParams.OUT) + i,
                    scale * table.get(p.get(EmbeddingForwardParams.TABLE) + id * width + i % width));
        }
    }

    interface EmbeddingBackwardParams { int TOKENS = 0, DIM = 1, IDS = 2, D_OUT = 3, D_TABLE = 4; }

    /**
     * dTable[ids[t], :] += scale * dOut[t, :]: one work-item per column adds the tokens in order,
     * so repeated ids never race and the sums match the JVM backend's order.
     */
    public static void embeddingBackward(KernelContext ctx, IntArray sizes, IntArray p, IntArray ids, FloatArray dOut,
                                         FloatArray dTable, float scale) {
        int c = ctx.globalIdx, tokens = dim(sizes, p, EmbeddingBackwardParams.TOKENS);
        int width = dim(sizes, p, EmbeddingBackwardParams.DIM);
        if (c < width) {
            for (int t = 0; t < tokens; t++) {
                int dst = p.get(EmbeddingBackwardParams.D_TABLE) + ids.get(p.get(EmbeddingBackwardParams.IDS) + t) * width + c;
                dTable.set(dst, dTable.get(dst) + scale * dOut.get(p.get(EmbeddingBackwardParams.D_OUT) + t * width + c));
            }
        }
    }

    interface PositionalAddParams { int ROWS = 0, SEQ_LEN = 1, FIRST = 2, DIM = 3, TABLE = 4, X = 5; }

    /** x[r, :] += table[first + r mod seqLen, :]. */
    public static void positionalAdd(KernelContext ctx, IntArray sizes, IntArray p, FloatArray table, FloatArray x) {
        int i = ctx.globalIdx, width = dim(sizes, p, PositionalAddParams.DIM);
        if (i < dim(sizes, p, PositionalAddParams.ROWS) * width) {
            int position = dim(sizes, p, PositionalAddParams.FIRST) + (i / width) % dim(sizes, p, PositionalAddParams.SEQ_LEN);
            x.set(p.get(PositionalAddParams.X) + i, x.get(p.get(PositionalAddParams.X) + i)
                    + table.get(p.get(PositionalAddParams.TABLE) + position * width + i % width));
        }
    }

    // ---- residual: out = a + b forward, y += alpha x backward ----

    interface AddParams { int ROWS = 0, COLS = 1, A = 2, B = 3, OUT = 4; }

    public static void add(KernelContext ctx, IntArray sizes, IntArray p, FloatArray a, FloatArray b, FloatArray out) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, AddParams.ROWS) * dim(sizes, p, AddParams.COLS)) {
            out.set(p.get(AddParams.OUT) + i, a.get(p.get(AddParams.A) + i) + b.get(p.get(AddParams.B) + i));
        }
    }

    interface AxpyParams { int ROWS = 0, COLS = 1, X = 2, Y = 3; }

    public static void axpy(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray y, float alpha, int accumulate) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, AxpyParams.ROWS) * dim(sizes, p, AxpyParams.COLS)) {
            float base = accumulate != 0 ? y.get(p.get(AxpyParams.Y) + i) : 0f;
            y.set(p.get(AxpyParams.Y) + i, base + alpha * x.get(p.get(AxpyParams.X) + i));
        }
    }

    // ---- ReLU ----

    interface ReluParams { int ROWS = 0, COLS = 1, X = 2, Y = 3; }

    public static void relu(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray y) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, ReluParams.ROWS) * dim(sizes, p, ReluParams.COLS)) {
            y.set(p.get(ReluParams.Y) + i, TornadoMath.max(x.get(p.get(ReluParams.X) + i), 0f));
        }
    }

    interface ReluBackwardParams { int ROWS = 0, COLS = 1, Y = 2, DY = 3, DX = 4; }

    /** dx += dy where the forward output y > 0; without accumulate dx = that, and 0 elsewhere. */
    public static void reluBackward(KernelContext ctx, IntArray sizes, IntArray p, FloatArray y, FloatArray dy, FloatArray dx,
                                    int accumulate) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, ReluBackwardParams.ROWS) * dim(sizes, p, ReluBackwardParams.COLS)) {
            int o = p.get(ReluBackwardParams.DX) + i;
            float base = accumulate != 0 ? dx.get(o) : 0f;
            dx.set(o, y.get(p.get(ReluBackwardParams.Y) + i) > 0f ? base + dy.get(p.get(ReluBackwardParams.DY) + i) : base);
        }
    }

    // ---- dropout: one kernel serves both directions; backward accumulates ----

    interface DropoutParams { int ROWS = 0, COLS = 1, STEP = 2, SEED = 3, SITE = 4, IN = 5, OUT = 6; }

    /** out (+)= in * mask factor, the mask drawn by {@link DropoutMask} exactly as on the JVM. */
    public static void dropout(KernelContext ctx, IntArray sizes, IntArray p, FloatArray in, FloatArray out,
                               float probability, int accumulate) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, DropoutParams.ROWS) * dim(sizes, p, DropoutParams.COLS)) {
            float v = in.get(p.get(DropoutParams.IN) + i) * DropoutMask.factor(p.get(DropoutParams.SEED),
                    dim(sizes, p, DropoutParams.STEP), p.get(DropoutParams.SITE), i, probability);
            int o = p.get(DropoutParams.OUT) + i;
            out.set(o, accumulate != 0 ? out.get(o) + v : v);
        }
    }

    // ---- heads: [batch, seq, heads*headDim] <-> [batch, heads, seq, headDim] ----

    /** HEADS and HEAD_DIM are fixed ints, not dims. */
    interface HeadTransposeParams { int BATCH = 0, SEQ = 1, HEADS = 2, HEAD_DIM = 3, IN = 4, OUT = 5; }

    /** One work-item per element in token order. */
    public static void headTranspose(KernelContext ctx, IntArray sizes, IntArray p, FloatArray in, FloatArray out,
                                     int toHeads, int accumulate) {
        int i = ctx.globalIdx, seq = dim(sizes, p, HeadTransposeParams.SEQ);
        int heads = p.get(HeadTransposeParams.HEADS), headDim = p.get(HeadTransposeParams.HEAD_DIM), width = heads * headDim;
        if (i < dim(sizes, p, HeadTransposeParams.BATCH) * seq * width) {
            int row = i / width, h = (i % width) / headDim, d = i % headDim;
            int headIndex = (((row / seq) * heads + h) * seq + row % seq) * headDim + d;
            int src = p.get(HeadTransposeParams.IN) + (toHeads != 0 ? i : headIndex);
            int dst = p.get(HeadTransposeParams.OUT) + (toHeads != 0 ? headIndex : i);
            float v = in.get(src);
            out.set(dst, accumulate != 0 ? out.get(dst) + v : v);
        }
    }

    // ---- decoding one token at a time: keys and values kept, beams reordered ----

    /** WIDTH is a fixed int, not a dim. */
    interface CacheWriteParams { int ROWS = 0, WIDTH = 1, POSITION = 2, CAPACITY = 3, X = 4, CACHE = 5; }

    /** cache[r, position, :] = x[r, :], one work-item per element of x. */
    public static void cacheWrite(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray cache) {
        int i = ctx.globalIdx, width = p.get(CacheWriteParams.WIDTH);
        if (i < dim(sizes, p, CacheWriteParams.ROWS) * width) {
            int at = (i / width * dim(sizes, p, CacheWriteParams.CAPACITY) + dim(sizes, p, CacheWriteParams.POSITION)) * width + i % width;
            cache.set(p.get(CacheWriteParams.CACHE) + at, x.get(p.get(CacheWriteParams.X) + i));
        }
    }

    interface GatherRowsParams { int ROWS = 0, LENGTH = 1, FROM_STRIDE = 2, TO_STRIDE = 3, INDEX = 4, FROM = 5, TO = 6; }

    /**
     * to[r, :length] = from[index[r], :length] when {@code gather}, else from[r, :length], rows of
     * each a stride apart: GatherRows runs it twice, into scratch and back, so that no row is
     * overwritten before it is read.
     */
    public static void gatherRows(KernelContext ctx, IntArray sizes, IntArray p, IntArray index, FloatArray from, FloatArray to,
                                  int gather) {
        int i = ctx.globalIdx, length = dim(sizes, p, GatherRowsParams.LENGTH);
        if (i < dim(sizes, p, GatherRowsParams.ROWS) * length) {
            int r = i / length, source = gather != 0 ? index.get(p.get(GatherRowsParams.INDEX) + r) : r;
            to.set(p.get(GatherRowsParams.TO) + r * dim(sizes, p, GatherRowsParams.TO_STRIDE) + i % length,
                    from.get(p.get(GatherRowsParams.FROM) + source * dim(sizes, p, GatherRowsParams.FROM_STRIDE) + i % length));
        }
    }
}
