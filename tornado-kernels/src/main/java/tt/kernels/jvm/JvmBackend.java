package tt.kernels.jvm;

import tt.kernels.Backend;
import tt.kernels.Buf;
import tt.kernels.Dim;
import tt.kernels.Kernel;
import tt.kernels.KernelCost;
import tt.kernels.KernelTime;
import tt.kernels.StepGraph;

import java.util.List;

/**
 * The default backend: host memory is the device, calls run in order, each kernel split across a
 * fixed team of threads. Deterministic for a fixed thread count.
 */
public final class JvmBackend implements Backend {
    private final Parallel par;
    private final boolean nativeBlas;
    /** Time, calls and work per kernel type, when profiling is on. */
    private final java.util.Map<String, KernelTime> profile = new java.util.TreeMap<>();
    private boolean profiling;

    public JvmBackend(int threads) {
        this(threads, false);
    }

    /** With {@code useNativeBlas}, GEMMs go to the system OpenBLAS ({@link NativeBlas}), which must be present. */
    public JvmBackend(int threads, boolean useNativeBlas) {
        if (useNativeBlas && !NativeBlas.isAvailable()) throw new IllegalStateException("native BLAS requested but " + NativeBlas.description());
        this.par = new Parallel(threads);
        this.nativeBlas = useNativeBlas;
        if (useNativeBlas) NativeBlas.setThreads(threads);
    }

    public int threads() { return par.threads(); }

    @Override public String name() { return "jvm"; }

    @Override public String device() {
        return "JVM " + Runtime.version().feature() + ", " + par.threads() + " threads, Vector API "
                + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit, GEMM: "
                + (nativeBlas ? NativeBlas.description() : "Java");
    }

    @Override public Executable compile(StepGraph graph) {
        List<StepGraph.Call> calls = graph.calls();
        int[] sizes = graph.sizes().buffer().array();
        Runnable[] bound = new Runnable[calls.size()];
        for (int i = 0; i < bound.length; i++) {
            Kernel kernel = calls.get(i).kernel();
            if (i + 1 < bound.length && kernel instanceof Kernel.Gemm g && calls.get(i + 1).kernel() instanceof Kernel.BiasAdd add
                    && biasFollows(g, add)) {
                // The bias call (and a ReLU in place after it) is done by the GEMM, and has no runnable.
                boolean relu = i + 2 < bound.length && calls.get(i + 2).kernel() instanceof Kernel.Relu r && reluInPlaceOn(g, r);
                bound[i] = bindLinear(g, add, relu, sizes);
                i += relu ? 2 : 1;
            } else {
                bound[i] = bind(kernel, sizes);
            }
        }
        return () -> {
            graph.checkLiveSizes();
            for (int i = 0; i < bound.length; i++) {
                if (bound[i] == null) continue;
                try {
                    long t0 = profiling ? System.nanoTime() : 0;
                    bound[i].run();
                    if (profiling) {
                        long nanos = System.nanoTime() - t0;
                        StepGraph.Call call = calls.get(i);
                        profile.computeIfAbsent(profileKey(call.kernel(), sizes), key -> new KernelTime())
                                .add(nanos, KernelCost.flops(call.kernel(), sizes), KernelCost.bytes(graph, call));
                    }
                } catch (RuntimeException e) {
                    throw new IllegalStateException(graph.name() + " " + calls.get(i).describe() + " failed: " + e.getMessage(), e);
                }
            }
        };
    }

    /**
     * Whether a bias add right after a product adds into exactly the product's output (y = x W^T,
     * then y += b, as every linear layer's forward): the Java GEMM then adds the bias as it stores
     * each element (and, for the FFN's first layer, the ReLU in place after it, see
     * {@link #reluInPlaceOn}): the same floats as passes of their own, without those passes over y.
     */
    private boolean biasFollows(Kernel.Gemm g, Kernel.BiasAdd add) {
        return !nativeBlas && add.x().sameRegion(g.c()) && g.batch().equals(Dim.fixed(1))
                && add.rows().equals(g.m()) && add.cols().equals(g.n());
    }

    /** Whether a ReLU reads and writes exactly a product's output, in place. */
    private static boolean reluInPlaceOn(Kernel.Gemm g, Kernel.Relu r) {
        return r.x().sameRegion(g.c()) && r.y().sameRegion(g.c()) && r.rows().equals(g.m()) && r.cols().equals(g.n());
    }

    private Runnable bindLinear(Kernel.Gemm k, Kernel.BiasAdd add, boolean relu, int[] sizes) {
        GemmKernels.Epilogue epilogue = new GemmKernels.Epilogue(add.bias().array(), add.bias().offset(), relu);
        return () -> GemmKernels.gemm(par, 1, v(k.m(), sizes), v(k.n(), sizes), v(k.k(), sizes),
                k.transA(), k.transB(), k.alpha(), k.a().array(), k.a().offset(), k.b().array(), k.b().offset(),
                k.beta(), k.c().array(), k.c().offset(), epilogue);
    }

    /**
     * A call's profile entry: its kernel type, and for a GEMM also its live shape and transposes
     * ("Gemm 1x4096x8000x256 NT"), since one type covers products of very different efficiency.
     */
    private static String profileKey(Kernel kernel, int[] sizes) {
        String type = kernel.getClass().getSimpleName();
        if (!(kernel instanceof Kernel.Gemm g)) return type;
        return type + " " + v(g.batch(), sizes) + "x" + v(g.m(), sizes) + "x" + v(g.n(), sizes) + "x" + v(g.k(), sizes)
                + " " + (g.transA() ? "T" : "N") + (g.transB() ? "T" : "N");
    }

    /** Starts timing every call by kernel type (adds a clock read and a cost count per call), clearing earlier timings. */
    public void startProfiling() {
        profile.clear();
        profiling = true;
    }

    /** Kernel type (GEMMs by shape, see {@link #profileKey}) -> its time, calls and work since {@link #startProfiling()}. */
    public java.util.Map<String, KernelTime> profile() { return java.util.Collections.unmodifiableMap(profile); }

    @Override public void upload(Buf... bufs) {}

    @Override public void download(Buf... bufs) {}

    @Override public void close() { par.close(); }

    /** Binds a call to its kernel method once; live sizes are read from {@code sizes} at every run. */
    private Runnable bind(Kernel kernel, int[] sizes) {
        return switch (kernel) {
            case Kernel.Fill k -> () -> ElementwiseKernels.fill(par, k.x().array(), k.x().offset(), k.x().length(), k.value());
            case Kernel.Gemm k when nativeBlas -> () -> NativeBlas.gemm(v(k.batch(), sizes), v(k.m(), sizes), v(k.n(), sizes),
                    v(k.k(), sizes), k.transA(), k.transB(), k.alpha(), k.a().array(), k.a().offset(), k.b().array(), k.b().offset(),
                    k.beta(), k.c().array(), k.c().offset());
            case Kernel.Gemm k -> () -> GemmKernels.gemm(par, v(k.batch(), sizes), v(k.m(), sizes), v(k.n(), sizes), v(k.k(), sizes),
                    k.transA(), k.transB(), k.alpha(), k.a().array(), k.a().offset(), k.b().array(), k.b().offset(),
                    k.beta(), k.c().array(), k.c().offset());
            case Kernel.BiasAdd k -> () -> ElementwiseKernels.biasAdd(par, v(k.rows(), sizes), v(k.cols(), sizes),
                    k.bias().array(), k.bias().offset(), k.x().array(), k.x().offset());
            case Kernel.BiasBackward k -> () -> ElementwiseKernels.biasBackward(par, v(k.rows(), sizes), v(k.cols(), sizes),
                    k.dy().array(), k.dy().offset(), k.dBias().array(), k.dBias().offset());
            case Kernel.EmbeddingForward k -> () -> ElementwiseKernels.embeddingForward(par, v(k.tokens(), sizes), v(k.dim(), sizes),
                    k.scale(), k.ids().array(), k.ids().offset(), k.table().array(), k.table().offset(),
                    k.table().length() / k.dim().max(), k.out().array(), k.out().offset());
            case Kernel.EmbeddingBackward k -> () -> ElementwiseKernels.embeddingBackward(par, v(k.tokens(), sizes), v(k.dim(), sizes),
                    k.scale(), k.ids().array(), k.ids().offset(), k.dOut().array(), k.dOut().offset(),
                    k.dTable().array(), k.dTable().offset(), k.dTable().length() / k.dim().max());
            case Kernel.PositionalAdd k -> () -> ElementwiseKernels.positionalAdd(par, v(k.rows(), sizes), v(k.seqLen(), sizes),
                    v(k.first(), sizes), v(k.dim(), sizes), k.table().array(), k.table().offset(), k.x().array(), k.x().offset());
            case Kernel.CacheWrite k -> () -> ElementwiseKernels.cacheWrite(par, v(k.rows(), sizes), k.width(), v(k.position(), sizes),
                    v(k.capacity(), sizes), k.x().array(), k.x().offset(), k.cache().array(), k.cache().offset());
            case Kernel.CachedAttention k -> () -> NormKernels.cachedAttention(par, v(k.rows(), sizes), k.heads(), k.headDim(), v(k.keys(), sizes),
                    v(k.capacity(), sizes), k.scale(), k.keyLengths().array(), k.keyLengths().offset(), k.q().array(), k.q().offset(),
                    k.kCache().array(), k.kCache().offset(), k.vCache().array(), k.vCache().offset(), k.keySizes().array(),
                    k.keySizes().offset(), k.probs().array(), k.probs().offset(), k.context().array(), k.context().offset());
            case Kernel.KeySizeBias k -> () -> NormKernels.keySizeBias(par, v(k.batch(), sizes), k.heads(), v(k.queries(), sizes),
                    v(k.keys(), sizes), k.scale(), k.keySizes().array(), k.keySizes().offset(), k.scores().array(), k.scores().offset());
            case Kernel.CombineTokens k -> () -> NormKernels.combineTokens(par, v(k.batch(), sizes), v(k.inLen(), sizes), v(k.outLen(), sizes),
                    k.width(), k.dest().array(), k.dest().offset(), k.sizes().array(), k.sizes().offset(), k.x().array(), k.x().offset(),
                    k.outSizes().array(), k.outSizes().offset(), k.out().array(), k.out().offset());
            case Kernel.GatherRows k -> () -> ElementwiseKernels.gatherRows(par, v(k.rows(), sizes), v(k.length(), sizes), v(k.stride(), sizes),
                    k.index().array(), k.index().offset(), k.scratch().array(), k.scratch().offset(), k.data().array(), k.data().offset());
            case Kernel.Add k -> () -> ElementwiseKernels.add(par, n(k.rows(), k.cols(), sizes), k.a().array(), k.a().offset(),
                    k.b().array(), k.b().offset(), k.out().array(), k.out().offset());
            case Kernel.Axpy k -> () -> ElementwiseKernels.axpy(par, n(k.rows(), k.cols(), sizes), k.alpha(), k.accumulate(),
                    k.x().array(), k.x().offset(), k.y().array(), k.y().offset());
            case Kernel.Relu k -> () -> ElementwiseKernels.relu(par, n(k.rows(), k.cols(), sizes),
                    k.x().array(), k.x().offset(), k.y().array(), k.y().offset());
            case Kernel.ReluBackward k -> () -> ElementwiseKernels.reluBackward(par, n(k.rows(), k.cols(), sizes), k.accumulate(),
                    k.y().array(), k.y().offset(), k.dy().array(), k.dy().offset(), k.dx().array(), k.dx().offset());
            case Kernel.Dropout k -> () -> ElementwiseKernels.dropout(par, n(k.rows(), k.cols(), sizes), k.p(), k.seed(),
                    v(k.step(), sizes), k.site(), k.x().array(), k.x().offset(), k.y().array(), k.y().offset(), false);
            case Kernel.DropoutBackward k -> () -> ElementwiseKernels.dropout(par, n(k.rows(), k.cols(), sizes), k.p(), k.seed(),
                    v(k.step(), sizes), k.site(), k.dy().array(), k.dy().offset(), k.dx().array(), k.dx().offset(), true);
            case Kernel.HeadTranspose k -> () -> ElementwiseKernels.headTranspose(par, v(k.batch(), sizes), v(k.seq(), sizes),
                    k.heads(), k.headDim(), k.toHeads(), k.accumulate(), k.in().array(), k.in().offset(),
                    k.out().array(), k.out().offset());
            case Kernel.Softmax k -> () -> NormKernels.softmax(par, v(k.batch(), sizes), k.heads(), v(k.queries(), sizes),
                    v(k.keys(), sizes), k.scale(), k.causal(), k.keyLengths().array(), k.keyLengths().offset(),
                    k.scores().array(), k.scores().offset(), k.probs().array(), k.probs().offset());
            case Kernel.SoftmaxBackward k -> () -> NormKernels.softmaxBackward(par,
                    v(k.batch(), sizes) * k.heads() * v(k.queries(), sizes), v(k.keys(), sizes), k.scale(), k.accumulate(),
                    k.probs().array(), k.probs().offset(), k.dProbs().array(), k.dProbs().offset(),
                    k.dScores().array(), k.dScores().offset());
            case Kernel.LayerNorm k -> () -> NormKernels.layerNorm(par, v(k.rows(), sizes), v(k.cols(), sizes), k.eps(),
                    k.x().array(), k.x().offset(), k.gamma().array(), k.gamma().offset(), k.beta().array(), k.beta().offset(),
                    k.y().array(), k.y().offset(), k.mean().array(), k.mean().offset(), k.rstd().array(), k.rstd().offset());
            case Kernel.LayerNormBackward k -> () -> NormKernels.layerNormBackward(par, v(k.rows(), sizes), v(k.cols(), sizes), k.accumulate(),
                    k.x().array(), k.x().offset(), k.gamma().array(), k.gamma().offset(), k.mean().array(), k.mean().offset(),
                    k.rstd().array(), k.rstd().offset(), k.dy().array(), k.dy().offset(), k.dx().array(), k.dx().offset(),
                    k.dGamma().array(), k.dGamma().offset(), k.dBeta().array(), k.dBeta().offset());
            case Kernel.LogSoftmax k -> () -> NormKernels.logSoftmax(par, v(k.rows(), sizes), v(k.cols(), sizes),
                    k.x().array(), k.x().offset(), k.y().array(), k.y().offset());
            case Kernel.SmoothedLoss k -> () -> LossKernels.smoothedLoss(par, v(k.rows(), sizes), v(k.vocab(), sizes),
                    v(k.sentences(), sizes), k.padId(), k.epsilon(), k.klDivergence(), k.reduction(), k.targets().array(), k.targets().offset(),
                    k.logProbs().array(), k.logProbs().offset(), k.rowLoss().array(), k.rowLoss().offset(),
                    k.stats().array(), k.stats().offset());
            case Kernel.SmoothedLossBackward k -> () -> LossKernels.smoothedLossBackward(par, v(k.rows(), sizes), v(k.vocab(), sizes),
                    v(k.sentences(), sizes), k.padId(), k.epsilon(), k.reduction(), k.targets().array(), k.targets().offset(),
                    k.logProbs().array(), k.logProbs().offset(), k.stats().array(), k.stats().offset(),
                    k.dLogits().array(), k.dLogits().offset());
            case Kernel.SmoothedLossAndGradient k -> () -> LossKernels.smoothedLossAndGradient(par, v(k.rows(), sizes), v(k.vocab(), sizes),
                    v(k.sentences(), sizes), k.padId(), k.epsilon(), k.klDivergence(), k.reduction(), k.targets().array(), k.targets().offset(),
                    k.logits().array(), k.logits().offset(), k.rowLoss().array(), k.rowLoss().offset(), k.stats().array(), k.stats().offset(),
                    k.dLogits().array(), k.dLogits().offset());
            case Kernel.GlobalNorm k -> () -> k.out().set(0, OptimizerKernels.globalNorm(par, k.x().array(), k.x().offset(), k.x().length()));
            case Kernel.Adam k -> () -> OptimizerKernels.adam(par, k.params().length(), k.params().array(), k.params().offset(),
                    k.grads().array(), k.grads().offset(), k.m().array(), k.m().offset(), k.v().array(), k.v().offset(),
                    k.hyper().array(), k.hyper().offset(), k.gradNorm().get(0),
                    k.beta1(), k.beta2(), k.eps(), k.weightDecay(), k.maxNorm());
        };
    }

    private static int v(Dim d, int[] sizes) { return d.value(sizes); }

    private static int n(Dim rows, Dim cols, int[] sizes) { return rows.value(sizes) * cols.value(sizes); }

}
