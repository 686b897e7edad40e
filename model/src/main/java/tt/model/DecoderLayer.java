package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;

/** Masked self-attention, attention over the encoder memory, then feed-forward, each in its residual block. */
final class DecoderLayer implements Layer {
    private final Residual<Attention> selfAttention, crossAttention;
    private final Residual<FeedForward> feedForward;

    /** The encoder output the cross-attention reads: its tensor, padded length, rows, lengths, and key sizes (null: one token each). */
    record Memory(Tensor x, Dim len, Dim rows, IntBuf lengths, FloatBuf keySizes) {}

    DecoderLayer(Layout l, String name, Tensor x, Memory memory, Inputs in) {
        Dims d = l.dims;
        this.selfAttention = new Residual<>(l, name + ".self_attn_block", name + ".norm1", x, d.tgtRows(),
                input -> new Attention(l, name + ".self_attn", input, input, d.tgtLen(), d.tgtLen(), d.tgtRows(), d.tgtRows(),
                        d.decoderScores(), in.tgtLengths(), true, null));
        this.crossAttention = new Residual<>(l, name + ".cross_attn_block", name + ".norm2", selfAttention.output(), d.tgtRows(),
                input -> new Attention(l, name + ".multihead_attn", input, memory.x(), d.tgtLen(), memory.len(), d.tgtRows(), memory.rows(),
                        d.crossScores(), memory.lengths(), false, memory.keySizes()));
        this.feedForward = new Residual<>(l, name + ".ff_block", name + ".norm3", crossAttention.output(), d.tgtRows(),
                input -> new FeedForward(l, name, input, d.tgtRows()));
    }

    @Override public Tensor output() { return feedForward.output(); }

    @Override public void projectMemory(Pass p) { crossAttention.sublayer().projectMemory(p); }

    @Override public void reorderCache(Pass p, IntBuf parents, FloatBuf scratch) {
        selfAttention.sublayer().reorderCache(p, parents, scratch);
    }

    @Override public void forward(Pass p) {
        selfAttention.forward(p);
        crossAttention.forward(p);
        feedForward.forward(p);
    }

    @Override public void backward(Pass p) {
        feedForward.backward(p);
        crossAttention.backward(p);
        selfAttention.backward(p);
    }
}
