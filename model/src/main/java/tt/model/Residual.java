package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel.Add;
import tt.kernels.Kernel.Axpy;

import java.util.function.Function;

/**
 * A sublayer with its residual connection, dropout and layer norm:
 * post-LN (the paper): out = LayerNorm(x + Dropout(Sublayer(x)));
 * pre-LN:              out = x + Dropout(Sublayer(LayerNorm(x))).
 */
final class Residual<S extends Sublayer> {
    private final String name;
    private final boolean preNorm;
    private final Tensor x, normed, sum, out;
    private final FloatBuf dropped;
    private final Dim rows, model;
    private final LayerNorm norm;
    private final S sublayer;
    private final Dropout dropout;

    /** {@code sublayerOn} builds the sublayer on its input: x (post-LN) or LayerNorm(x) (pre-LN). */
    Residual(Layout l, String name, String normName, Tensor x, Dim rows, Function<Tensor, S> sublayerOn) {
        int d = l.config.dModel();
        this.name = name;
        this.preNorm = l.config.norm() == TransformerConfig.NormPlacement.PRE;
        this.x = x;
        this.rows = rows;
        this.model = l.dims.model();
        this.norm = new LayerNorm(l.buffers, normName, d, l.dims.limits().maxTokens(), l.config.layerNormEps());
        this.normed = preNorm ? l.rows(normName + ".out", d) : null;
        this.sublayer = sublayerOn.apply(preNorm ? normed : x);
        this.dropout = l.dropout(name + ".dropout");
        this.dropped = l.buffers.scratch(name + ".dropped", l.dims.limits().maxTokens(), d);
        this.sum = preNorm ? null : l.rows(name + ".sum", d);
        this.out = l.rows(name + ".out", d);
    }

    Tensor output() { return out; }

    S sublayer() { return sublayer; }

    void forward(Pass p) {
        if (preNorm) {
            norm.forward(p, rows, x, normed);
            sublayer.forward(p);
            FloatBuf y = dropout.forward(p, rows, model, sublayer.output().value(), dropped);
            p.add(name + ": out = x + dropout(sublayer)", new Add(rows, model, x.value(), y, out.value()));
        } else {
            sublayer.forward(p);
            FloatBuf y = dropout.forward(p, rows, model, sublayer.output().value(), dropped);
            p.add(name + ": sum = x + dropout(sublayer)", new Add(rows, model, x.value(), y, sum.value()));
            norm.forward(p, rows, sum, out);
        }
    }

    void backward(Pass p) {
        // The gradient reaching the residual sum: dOut itself (pre-LN) or through the norm (post-LN).
        Tensor residual = preNorm ? out : sum;
        if (!preNorm) norm.backward(p, rows, sum, out);
        p.add(name + ": dx += dsum", new Axpy(rows, model, 1f, residual.grad(), x.grad()));
        dropout.backward(p, rows, model, residual.grad(), sublayer.output().grad());
        sublayer.backward(p);
        if (preNorm) norm.backward(p, rows, x, normed);
    }
}
