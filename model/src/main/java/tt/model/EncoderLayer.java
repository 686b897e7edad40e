package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;

/**
 * Self-attention then feed-forward, each inside its residual block (torch's TransformerEncoderLayer):
 * an encoder layer, or, with causal self-attention over the target side, a decoder-only model's layer.
 * {@code len}, {@code rows} and {@code scores} size the side it runs on; keys at or past
 * {@code lengths[sentence]} are padding; {@code keySizes} (null: one token each) weigh merged tokens.
 */
final class EncoderLayer implements Layer {
    private final Residual<Attention> selfAttention;
    private final Residual<FeedForward> feedForward;

    EncoderLayer(Layout l, String name, Tensor x, Dim len, Dim rows, Dim scores, IntBuf lengths, boolean causal, FloatBuf keySizes) {
        this.selfAttention = new Residual<>(l, name + ".self_attn_block", name + ".norm1", x, rows,
                input -> new Attention(l, name + ".self_attn", input, input, len, len, rows, rows, scores, lengths, causal, keySizes));
        this.feedForward = new Residual<>(l, name + ".ff_block", name + ".norm2", selfAttention.output(), rows,
                input -> new FeedForward(l, name, input, rows));
    }

    @Override public Tensor output() { return feedForward.output(); }

    Attention selfAttention() { return selfAttention.sublayer(); }

    @Override public void forward(Pass p) {
        selfAttention.forward(p);
        feedForward.forward(p);
    }

    @Override public void backward(Pass p) {
        feedForward.backward(p);
        selfAttention.backward(p);
    }

    @Override public void reorderCache(Pass p, IntBuf parents, FloatBuf scratch) {
        selfAttention.sublayer().reorderCache(p, parents, scratch);
    }
}
