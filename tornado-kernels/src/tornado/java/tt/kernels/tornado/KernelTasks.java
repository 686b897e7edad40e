package tt.kernels.tornado;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps each call of a step graph to TornadoVM tasks over the device arrays of its buffer roots,
 * as JvmBackend maps calls to its kernel methods. Every task takes the graph's live sizes and a
 * parameter array of its own (see {@link Group}); a few settings with few distinct values
 * (transposes, alpha, beta, dropout rate) stay scalars and are compiled in. Kernels are
 * KernelContext kernels throughout: how many work-items run follows the live sizes, through a
 * worker grid set before each run ({@link Launch}); a {@code @Parallel} loop would take it from a
 * bound fixed when TornadoVM compiles the task.
 *
 * <p>Views of one root are one device array, so a task often gets the same array several times.
 * TornadoVM 5.2 accepts that only when the array is written through its last occurrence (an
 * earlier written occurrence makes the task depend on itself, and its bytecode scheduler never
 * returns). So every kernel writes one buffer, passed last, and kernels with several outputs
 * (layer norm, its backward, Adam) run as one task per output.
 */
final class KernelTasks {
    /** One TornadoVM task: adds itself to a task graph under an id, and sizes its launch. */
    record Task(Launch launch, Adder adder) {}

    @FunctionalInterface
    interface Adder {
        void add(TaskGraph graph, String id, KernelContext ctx);
    }

    /** The body of a task given its parameter array. */
    @FunctionalInterface
    private interface Body {
        void add(TaskGraph graph, String id, KernelContext ctx, IntArray p);
    }

    /** A call as tasks, with the device arrays only they use (parameters, scratch); they share a task graph. */
    record BoundCall(StepGraph.Call call, List<Task> tasks, List<Object> privates) {}

    private final DeviceBuffers buffers;
    private final IntArray sizes;
    private List<Object> privates;

    KernelTasks(DeviceBuffers buffers, IntArray sizes) {
        this.buffers = buffers;
        this.sizes = sizes;
    }

    BoundCall bind(StepGraph.Call call) {
        privates = new ArrayList<>();
        List<Task> tasks = tasks(call.kernel());
        return new BoundCall(call, tasks, List.copyOf(privates));
    }

    private List<Task> tasks(Kernel kernel) {
        return switch (kernel) {
            case Kernel.Fill k -> one(Launch.elements(length(k.x())), params(length(k.x()), k.x().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::fill, ctx, sizes, p, f(k.x()), k.value()));
            case Kernel.Gemm k -> one(Launch.blocks(k.batch(), k.m(), k.n()),
                    params(k.batch(), k.m(), k.n(), k.k(), k.a().offset(), k.b().offset(), k.c().offset()),
                    (g, id, ctx, p) -> g.task(id, GemmKernels::gemm, ctx, sizes, p, f(k.a()), f(k.b()), f(k.c()),
                            flag(k.transA()), flag(k.transB()), k.alpha(), k.beta()));
            case Kernel.BiasAdd k -> one(Launch.elements(k.rows(), k.cols()), params(k.rows(), k.cols(), k.bias().offset(), k.x().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::biasAdd, ctx, sizes, p, f(k.bias()), f(k.x())));
            case Kernel.BiasBackward k -> one(columnSums(k.rows(), k.cols(), k.dy(), k.dy(), k.dy(), k.dy(), k.dBias(), false));
            case Kernel.EmbeddingForward k -> one(Launch.elements(k.tokens(), k.dim()),
                    params(k.tokens(), k.dim(), k.ids().offset(), k.table().offset(), k.out().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::embeddingForward, ctx, sizes, p, i(k.ids()), f(k.table()),
                            f(k.out()), k.scale()));
            case Kernel.EmbeddingBackward k -> one(Launch.elements(k.dim()),
                    params(k.tokens(), k.dim(), k.ids().offset(), k.dOut().offset(), k.dTable().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::embeddingBackward, ctx, sizes, p, i(k.ids()), f(k.dOut()),
                            f(k.dTable()), k.scale()));
            case Kernel.PositionalAdd k -> one(Launch.elements(k.rows(), k.dim()),
                    params(k.rows(), k.seqLen(), k.dim(), k.table().offset(), k.x().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::positionalAdd, ctx, sizes, p, f(k.table()), f(k.x())));
            case Kernel.Add k -> one(Launch.elements(k.rows(), k.cols()),
                    params(k.rows(), k.cols(), k.a().offset(), k.b().offset(), k.out().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::add, ctx, sizes, p, f(k.a()), f(k.b()), f(k.out())));
            case Kernel.Axpy k -> one(Launch.elements(k.rows(), k.cols()), params(k.rows(), k.cols(), k.x().offset(), k.y().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::axpy, ctx, sizes, p, f(k.x()), f(k.y()), k.alpha()));
            case Kernel.Relu k -> one(Launch.elements(k.rows(), k.cols()), params(k.rows(), k.cols(), k.x().offset(), k.y().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::relu, ctx, sizes, p, f(k.x()), f(k.y())));
            case Kernel.ReluBackward k -> one(Launch.elements(k.rows(), k.cols()),
                    params(k.rows(), k.cols(), k.y().offset(), k.dy().offset(), k.dx().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::reluBackward, ctx, sizes, p, f(k.y()), f(k.dy()), f(k.dx())));
            case Kernel.Dropout k -> dropout(k.rows(), k.cols(), k.p(), k.seed(), k.step(), k.site(), k.x(), k.y(), false);
            case Kernel.DropoutBackward k -> dropout(k.rows(), k.cols(), k.p(), k.seed(), k.step(), k.site(), k.dy(), k.dx(), true);
            case Kernel.HeadTranspose k -> one(Launch.elements(k.heads() * k.headDim(), k.batch(), k.seq()),
                    params(k.batch(), k.seq(), k.heads(), k.headDim(), k.in().offset(), k.out().offset()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::headTranspose, ctx, sizes, p, f(k.in()), f(k.out()),
                            flag(k.toHeads()), flag(k.accumulate())));
            case Kernel.Softmax k -> one(Launch.rows(k.heads(), k.batch(), k.queries()),
                    params(k.batch(), k.queries(), k.keys(), k.heads(), k.keyLengths().offset(), k.scores().offset(), k.probs().offset()),
                    (g, id, ctx, p) -> g.task(id, NormKernels::softmax, ctx, sizes, p, i(k.keyLengths()), f(k.scores()), f(k.probs()),
                            k.scale(), flag(k.causal())));
            case Kernel.SoftmaxBackward k -> one(Launch.rows(k.heads(), k.batch(), k.queries()),
                    params(k.batch(), k.queries(), k.keys(), k.heads(), k.probs().offset(), k.dProbs().offset(), k.dScores().offset()),
                    (g, id, ctx, p) -> g.task(id, NormKernels::softmaxBackward, ctx, sizes, p, f(k.probs()), f(k.dProbs()),
                            f(k.dScores()), k.scale()));
            case Kernel.LayerNorm k -> List.of(
                    rowMoment(k.rows(), k.cols(), k.x(), k.mean(), k.mean(), k.eps(), false),
                    rowMoment(k.rows(), k.cols(), k.x(), k.mean(), k.rstd(), k.eps(), true),
                    task(Launch.elements(k.rows(), k.cols()),
                            params(k.rows(), k.cols(), k.x().offset(), k.gamma().offset(), k.beta().offset(), k.mean().offset(),
                                    k.rstd().offset(), k.y().offset()),
                            (g, id, ctx, p) -> g.task(id, NormKernels::layerNorm, ctx, sizes, p, f(k.x()), f(k.gamma()), f(k.beta()),
                                    f(k.mean()), f(k.rstd()), f(k.y()))));
            case Kernel.LayerNormBackward k -> List.of(
                    task(Launch.rows(1, k.rows()),
                            params(k.rows(), k.cols(), k.x().offset(), k.gamma().offset(), k.mean().offset(), k.rstd().offset(),
                                    k.dy().offset(), k.dx().offset()),
                            (g, id, ctx, p) -> g.task(id, NormKernels::layerNormBackward, ctx, sizes, p, f(k.x()), f(k.gamma()),
                                    f(k.mean()), f(k.rstd()), f(k.dy()), f(k.dx()))),
                    columnSums(k.rows(), k.cols(), k.dy(), k.x(), k.mean(), k.rstd(), k.dGamma(), true),
                    columnSums(k.rows(), k.cols(), k.dy(), k.x(), k.mean(), k.rstd(), k.dBeta(), false));
            case Kernel.LogSoftmax k -> one(Launch.rows(1, k.rows()), params(k.rows(), k.cols(), k.x().offset(), k.y().offset()),
                    (g, id, ctx, p) -> g.task(id, NormKernels::logSoftmax, ctx, sizes, p, f(k.x()), f(k.y())));
            case Kernel.SmoothedLoss k -> {
                FloatArray correct = scratch(k.rows().max()), nll = scratch(k.rows().max());
                yield List.of(
                        task(Launch.rows(1, k.rows()),
                                params(k.rows(), k.vocab(), k.padId(), k.targets().offset(), k.logProbs().offset(), k.rowLoss().offset()),
                                (g, id, ctx, p) -> g.task(id, LossKernels::smoothedLossRows, ctx, sizes, p, i(k.targets()),
                                        f(k.logProbs()), k.epsilon(), flag(k.klDivergence()), f(k.rowLoss()), correct, nll)),
                        task(Launch.groups(1),
                                params(k.rows(), k.padId(), k.targets().offset(), k.rowLoss().offset(), k.stats().offset(), k.vocab(), k.sentences()),
                                (g, id, ctx, p) -> g.task(id, LossKernels::smoothedLossStats, ctx, sizes, p, i(k.targets()),
                                        f(k.rowLoss()), correct, nll, k.reduction().code(), f(k.stats()))));
            }
            case Kernel.SmoothedLossBackward k -> one(Launch.elements(k.rows(), k.vocab()),
                    params(k.rows(), k.vocab(), k.sentences(), k.padId(), k.targets().offset(), k.logProbs().offset(),
                            k.stats().offset(), k.dLogits().offset()),
                    (g, id, ctx, p) -> g.task(id, LossKernels::smoothedLossBackward, ctx, sizes, p, i(k.targets()), f(k.logProbs()),
                            f(k.stats()), f(k.dLogits()), k.epsilon(), k.reduction().code()));
            case Kernel.GlobalNorm k -> {
                FloatArray partials = scratch(OptimizerKernels.NORM_GROUPS);
                yield List.of(
                        task(Launch.groups(OptimizerKernels.NORM_GROUPS), params(length(k.x()), k.x().offset()),
                                (g, id, ctx, p) -> g.task(id, OptimizerKernels::sumOfSquares, ctx, sizes, p, f(k.x()), partials)),
                        task(Launch.groups(1), params(k.out().offset()),
                                (g, id, ctx, p) -> g.task(id, OptimizerKernels::normOfPartials, ctx, p, partials, f(k.out()))));
            }
            case Kernel.Adam k -> List.of(
                    adamMoment(k, k.m(), k.beta1(), false),
                    adamMoment(k, k.v(), k.beta2(), true),
                    task(Launch.elements(length(k.params())),
                            params(length(k.params()), k.hyper().offset(), k.m().offset(), k.v().offset(), k.params().offset()),
                            (g, id, ctx, p) -> g.task(id, OptimizerKernels::adamStep, ctx, sizes, p, f(k.hyper()), f(k.m()), f(k.v()),
                                    f(k.params()), k.eps(), k.weightDecay())));
        };
    }

    /** out[r] = the mean of row r of x, or with {@code second} 1/sqrt(var + eps) about center[r]. */
    private Task rowMoment(Dim rows, Dim cols, FloatBuf x, FloatBuf center, FloatBuf out, float eps, boolean second) {
        return task(Launch.rows(1, rows), params(rows, cols, x.offset(), center.offset(), out.offset()),
                (g, id, ctx, p) -> g.task(id, NormKernels::rowMoment, ctx, sizes, p, f(x), f(center), f(out), eps, flag(second)));
    }

    /** out[c] += the column sums of dy, weighted by the normalized x when {@code weighted}. */
    private Task columnSums(Dim rows, Dim cols, FloatBuf dy, FloatBuf x, FloatBuf mean, FloatBuf rstd, FloatBuf out, boolean weighted) {
        return task(Launch.columns(cols), params(rows, cols, dy.offset(), x.offset(), mean.offset(), rstd.offset(), out.offset()),
                (g, id, ctx, p) -> g.task(id, NormKernels::columnSums, ctx, sizes, p, f(dy), f(x), f(mean), f(rstd), f(out),
                        flag(weighted)));
    }

    private Task adamMoment(Kernel.Adam k, FloatBuf moment, float beta, boolean squared) {
        return task(Launch.elements(length(k.params())),
                params(length(k.params()), k.grads().offset(), k.hyper().offset(), k.gradNorm().offset(), moment.offset()),
                (g, id, ctx, p) -> g.task(id, OptimizerKernels::adamMoment, ctx, sizes, p, f(k.grads()), f(k.hyper()),
                        f(k.gradNorm()), f(moment), beta, k.maxNorm(), flag(squared)));
    }

    /** Forward overwrites, backward accumulates: one kernel, as on the JVM. */
    private List<Task> dropout(Dim rows, Dim cols, float rate, int seed, Dim step, int site, FloatBuf in, FloatBuf out,
                               boolean accumulate) {
        return one(Launch.elements(rows, cols), params(rows, cols, step, seed, site, in.offset(), out.offset()),
                (g, id, ctx, p) -> g.task(id, ElementwiseKernels::dropout, ctx, sizes, p, f(in), f(out), rate, flag(accumulate)));
    }

    private List<Task> one(Launch launch, IntArray p, Body body) { return one(task(launch, p, body)); }

    private static List<Task> one(Task task) { return List.of(task); }

    private static Task task(Launch launch, IntArray p, Body body) {
        return new Task(launch, (g, id, ctx) -> body.add(g, id, ctx, p));
    }

    /**
     * A task's parameter array: a {@link Dim} is stored as its slot in the live sizes, or as
     * {@code -1 - value} when fixed (what {@link Group#dim} reads); an Integer as itself.
     */
    private IntArray params(Object... values) {
        IntArray p = new IntArray(values.length);
        for (int j = 0; j < values.length; j++) {
            p.set(j, switch (values[j]) {
                case Dim d -> d.isLive() ? d.slot() : -1 - d.max();
                case Integer v -> v;
                default -> throw new IllegalArgumentException("task parameter " + values[j]);
            });
        }
        privates.add(p);
        return p;
    }

    private FloatArray scratch(int length) {
        FloatArray a = new FloatArray(Math.max(1, length));
        privates.add(a);
        return a;
    }

    private FloatArray f(FloatBuf b) { return buffers.floats(b); }

    private IntArray i(IntBuf b) { return buffers.ints(b); }

    private static Dim length(FloatBuf b) { return Dim.fixed(b.length()); }

    /** TornadoVM kernels take no boolean parameters. */
    private static int flag(boolean b) { return b ? 1 : 0; }
}
