package tt.kernels.tornado;

import tt.kernels.DropoutMask;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import static tt.kernels.tornado.Group.dim;

/**
 * Element-wise and gather/scatter kernels, forward beside backward, one work-item per output
 * element. {@code p} lists each kernel's dimensions and offsets in the order of its comment.
 */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    /** p = [n, xOff]: x[:n] = value. */
    public static void fill(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, float value) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, 0)) x.set(p.get(1) + i, value);
    }

    // ---- bias: forward x += bias per row; backward is NormKernels.columnSums ----

    /** p = [rows, cols, biasOff, xOff]. */
    public static void biasAdd(KernelContext ctx, IntArray sizes, IntArray p, FloatArray bias, FloatArray x) {
        int i = ctx.globalIdx, cols = dim(sizes, p, 1);
        if (i < dim(sizes, p, 0) * cols) x.set(p.get(3) + i, x.get(p.get(3) + i) + bias.get(p.get(2) + i % cols));
    }

    // ---- embedding: forward gathers rows, backward scatter-adds them ----

    /** p = [tokens, dim, idsOff, tableOff, outOff]: out[t, :] = scale * table[ids[t], :]. */
    public static void embeddingForward(KernelContext ctx, IntArray sizes, IntArray p, IntArray ids, FloatArray table,
                                        FloatArray out, float scale) {
        int i = ctx.globalIdx, width = dim(sizes, p, 1);
        if (i < dim(sizes, p, 0) * width) {
            int id = ids.get(p.get(2) + i / width);
            out.set(p.get(4) + i, scale * table.get(p.get(3) + id * width + i % width));
        }
    }

    /**
     * p = [tokens, dim, idsOff, dOutOff, tableOff]: one work-item per column adds the tokens in
     * order, so repeated ids never race and the sums match the JVM backend's order.
     */
    public static void embeddingBackward(KernelContext ctx, IntArray sizes, IntArray p, IntArray ids, FloatArray dOut,
                                         FloatArray dTable, float scale) {
        int c = ctx.globalIdx, tokens = dim(sizes, p, 0), width = dim(sizes, p, 1);
        if (c < width) {
            for (int t = 0; t < tokens; t++) {
                int dst = p.get(4) + ids.get(p.get(2) + t) * width + c;
                dTable.set(dst, dTable.get(dst) + scale * dOut.get(p.get(3) + t * width + c));
            }
        }
    }

    /** p = [rows, seqLen, dim, tableOff, xOff]: x[r, :] += table[r mod seqLen, :]. */
    public static void positionalAdd(KernelContext ctx, IntArray sizes, IntArray p, FloatArray table, FloatArray x) {
        int i = ctx.globalIdx, width = dim(sizes, p, 2);
        if (i < dim(sizes, p, 0) * width) {
            int position = (i / width) % dim(sizes, p, 1);
            x.set(p.get(4) + i, x.get(p.get(4) + i) + table.get(p.get(3) + position * width + i % width));
        }
    }

    // ---- residual: out = a + b forward, y += alpha x backward ----

    /** p = [rows, cols, aOff, bOff, outOff]. */
    public static void add(KernelContext ctx, IntArray sizes, IntArray p, FloatArray a, FloatArray b, FloatArray out) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, 0) * dim(sizes, p, 1)) out.set(p.get(4) + i, a.get(p.get(2) + i) + b.get(p.get(3) + i));
    }

    /** p = [rows, cols, xOff, yOff]. */
    public static void axpy(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray y, float alpha) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, 0) * dim(sizes, p, 1)) y.set(p.get(3) + i, y.get(p.get(3) + i) + alpha * x.get(p.get(2) + i));
    }

    // ---- ReLU ----

    /** p = [rows, cols, xOff, yOff]. */
    public static void relu(KernelContext ctx, IntArray sizes, IntArray p, FloatArray x, FloatArray y) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, 0) * dim(sizes, p, 1)) y.set(p.get(3) + i, TornadoMath.max(x.get(p.get(2) + i), 0f));
    }

    /** p = [rows, cols, yOff, dyOff, dxOff]: dx += dy where the forward output y > 0. */
    public static void reluBackward(KernelContext ctx, IntArray sizes, IntArray p, FloatArray y, FloatArray dy, FloatArray dx) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, 0) * dim(sizes, p, 1) && y.get(p.get(2) + i) > 0f) {
            dx.set(p.get(4) + i, dx.get(p.get(4) + i) + dy.get(p.get(3) + i));
        }
    }

    // ---- dropout: one kernel serves both directions; backward accumulates ----

    /**
     * p = [rows, cols, step, seed, site, inOff, outOff]: out (+)= in * mask factor, the mask drawn
     * by {@link DropoutMask} exactly as on the JVM.
     */
    public static void dropout(KernelContext ctx, IntArray sizes, IntArray p, FloatArray in, FloatArray out,
                               float probability, int accumulate) {
        int i = ctx.globalIdx;
        if (i < dim(sizes, p, 0) * dim(sizes, p, 1)) {
            float v = in.get(p.get(5) + i) * DropoutMask.factor(p.get(3), dim(sizes, p, 2), p.get(4), i, probability);
            int o = p.get(6) + i;
            out.set(o, accumulate != 0 ? out.get(o) + v : v);
        }
    }

    // ---- heads: [batch, seq, heads*headDim] <-> [batch, heads, seq, headDim] ----

    /** p = [batch, seq, heads, headDim, inOff, outOff]; one work-item per element in token order. */
    public static void headTranspose(KernelContext ctx, IntArray sizes, IntArray p, FloatArray in, FloatArray out,
                                     int toHeads, int accumulate) {
        int i = ctx.globalIdx, seq = dim(sizes, p, 1), heads = p.get(2), headDim = p.get(3), width = heads * headDim;
        if (i < dim(sizes, p, 0) * seq * width) {
            int row = i / width, h = (i % width) / headDim, d = i % headDim;
            int headIndex = (((row / seq) * heads + h) * seq + row % seq) * headDim + d;
            int src = p.get(4) + (toHeads != 0 ? i : headIndex), dst = p.get(5) + (toHeads != 0 ? headIndex : i);
            float v = in.get(src);
            out.set(dst, accumulate != 0 ? out.get(dst) + v : v);
        }
    }
}
