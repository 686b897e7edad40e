package tt.model;

/** Self-attention then feed-forward, each inside its residual block. */
final class EncoderLayer {
    private final Residual<Attention> selfAttention;
    private final Residual<FeedForward> feedForward;

    EncoderLayer(Layout l, String name, Tensor x, Inputs in) {
        Dims d = l.dims;
        this.selfAttention = new Residual<>(l, name + ".self_attn_block", name + ".norm1", x, d.srcRows(),
                input -> new Attention(l, name + ".self_attn", input, input, d.srcLen(), d.srcLen(), d.srcRows(), d.srcRows(),
                        d.encoderScores(), in.srcLengths(), false));
        this.feedForward = new Residual<>(l, name + ".ff_block", name + ".norm2", selfAttention.output(), d.srcRows(),
                input -> new FeedForward(l, name, input, d.srcRows()));
    }

    Tensor output() { return feedForward.output(); }

    void forward(Pass p) {
        selfAttention.forward(p);
        feedForward.forward(p);
    }

    void backward(Pass p) {
        feedForward.backward(p);
        selfAttention.backward(p);
    }
}
