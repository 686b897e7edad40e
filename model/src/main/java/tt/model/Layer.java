package tt.model;

import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;

/** One layer of a stack: reads the previous layer's output, writes {@link #output()}; backward adds into its input's gradient. */
interface Layer {
    Tensor output();

    void forward(Pass p);

    void backward(Pass p);

    /** Before decoding one position at a time: the cross-attention's keys and values of the encoder memory (none without one). */
    default void projectMemory(Pass p) {}

    /** Beam search: every sentence row's self-attention cache becomes its parent row's. */
    void reorderCache(Pass p, IntBuf parents, FloatBuf scratch);
}
