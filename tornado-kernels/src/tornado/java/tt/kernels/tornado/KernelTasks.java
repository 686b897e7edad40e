package tt.kernels.tornado;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;
import tt.kernels.tornado.ElementwiseKernels.*;
import tt.kernels.tornado.GemmKernels.*;
import tt.kernels.tornado.LossKernels.*;
import tt.kernels.tornado.NormKernels.*;
import tt.kernels.tornado.OptimizerKernels.*;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps each call of a step graph to TornadoVM tasks over the device arrays of its buffer roots,
 * as JvmBackend maps calls to its kernel methods. Every task takes the graph's live sizes and a
 * parameter array of its own, filled by the slot names its kernel reads ({@link Params}); a few
 * settings with few distinct values (transposes, alpha, beta, dropout rate) stay scalars and are
 * compiled in. Kernels are KernelContext kernels throughout: how many work-items run follows the
 * live sizes, through a worker grid set before each run ({@link Launch}); a {@code @Parallel} loop
 * would take it from a bound fixed when TornadoVM compiles the task.
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
    record BoundCall(StepGraph.Call call, List<Task> tasks, List<Object> privates) {
        /**
         * The TornadoVM id of task {@code t}, so that TornadoVM's own output (threadInfo, the
         * profiler, PTX kernel names) names the call: "c" + call index, "t" + task index when the
         * call has several tasks, then the label, e.g. "c12_encoder_layers_0_self_attn_scores" or
         * "c5t1_encoder_layers_0_norm1". The indices make it unique in the step graph (digits end
         * at 't', '_' or the end). The label keeps ASCII letters and digits, other runs become '_':
         * TornadoVM joins ids as "graph.task" and splits them at '.', and puts them into file names
         * (kernel source dumps), property keys ("graph.task.device") and PTX function names.
         */
        String taskId(int t) {
            String label = call.label().replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_|_$", "");
            return "c" + call.index() + (tasks.size() > 1 ? "t" + t : "") + (label.isEmpty() ? "" : "_" + label);
        }
    }

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
            case Kernel.Fill k -> one(Launch.elements(length(k.x())),
                    new Params(FillParams.class).dim(FillParams.N, length(k.x())).offset(FillParams.X, k.x()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::fill, ctx, sizes, p, f(k.x()), k.value()));
            case Kernel.Gemm k -> one(Launch.blocks(k.batch(), k.m(), k.n()),
                    new Params(GemmParams.class).dim(GemmParams.BATCH, k.batch())
                            .dim(GemmParams.M, k.m()).dim(GemmParams.N, k.n()).dim(GemmParams.K, k.k())
                            .offset(GemmParams.A, k.a()).offset(GemmParams.B, k.b()).offset(GemmParams.C, k.c()),
                    (g, id, ctx, p) -> g.task(id, GemmKernels::gemm, ctx, sizes, p, f(k.a()), f(k.b()), f(k.c()),
                            flag(k.transA()), flag(k.transB()), k.alpha(), k.beta()));
            case Kernel.BiasAdd k -> one(Launch.elements(k.rows(), k.cols()),
                    new Params(BiasAddParams.class).dim(BiasAddParams.ROWS, k.rows()).dim(BiasAddParams.COLS, k.cols())
                            .offset(BiasAddParams.BIAS, k.bias()).offset(BiasAddParams.X, k.x()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::biasAdd, ctx, sizes, p, f(k.bias()), f(k.x())));
            case Kernel.BiasBackward k -> one(columnSums(k.rows(), k.cols(), k.dy(), k.dy(), k.dy(), k.dy(), k.dBias(), false));
            case Kernel.EmbeddingForward k -> one(Launch.elements(k.tokens(), k.dim()),
                    new Params(EmbeddingForwardParams.class).dim(EmbeddingForwardParams.TOKENS, k.tokens())
                            .dim(EmbeddingForwardParams.DIM, k.dim()).offset(EmbeddingForwardParams.IDS, k.ids())
                            .offset(EmbeddingForwardParams.TABLE, k.table()).offset(EmbeddingForwardParams.OUT, k.out()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::embeddingForward, ctx, sizes, p, i(k.ids()), f(k.table()),
                            f(k.out()), k.scale()));
            case Kernel.EmbeddingBackward k -> one(Launch.elements(k.dim()),
                    new Params(EmbeddingBackwardParams.class).dim(EmbeddingBackwardParams.TOKENS, k.tokens())
                            .dim(EmbeddingBackwardParams.DIM, k.dim()).offset(EmbeddingBackwardParams.IDS, k.ids())
                            .offset(EmbeddingBackwardParams.D_OUT, k.dOut()).offset(EmbeddingBackwardParams.D_TABLE, k.dTable()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::embeddingBackward, ctx, sizes, p, i(k.ids()), f(k.dOut()),
                            f(k.dTable()), k.scale()));
            case Kernel.PositionalAdd k -> one(Launch.elements(k.rows(), k.dim()),
                    new Params(PositionalAddParams.class).dim(PositionalAddParams.ROWS, k.rows())
                            .dim(PositionalAddParams.SEQ_LEN, k.seqLen()).dim(PositionalAddParams.FIRST, k.first())
                            .dim(PositionalAddParams.DIM, k.dim())
                            .offset(PositionalAddParams.TABLE, k.table()).offset(PositionalAddParams.X, k.x()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::positionalAdd, ctx, sizes, p, f(k.table()), f(k.x())));
            case Kernel.CacheWrite k -> one(Launch.elements(k.width(), k.rows()),
                    new Params(CacheWriteParams.class).dim(CacheWriteParams.ROWS, k.rows()).set(CacheWriteParams.WIDTH, k.width())
                            .dim(CacheWriteParams.POSITION, k.position())
                            .dim(CacheWriteParams.CAPACITY, k.capacity()).offset(CacheWriteParams.X, k.x())
                            .offset(CacheWriteParams.CACHE, k.cache()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::cacheWrite, ctx, sizes, p, f(k.x()), f(k.cache())));
            case Kernel.CachedAttention k -> List.of(
                    task(Launch.rows(k.heads(), k.rows()),
                            new Params(CachedScoresParams.class).dim(CachedScoresParams.ROWS, k.rows())
                                    .set(CachedScoresParams.HEADS, k.heads()).set(CachedScoresParams.HEAD_DIM, k.headDim())
                                    .dim(CachedScoresParams.KEYS, k.keys()).dim(CachedScoresParams.CAPACITY, k.capacity())
                                    .offset(CachedScoresParams.KEY_LENGTHS, k.keyLengths()).offset(CachedScoresParams.Q, k.q())
                                    .offset(CachedScoresParams.K_CACHE, k.kCache()).offset(CachedScoresParams.KEY_SIZES, k.keySizes())
                                    .offset(CachedScoresParams.PROBS, k.probs()),
                            (g, id, ctx, p) -> g.task(id, NormKernels::cachedScores, ctx, sizes, p, i(k.keyLengths()), f(k.q()),
                                    f(k.kCache()), f(k.keySizes()), f(k.probs()), k.scale())),
                    task(Launch.elements(k.heads() * k.headDim(), k.rows()),
                            new Params(CachedContextParams.class).dim(CachedContextParams.ROWS, k.rows())
                                    .set(CachedContextParams.HEADS, k.heads()).set(CachedContextParams.HEAD_DIM, k.headDim())
                                    .dim(CachedContextParams.KEYS, k.keys()).dim(CachedContextParams.CAPACITY, k.capacity())
                                    .offset(CachedContextParams.PROBS, k.probs()).offset(CachedContextParams.V_CACHE, k.vCache())
                                    .offset(CachedContextParams.CONTEXT, k.context()),
                            (g, id, ctx, p) -> g.task(id, NormKernels::cachedContext, ctx, sizes, p, f(k.probs()), f(k.vCache()),
                                    f(k.context()))));
            case Kernel.KeySizeBias k -> one(Launch.elements(k.heads(), k.batch(), k.queries(), k.keys()),
                    new Params(KeySizeBiasParams.class).dim(KeySizeBiasParams.BATCH, k.batch()).set(KeySizeBiasParams.HEADS, k.heads())
                            .dim(KeySizeBiasParams.QUERIES, k.queries()).dim(KeySizeBiasParams.KEYS, k.keys())
                            .offset(KeySizeBiasParams.KEY_SIZES, k.keySizes()).offset(KeySizeBiasParams.SCORES, k.scores()),
                    (g, id, ctx, p) -> g.task(id, NormKernels::keySizeBias, ctx, sizes, p, f(k.keySizes()), f(k.scores()), k.scale()));
            case Kernel.CombineTokens k -> List.of(  // a task writes one array: the sizes, then the tokens
                    task(Launch.elements(k.batch(), k.outLen()), combineParams(k), (g, id, ctx, p) -> g.task(id, NormKernels::combineTokenSizes,
                            ctx, sizes, p, i(k.dest()), f(k.sizes()), f(k.outSizes()))),
                    task(Launch.elements(k.width(), k.batch(), k.outLen()), combineParams(k), (g, id, ctx, p) -> g.task(id,
                            NormKernels::combineTokens, ctx, sizes, p, i(k.dest()), f(k.sizes()), f(k.x()), f(k.out()))));
            case Kernel.GatherRows k -> List.of(
                    gatherRows(k, k.data(), k.stride(), k.scratch(), k.length(), true),
                    gatherRows(k, k.scratch(), k.length(), k.data(), k.stride(), false));
            case Kernel.Add k -> one(Launch.elements(k.rows(), k.cols()),
                    new Params(AddParams.class).dim(AddParams.ROWS, k.rows()).dim(AddParams.COLS, k.cols())
                            .offset(AddParams.A, k.a()).offset(AddParams.B, k.b()).offset(AddParams.OUT, k.out()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::add, ctx, sizes, p, f(k.a()), f(k.b()), f(k.out())));
            case Kernel.Axpy k -> one(Launch.elements(k.rows(), k.cols()),
                    new Params(AxpyParams.class).dim(AxpyParams.ROWS, k.rows()).dim(AxpyParams.COLS, k.cols())
                            .offset(AxpyParams.X, k.x()).offset(AxpyParams.Y, k.y()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::axpy, ctx, sizes, p, f(k.x()), f(k.y()), k.alpha(), flag(k.accumulate())));
            case Kernel.Relu k -> one(Launch.elements(k.rows(), k.cols()),
                    new Params(ReluParams.class).dim(ReluParams.ROWS, k.rows()).dim(ReluParams.COLS, k.cols())
                            .offset(ReluParams.X, k.x()).offset(ReluParams.Y, k.y()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::relu, ctx, sizes, p, f(k.x()), f(k.y())));
            case Kernel.ReluBackward k -> one(Launch.elements(k.rows(), k.cols()),
                    new Params(ReluBackwardParams.class).dim(ReluBackwardParams.ROWS, k.rows()).dim(ReluBackwardParams.COLS, k.cols())
                            .offset(ReluBackwardParams.Y, k.y()).offset(ReluBackwardParams.DY, k.dy())
                            .offset(ReluBackwardParams.DX, k.dx()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::reluBackward, ctx, sizes, p, f(k.y()), f(k.dy()), f(k.dx()),
                            flag(k.accumulate())));
            case Kernel.Dropout k -> dropout(k.rows(), k.cols(), k.p(), k.seed(), k.step(), k.site(), k.x(), k.y(), false);
            case Kernel.DropoutBackward k -> dropout(k.rows(), k.cols(), k.p(), k.seed(), k.step(), k.site(), k.dy(), k.dx(), true);
            case Kernel.HeadTranspose k -> one(Launch.elements(k.heads() * k.headDim(), k.batch(), k.seq()),
                    new Params(HeadTransposeParams.class).dim(HeadTransposeParams.BATCH, k.batch())
                            .dim(HeadTransposeParams.SEQ, k.seq()).set(HeadTransposeParams.HEADS, k.heads())
                            .set(HeadTransposeParams.HEAD_DIM, k.headDim())
                            .offset(HeadTransposeParams.IN, k.in()).offset(HeadTransposeParams.OUT, k.out()),
                    (g, id, ctx, p) -> g.task(id, ElementwiseKernels::headTranspose, ctx, sizes, p, f(k.in()), f(k.out()),
                            flag(k.toHeads()), flag(k.accumulate())));
            case Kernel.Softmax k -> one(Launch.rows(k.heads(), k.batch(), k.queries()),
                    new Params(SoftmaxParams.class).dim(SoftmaxParams.BATCH, k.batch()).dim(SoftmaxParams.QUERIES, k.queries())
                            .dim(SoftmaxParams.KEYS, k.keys()).set(SoftmaxParams.HEADS, k.heads())
                            .offset(SoftmaxParams.KEY_LENGTHS, k.keyLengths()).offset(SoftmaxParams.SCORES, k.scores())
                            .offset(SoftmaxParams.PROBS, k.probs()),
                    (g, id, ctx, p) -> g.task(id, NormKernels::softmax, ctx, sizes, p, i(k.keyLengths()), f(k.scores()), f(k.probs()),
                            k.scale(), flag(k.causal())));
            case Kernel.SoftmaxBackward k -> one(Launch.rows(k.heads(), k.batch(), k.queries()),
                    new Params(SoftmaxBackwardParams.class).dim(SoftmaxBackwardParams.BATCH, k.batch())
                            .dim(SoftmaxBackwardParams.QUERIES, k.queries()).dim(SoftmaxBackwardParams.KEYS, k.keys())
                            .set(SoftmaxBackwardParams.HEADS, k.heads()).offset(SoftmaxBackwardParams.PROBS, k.probs())
                            .offset(SoftmaxBackwardParams.D_PROBS, k.dProbs()).offset(SoftmaxBackwardParams.D_SCORES, k.dScores()),
                    (g, id, ctx, p) -> g.task(id, NormKernels::softmaxBackward, ctx, sizes, p, f(k.probs()), f(k.dProbs()),
                            f(k.dScores()), k.scale(), flag(k.accumulate())));
            case Kernel.LayerNorm k -> List.of(
                    rowMoment(k.rows(), k.cols(), k.x(), k.mean(), k.mean(), k.eps(), false),
                    rowMoment(k.rows(), k.cols(), k.x(), k.mean(), k.rstd(), k.eps(), true),
                    task(Launch.elements(k.rows(), k.cols()),
                            new Params(LayerNormParams.class).dim(LayerNormParams.ROWS, k.rows()).dim(LayerNormParams.COLS, k.cols())
                                    .offset(LayerNormParams.X, k.x()).offset(LayerNormParams.GAMMA, k.gamma())
                                    .offset(LayerNormParams.BETA, k.beta()).offset(LayerNormParams.MEAN, k.mean())
                                    .offset(LayerNormParams.RSTD, k.rstd()).offset(LayerNormParams.Y, k.y()),
                            (g, id, ctx, p) -> g.task(id, NormKernels::layerNorm, ctx, sizes, p, f(k.x()), f(k.gamma()), f(k.beta()),
                                    f(k.mean()), f(k.rstd()), f(k.y()))));
            case Kernel.LayerNormBackward k -> List.of(
                    task(Launch.rows(1, k.rows()),
                            new Params(LayerNormBackwardParams.class).dim(LayerNormBackwardParams.ROWS, k.rows())
                                    .dim(LayerNormBackwardParams.COLS, k.cols()).offset(LayerNormBackwardParams.X, k.x())
                                    .offset(LayerNormBackwardParams.GAMMA, k.gamma()).offset(LayerNormBackwardParams.MEAN, k.mean())
                                    .offset(LayerNormBackwardParams.RSTD, k.rstd()).offset(LayerNormBackwardParams.DY, k.dy())
                                    .offset(LayerNormBackwardParams.DX, k.dx()),
                            (g, id, ctx, p) -> g.task(id, NormKernels::layerNormBackward, ctx, sizes, p, f(k.x()), f(k.gamma()),
                                    f(k.mean()), f(k.rstd()), f(k.dy()), f(k.dx()), flag(k.accumulate()))),
                    columnSums(k.rows(), k.cols(), k.dy(), k.x(), k.mean(), k.rstd(), k.dGamma(), true),
                    columnSums(k.rows(), k.cols(), k.dy(), k.x(), k.mean(), k.rstd(), k.dBeta(), false));
            case Kernel.LogSoftmax k -> logSoftmax(k.rows(), k.cols(), k.x(), k.y());
            case Kernel.SmoothedLoss k -> smoothedLoss(k.rows(), k.vocab(), k.sentences(), k.padId(), k.epsilon(), k.klDivergence(),
                    k.reduction(), k.targets(), k.logProbs(), k.rowLoss(), k.stats());
            case Kernel.SmoothedLossBackward k -> one(smoothedLossBackward(k.rows(), k.vocab(), k.sentences(), k.padId(), k.epsilon(),
                    k.reduction(), k.targets(), k.logProbs(), k.stats(), k.dLogits(), true));
            case Kernel.SmoothedLossAndGradient k -> {
                // The same kernels, log-probabilities in dLogits, then overwritten there by the gradient.
                List<Task> tasks = new ArrayList<>(logSoftmax(k.rows(), k.vocab(), k.logits(), k.dLogits()));
                tasks.addAll(smoothedLoss(k.rows(), k.vocab(), k.sentences(), k.padId(), k.epsilon(), k.klDivergence(),
                        k.reduction(), k.targets(), k.dLogits(), k.rowLoss(), k.stats()));
                tasks.add(smoothedLossBackward(k.rows(), k.vocab(), k.sentences(), k.padId(), k.epsilon(), k.reduction(), k.targets(),
                        k.dLogits(), k.stats(), k.dLogits(), false));
                yield tasks;
            }
            case Kernel.GlobalNorm k -> {
                FloatArray partials = scratch(OptimizerKernels.NORM_GROUPS);
                yield List.of(
                        task(Launch.groups(OptimizerKernels.NORM_GROUPS),
                                new Params(SumOfSquaresParams.class).dim(SumOfSquaresParams.N, length(k.x()))
                                        .offset(SumOfSquaresParams.X, k.x()),
                                (g, id, ctx, p) -> g.task(id, OptimizerKernels::sumOfSquares, ctx, sizes, p, f(k.x()), partials)),
                        task(Launch.groups(1), new Params(NormOfPartialsParams.class).offset(NormOfPartialsParams.OUT, k.out()),
                                (g, id, ctx, p) -> g.task(id, OptimizerKernels::normOfPartials, ctx, p, partials, f(k.out()))));
            }
            case Kernel.Adam k -> List.of(
                    adamMoment(k, k.m(), k.beta1(), false),
                    adamMoment(k, k.v(), k.beta2(), true),
                    task(Launch.elements(length(k.params())),
                            new Params(AdamStepParams.class).dim(AdamStepParams.N, length(k.params()))
                                    .offset(AdamStepParams.HYPER, k.hyper()).offset(AdamStepParams.M, k.m())
                                    .offset(AdamStepParams.V, k.v()).offset(AdamStepParams.PARAMS, k.params()),
                            (g, id, ctx, p) -> g.task(id, OptimizerKernels::adamStep, ctx, sizes, p, f(k.hyper()), f(k.m()), f(k.v()),
                                    f(k.params()), k.eps(), k.weightDecay())));
        };
    }

    /** One half of Kernel.GatherRows: scratch = data gathered by the index, then data = scratch. */
    private Task gatherRows(Kernel.GatherRows k, FloatBuf from, Dim fromStride, FloatBuf to, Dim toStride, boolean gather) {
        return task(Launch.elements(k.rows(), k.length()),
                new Params(GatherRowsParams.class).dim(GatherRowsParams.ROWS, k.rows()).dim(GatherRowsParams.LENGTH, k.length())
                        .dim(GatherRowsParams.FROM_STRIDE, fromStride).dim(GatherRowsParams.TO_STRIDE, toStride)
                        .offset(GatherRowsParams.INDEX, k.index()).offset(GatherRowsParams.FROM, from).offset(GatherRowsParams.TO, to),
                (g, id, ctx, p) -> g.task(id, ElementwiseKernels::gatherRows, ctx, sizes, p, i(k.index()), f(from), f(to), flag(gather)));
    }

    private List<Task> logSoftmax(Dim rows, Dim cols, FloatBuf x, FloatBuf y) {
        return one(Launch.rows(1, rows),
                new Params(LogSoftmaxParams.class).dim(LogSoftmaxParams.ROWS, rows).dim(LogSoftmaxParams.COLS, cols)
                        .offset(LogSoftmaxParams.X, x).offset(LogSoftmaxParams.Y, y),
                (g, id, ctx, p) -> g.task(id, NormKernels::logSoftmax, ctx, sizes, p, f(x), f(y)));
    }

    /** The loss per row (one work-group each), then one work-group adding them into stats. */
    private List<Task> smoothedLoss(Dim rows, Dim vocab, Dim sentences, int padId, float epsilon, boolean klDivergence,
                                    Kernel.Reduction reduction, IntBuf targets, FloatBuf logProbs, FloatBuf rowLoss, FloatBuf stats) {
        FloatArray correct = scratch(rows.max()), nll = scratch(rows.max());
        return List.of(
                task(Launch.rows(1, rows),
                        new Params(SmoothedLossRowsParams.class).dim(SmoothedLossRowsParams.ROWS, rows)
                                .dim(SmoothedLossRowsParams.VOCAB, vocab).set(SmoothedLossRowsParams.PAD_ID, padId)
                                .offset(SmoothedLossRowsParams.TARGETS, targets)
                                .offset(SmoothedLossRowsParams.LOG_PROBS, logProbs)
                                .offset(SmoothedLossRowsParams.ROW_LOSS, rowLoss),
                        (g, id, ctx, p) -> g.task(id, LossKernels::smoothedLossRows, ctx, sizes, p, i(targets),
                                f(logProbs), epsilon, flag(klDivergence), f(rowLoss), correct, nll)),
                task(Launch.groups(1),
                        new Params(SmoothedLossStatsParams.class).dim(SmoothedLossStatsParams.ROWS, rows)
                                .set(SmoothedLossStatsParams.PAD_ID, padId)
                                .offset(SmoothedLossStatsParams.TARGETS, targets)
                                .offset(SmoothedLossStatsParams.ROW_LOSS, rowLoss)
                                .offset(SmoothedLossStatsParams.STATS, stats)
                                .dim(SmoothedLossStatsParams.VOCAB, vocab)
                                .dim(SmoothedLossStatsParams.SENTENCES, sentences),
                        (g, id, ctx, p) -> g.task(id, LossKernels::smoothedLossStats, ctx, sizes, p, i(targets),
                                f(rowLoss), correct, nll, reduction.code(), f(stats))));
    }

    private Task smoothedLossBackward(Dim rows, Dim vocab, Dim sentences, int padId, float epsilon, Kernel.Reduction reduction,
                                      IntBuf targets, FloatBuf logProbs, FloatBuf stats, FloatBuf dLogits, boolean accumulate) {
        return task(Launch.elements(rows, vocab),
                new Params(SmoothedLossBackwardParams.class).dim(SmoothedLossBackwardParams.ROWS, rows)
                        .dim(SmoothedLossBackwardParams.VOCAB, vocab).dim(SmoothedLossBackwardParams.SENTENCES, sentences)
                        .set(SmoothedLossBackwardParams.PAD_ID, padId).offset(SmoothedLossBackwardParams.TARGETS, targets)
                        .offset(SmoothedLossBackwardParams.LOG_PROBS, logProbs)
                        .offset(SmoothedLossBackwardParams.STATS, stats)
                        .offset(SmoothedLossBackwardParams.D_LOGITS, dLogits),
                (g, id, ctx, p) -> g.task(id, LossKernels::smoothedLossBackward, ctx, sizes, p, i(targets), f(logProbs),
                        f(stats), f(dLogits), epsilon, reduction.code(), flag(accumulate)));
    }

    /** out[r] = the mean of row r of x, or with {@code second} 1/sqrt(var + eps) about center[r]. */
    private Task rowMoment(Dim rows, Dim cols, FloatBuf x, FloatBuf center, FloatBuf out, float eps, boolean second) {
        return task(Launch.rows(1, rows),
                new Params(RowMomentParams.class).dim(RowMomentParams.ROWS, rows).dim(RowMomentParams.COLS, cols)
                        .offset(RowMomentParams.X, x).offset(RowMomentParams.CENTER, center).offset(RowMomentParams.OUT, out),
                (g, id, ctx, p) -> g.task(id, NormKernels::rowMoment, ctx, sizes, p, f(x), f(center), f(out), eps, flag(second)));
    }

    /** out[c] += the column sums of dy, weighted by the normalized x when {@code weighted}. */
    private Task columnSums(Dim rows, Dim cols, FloatBuf dy, FloatBuf x, FloatBuf mean, FloatBuf rstd, FloatBuf out, boolean weighted) {
        return task(Launch.columns(cols),
                new Params(ColumnSumsParams.class).dim(ColumnSumsParams.ROWS, rows).dim(ColumnSumsParams.COLS, cols)
                        .offset(ColumnSumsParams.DY, dy).offset(ColumnSumsParams.X, x).offset(ColumnSumsParams.MEAN, mean)
                        .offset(ColumnSumsParams.RSTD, rstd).offset(ColumnSumsParams.OUT, out),
                (g, id, ctx, p) -> g.task(id, NormKernels::columnSums, ctx, sizes, p, f(dy), f(x), f(mean), f(rstd), f(out),
                        flag(weighted)));
    }

    private Task adamMoment(Kernel.Adam k, FloatBuf moment, float beta, boolean squared) {
        return task(Launch.elements(length(k.params())),
                new Params(AdamMomentParams.class).dim(AdamMomentParams.N, length(k.params()))
                        .offset(AdamMomentParams.GRADS, k.grads()).offset(AdamMomentParams.HYPER, k.hyper())
                        .offset(AdamMomentParams.GRAD_NORM, k.gradNorm()).offset(AdamMomentParams.MOMENT, moment),
                (g, id, ctx, p) -> g.task(id, OptimizerKernels::adamMoment, ctx, sizes, p, f(k.grads()), f(k.hyper()),
                        f(k.gradNorm()), f(moment), beta, k.maxNorm(), flag(squared)));
    }

    /** Forward overwrites, backward accumulates: one kernel, as on the JVM. */
    private List<Task> dropout(Dim rows, Dim cols, float rate, int seed, Dim step, int site, FloatBuf in, FloatBuf out,
                               boolean accumulate) {
        return one(Launch.elements(rows, cols),
                new Params(DropoutParams.class).dim(DropoutParams.ROWS, rows).dim(DropoutParams.COLS, cols)
                        .dim(DropoutParams.STEP, step).set(DropoutParams.SEED, seed).set(DropoutParams.SITE, site)
                        .offset(DropoutParams.IN, in).offset(DropoutParams.OUT, out),
                (g, id, ctx, p) -> g.task(id, ElementwiseKernels::dropout, ctx, sizes, p, f(in), f(out), rate, flag(accumulate)));
    }

    private static Params combineParams(Kernel.CombineTokens k) {
        return new Params(CombineTokensParams.class).dim(CombineTokensParams.BATCH, k.batch()).dim(CombineTokensParams.IN_LEN, k.inLen())
                .dim(CombineTokensParams.OUT_LEN, k.outLen()).set(CombineTokensParams.WIDTH, k.width())
                .offset(CombineTokensParams.DEST, k.dest()).offset(CombineTokensParams.SIZES, k.sizes())
                .offset(CombineTokensParams.X, k.x()).offset(CombineTokensParams.OUT_SIZES, k.outSizes())
                .offset(CombineTokensParams.OUT, k.out());
    }

    private List<Task> one(Launch launch, Params params, Body body) { return one(task(launch, params, body)); }

    private static List<Task> one(Task task) { return List.of(task); }

    /** A task over its parameter array, which travels with the call's other private arrays. */
    private Task task(Launch launch, Params params, Body body) {
        IntArray p = params.array();
        privates.add(p);
        return new Task(launch, (g, id, ctx) -> body.add(g, id, ctx, p));
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
