package tt.model;

/** Attention or feed-forward: reads its input tensor(s), writes {@link #output()}, backward adds into input grads. */
interface Sublayer {
    Tensor output();

    void forward(Pass p);

    void backward(Pass p);
}
