package tt.kernels.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Device helpers shared by the kernels: reading a dimension from a task's parameters, and tree
 * reductions across one work-group of {@link #THREADS} work-items in local memory.
 *
 * <p>Every task gets the graph's live sizes and a small int array {@code p} of its own: offsets
 * into buffer roots, dimensions and integer settings, at the slots named by the interface of
 * constants beside its kernel (such as {@link GemmKernels.GemmParams}), by which names the host
 * fills it too ({@link Params}). Passing them as arrays rather than scalars keeps a new batch
 * shape from recompiling anything, and keeps the generated source the same for every call of a
 * kernel (TornadoVM inlines scalar arguments as constants), so the OpenCL driver compiles each
 * kernel once and finds the rest in its cache.
 */
final class Group {
    /** Work-items of a row or reduction work-group; a power of two. */
    static final int THREADS = 128;

    private Group() {}

    /**
     * The dimension at {@code p[i]}: a live dimension is stored as its slot in {@code sizes}, a
     * fixed one as {@code -1 - value} (encoded by {@link Params#dim}). Read it into a local before
     * a loop: as a loop's bound, TornadoVM 5.2 compiled it to wrong sums (KernelsTornadoTest).
     */
    static int dim(IntArray sizes, IntArray p, int i) {
        int code = p.get(i);
        return code >= 0 ? sizes.get(code) : -1 - code;
    }

    // The reductions allocate their local arrays themselves: TornadoVM 5.2 addresses a local array
    // passed into a helper method as a Java array (byte offset and header as the index), which
    // writes past it; allocated here, after inlining, it is indexed correctly.

    /** The sum of {@code v} over the work-group, returned to every work-item. */
    static float sum(KernelContext ctx, float v) {
        float[] scratch = ctx.allocateFloatLocalArray(THREADS);
        int lid = ctx.localIdx;
        scratch[lid] = v;
        for (int s = THREADS / 2; s > 0; s >>= 1) {
            ctx.localBarrier();
            if (lid < s) scratch[lid] += scratch[lid + s];
        }
        ctx.localBarrier();
        return scratch[0];
    }

    /** The maximum of {@code v} over the work-group, returned to every work-item. */
    static float max(KernelContext ctx, float v) {
        float[] scratch = ctx.allocateFloatLocalArray(THREADS);
        int lid = ctx.localIdx;
        scratch[lid] = v;
        for (int s = THREADS / 2; s > 0; s >>= 1) {
            ctx.localBarrier();
            if (lid < s) scratch[lid] = TornadoMath.max(scratch[lid], scratch[lid + s]);
        }
        ctx.localBarrier();
        return scratch[0];
    }

    /**
     * The index of the largest {@code v} over the work-group, the lowest index among equals (as a
     * sequential first-maximum scan finds it), returned to every work-item.
     */
    static int argmax(KernelContext ctx, float v, int index) {
        float[] values = ctx.allocateFloatLocalArray(THREADS);
        int[] indices = ctx.allocateIntLocalArray(THREADS);
        int lid = ctx.localIdx;
        values[lid] = v;
        indices[lid] = index;
        for (int s = THREADS / 2; s > 0; s >>= 1) {
            ctx.localBarrier();
            if (lid < s && (values[lid + s] > values[lid] || (values[lid + s] == values[lid] && indices[lid + s] < indices[lid]))) {
                values[lid] = values[lid + s];
                indices[lid] = indices[lid + s];
            }
        }
        ctx.localBarrier();
        return indices[0];
    }
}
