package tt.kernels.tornado;

import tt.kernels.Dim;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.WorkerGrid3D;

import java.util.function.Function;

/**
 * How many work-items a task launches, computed from the live sizes before every execution, and
 * in which work-groups. Changing a task's worker grid between executions recompiles nothing.
 */
final class Launch {
    /** Work-group size of element-wise kernels. */
    private static final int ELEMENT_GROUP = 256;

    private final long[] local;
    private final Function<int[], long[]> global;

    /** {@code local} has one entry per grid dimension; {@code global} gives as many. */
    private Launch(long[] local, Function<int[], long[]> global) {
        this.local = local;
        this.global = global;
    }

    /** One work-item per element of factor * product(dims). */
    static Launch elements(int factor, Dim... dims) {
        return new Launch(new long[] {ELEMENT_GROUP}, s -> new long[] {roundUp(factor * product(s, dims), ELEMENT_GROUP)});
    }

    static Launch elements(Dim... dims) { return elements(1, dims); }

    /** One work-group of {@link Group#THREADS} per row, for factor * product(dims) rows. */
    static Launch rows(int factor, Dim... dims) {
        return new Launch(new long[] {Group.THREADS}, s -> new long[] {Math.max(1, factor * product(s, dims)) * Group.THREADS});
    }

    /** A fixed number of work-groups of {@link Group#THREADS}. */
    static Launch groups(int groups) {
        return new Launch(new long[] {Group.THREADS}, s -> new long[] {(long) groups * Group.THREADS});
    }

    /** {@link NormKernels#columnSums}: COLUMNS columns x LANES lanes per work-group. */
    static Launch columns(Dim cols) {
        return new Launch(new long[] {NormKernels.COLUMNS, NormKernels.LANES},
                s -> new long[] {roundUp(cols.value(s), NormKernels.COLUMNS), NormKernels.LANES});
    }

    /** {@link GemmKernels#gemm}: SIDE x SIDE work-items per BLOCK x BLOCK block of (n, m), one layer per matrix of the batch. */
    static Launch blocks(Dim batch, Dim m, Dim n) {
        int side = GemmKernels.SIDE, block = GemmKernels.BLOCK;
        return new Launch(new long[] {side, side, 1}, s -> new long[] {roundUp(n.value(s), block) / block * side,
                roundUp(m.value(s), block) / block * side, Math.max(1, batch.value(s))});
    }

    WorkerGrid newWorker(int[] sizes) {
        WorkerGrid w = switch (local.length) {
            case 1 -> new WorkerGrid1D(1);
            case 2 -> new WorkerGrid2D(1, 1);
            default -> new WorkerGrid3D(1, 1, 1);
        };
        resize(w, sizes);
        w.setLocalWork(local[0], local.length > 1 ? local[1] : 1, local.length > 2 ? local[2] : 1);
        return w;
    }

    /** Sets the worker's global size for these live sizes. */
    void resize(WorkerGrid w, int[] sizes) {
        long[] g = global.apply(sizes);
        w.setGlobalWork(g[0], g.length > 1 ? g[1] : 1, g.length > 2 ? g[2] : 1);
    }

    private static long product(int[] sizes, Dim[] dims) {
        long p = 1;
        for (Dim d : dims) p *= d.value(sizes);
        return p;
    }

    private static long roundUp(long n, int group) {
        return Math.max(group, (n + group - 1) / group * group);
    }
}
