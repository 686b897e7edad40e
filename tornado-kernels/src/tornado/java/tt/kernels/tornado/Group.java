package tt.kernels.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Device helpers shared by the kernels: reading a dimension from a task's parameters, and tree
 * reductions across one work-group of {@link #THREADS} work-items in local memory.
 *
 * <p>Every task gets the graph's live sizes and a small int array {@code p} of its own: offsets
 * into buffer roots, dimensions and integer settings. Passing them as arrays rather than scalars
 * keeps a new batch shape from recompiling anything, and keeps the generated source the same for
 * every call of a kernel (TornadoVM inlines scalar arguments as constants), so the OpenCL driver
 * compiles each kernel once and finds the rest in its cache.
 */
final class Group {
    /** Work-items of a row or reduction work-group; a power of two. */
    static final int THREADS = 128;

    private Group() {}

    /**
     * The dimension at {@code p[i]}: a live dimension is stored as its slot in {@code sizes}, a
     * fixed one as {@code -1 - value} (see {@link Params}).
     */
    static int dim(IntArray sizes, IntArray p, int i) {
        int code = p.get(i);
        return code >= 0 ? sizes.get(code) : -1 - code;
    }

    /** The sum of {@code v} over the work-group, returned to every work-item. */
    static float sum(KernelContext ctx, float[] scratch, float v) {
        int lid = ctx.localIdx;
        scratch[lid] = v;
        for (int s = THREADS / 2; s > 0; s >>= 1) {
            ctx.localBarrier();
            if (lid < s) scratch[lid] += scratch[lid + s];
        }
        ctx.localBarrier();
        float total = scratch[0];
        ctx.localBarrier();
        return total;
    }

    /** The maximum of {@code v} over the work-group, returned to every work-item. */
    static float max(KernelContext ctx, float[] scratch, float v) {
        int lid = ctx.localIdx;
        scratch[lid] = v;
        for (int s = THREADS / 2; s > 0; s >>= 1) {
            ctx.localBarrier();
            if (lid < s) scratch[lid] = TornadoMath.max(scratch[lid], scratch[lid + s]);
        }
        ctx.localBarrier();
        float best = scratch[0];
        ctx.localBarrier();
        return best;
    }

    /**
     * The index of the largest {@code v} over the work-group, the lowest index among equals (as a
     * sequential first-maximum scan finds it), returned to every work-item.
     */
    static int argmax(KernelContext ctx, float[] values, int[] indices, float v, int index) {
        int lid = ctx.localIdx;
        values[lid] = v;
        indices[lid] = index;
        for (int s = THREADS / 2; s > 0; s >>= 1) {
            ctx.localBarrier();
            if (lid < s) {
                float other = values[lid + s];
                int otherIndex = indices[lid + s];
                if (other > values[lid] || (other == values[lid] && otherIndex < indices[lid])) {
                    values[lid] = other;
                    indices[lid] = otherIndex;
                }
            }
        }
        ctx.localBarrier();
        int best = indices[0];
        ctx.localBarrier();
        return best;
    }
}
