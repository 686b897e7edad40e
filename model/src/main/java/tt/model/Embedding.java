package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;
import tt.kernels.Kernel.EmbeddingBackward;
import tt.kernels.Kernel.EmbeddingForward;
import tt.kernels.Kernel.PositionalAdd;

/** x = Dropout(table[ids] * sqrt(d_model) + PE[position]), positions restarting per sentence. */
public final class Embedding {
    private final String name;
    private final Tensor table, embedded, out;
    private final IntBuf ids;
    private final Dim rows, seqLen, model, decodePosition;
    private final FloatBuf positional;
    private final float scale;
    private final Dropout dropout;

    Embedding(Layout l, String name, Tensor table, IntBuf ids, Dim rows, Dim seqLen, FloatBuf positional) {
        this.name = name;
        this.table = table;
        this.ids = ids;
        this.rows = rows;
        this.seqLen = seqLen;
        this.model = l.dims.model();
        this.decodePosition = l.dims.decodePosition();
        this.positional = positional;
        this.scale = (float) Math.sqrt(l.config.dModel());
        this.dropout = l.dropout(name + ".dropout");
        this.embedded = l.rows(name + ".embedded", l.config.dModel());
        this.out = l.rows(name + ".out", l.config.dModel());
    }

    Tensor output() { return out; }

    /**
     * In an incremental pass each sentence has one token, at the position being decoded. Without
     * dropout (inference) the sum is the output, and is written there.
     */
    void forward(Pass p) {
        Dim first = p.incremental() ? decodePosition : Dim.fixed(0);
        FloatBuf sum = p.training() ? embedded.value() : out.value();
        p.add(name + ": table[ids] * sqrt(d_model)", new EmbeddingForward(rows, model, scale, ids, table.value(), sum));
        p.add(name + ": + positional encoding", new PositionalAdd(rows, seqLen, first, model, positional, sum));
        dropout.forward(p, rows, model, embedded.value(), out.value());
    }

    void backward(Pass p) {
        dropout.backward(p, rows, model, out.grad(), embedded.grad());
        p.add(name + ": dtable[ids] += sqrt(d_model) * dx", new EmbeddingBackward(rows, model, scale, ids, embedded.grad(), table.grad()));
    }

    /** PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)), [maxLen, d]. */
    public static FloatBuf sinusoidalTable(int maxLen, int d) {
        FloatBuf pe = FloatBuf.allocate("positional_encoding", maxLen * d);
        for (int pos = 0; pos < maxLen; pos++) {
            for (int i = 0; i < d; i += 2) {
                double angle = pos / Math.pow(10000.0, (double) i / d);
                pe.set(pos * d + i, (float) Math.sin(angle));
                if (i + 1 < d) pe.set(pos * d + i + 1, (float) Math.cos(angle));
            }
        }
        return pe;
    }
}
