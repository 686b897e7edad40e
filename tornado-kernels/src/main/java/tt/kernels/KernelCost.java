package tt.kernels;

/**
 * Floating-point operations of one kernel call at the live sizes: 2mnk per GEMM, as every GEMM
 * benchmark counts, and for the other kernels the arithmetic of their definition per element
 * (e.g. softmax: scale, max, exp, sum, divide). What `tt graph` and `tt bench` total. A new kernel
 * must say its cost here: the switch has no default. {@link #bytes} is the memory side of the same
 * roofline.
 */
public final class KernelCost {
    private KernelCost() {}

    public static double flops(Kernel kernel, int[] sizes) {
        return switch (kernel) {
            case Kernel.Gemm k -> 2.0 * k.batch().value(sizes) * k.m().value(sizes) * k.n().value(sizes) * k.k().value(sizes);
            case Kernel.Fill k -> 0;
            case Kernel.BiasAdd k -> cells(k.rows(), k.cols(), sizes);
            case Kernel.BiasBackward k -> cells(k.rows(), k.cols(), sizes);
            case Kernel.EmbeddingForward k -> cells(k.tokens(), k.dim(), sizes);
            case Kernel.EmbeddingBackward k -> 2 * cells(k.tokens(), k.dim(), sizes);
            case Kernel.PositionalAdd k -> cells(k.rows(), k.dim(), sizes);
            case Kernel.Add k -> cells(k.rows(), k.cols(), sizes);
            case Kernel.Axpy k -> 2 * cells(k.rows(), k.cols(), sizes);
            case Kernel.Relu k -> cells(k.rows(), k.cols(), sizes);
            case Kernel.ReluBackward k -> cells(k.rows(), k.cols(), sizes);
            case Kernel.Dropout k -> cells(k.rows(), k.cols(), sizes);
            case Kernel.DropoutBackward k -> 2 * cells(k.rows(), k.cols(), sizes);
            case Kernel.HeadTranspose k -> 0;
            case Kernel.Softmax k -> 5.0 * k.heads() * k.batch().value(sizes) * k.queries().value(sizes) * k.keys().value(sizes);
            case Kernel.SoftmaxBackward k -> 5.0 * k.heads() * k.batch().value(sizes) * k.queries().value(sizes) * k.keys().value(sizes);
            case Kernel.LayerNorm k -> 8 * cells(k.rows(), k.cols(), sizes);
            case Kernel.LayerNormBackward k -> 12 * cells(k.rows(), k.cols(), sizes);
            case Kernel.LogSoftmax k -> 4 * cells(k.rows(), k.cols(), sizes);
            case Kernel.CacheWrite k -> 0;
            case Kernel.CachedAttention k -> (4.0 * k.headDim() + 5) * k.heads() * k.rows().value(sizes) * k.keys().value(sizes);
            case Kernel.GatherRows k -> 0;
            case Kernel.KeySizeBias k -> 2.0 * k.heads() * k.batch().value(sizes) * k.queries().value(sizes) * k.keys().value(sizes);
            case Kernel.CombineTokens k -> 2.0 * k.width() * k.batch().value(sizes) * k.inLen().value(sizes);
            case Kernel.SmoothedLoss k -> 3 * cells(k.rows(), k.vocab(), sizes);
            case Kernel.SmoothedLossBackward k -> 3 * cells(k.rows(), k.vocab(), sizes);
            case Kernel.SmoothedLossAndGradient k -> 10 * cells(k.rows(), k.vocab(), sizes);
            case Kernel.GlobalNorm k -> 2.0 * k.x().length();
            case Kernel.Adam k -> 12.0 * k.params().length();
        };
    }

    /**
     * Bytes moved: each operand's live extent once (the traffic if every operand passed through
     * memory once; GEMMs re-read panels, so more), except for kernels that touch only part of a
     * buffer: a lookup reads its rows of a table, a cache write writes one position, attention over
     * a cache reads the visible keys, a reorder copies the filled positions twice.
     */
    public static double bytes(StepGraph graph, StepGraph.Call call) {
        int[] sizes = graph.sizes().buffer().array();
        return 4.0 * switch (call.kernel()) {  // floats and ints alike
            case Kernel.EmbeddingForward k -> k.tokens().value(sizes) * (1 + 2.0 * k.dim().value(sizes));
            case Kernel.CacheWrite k -> 2.0 * k.rows().value(sizes) * k.width();
            case Kernel.CachedAttention k -> {
                double rows = k.rows().value(sizes), keys = k.keys().value(sizes), capacity = k.capacity().value(sizes);
                yield rows * (1 + k.heads() * (2.0 * k.headDim() + capacity + 2.0 * keys * k.headDim()));
            }
            case Kernel.GatherRows k -> k.rows().value(sizes) * (1 + 4.0 * k.length().value(sizes));
            default -> {
                double elements = 0;
                for (StepGraph.Use use : graph.uses(call)) elements += use.elements();
                yield elements;
            }
        };
    }

    private static double cells(Dim rows, Dim cols, int[] sizes) { return (double) rows.value(sizes) * cols.value(sizes); }
}
