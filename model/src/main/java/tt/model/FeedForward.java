package tt.model;

import tt.kernels.Dim;
import tt.kernels.Kernel.Relu;
import tt.kernels.Kernel.ReluBackward;

/** FFN(x) = max(0, x W1^T + b1) W2^T + b2, with dropout on the hidden layer at the activation dropout rate. */
final class FeedForward implements Sublayer {
    private final String name;
    private final Tensor x, hidden, activated, dropped, out;
    private final Dim rows, ff;
    private final Linear linear1, linear2;
    private final Dropout dropout;

    FeedForward(Layout l, String name, Tensor x, Dim rows) {
        int d = l.config.dModel(), f = l.config.dFF();
        this.name = name;
        this.x = x;
        this.rows = rows;
        this.ff = l.dims.ff();
        this.linear1 = Linear.create(l.buffers, name + ".linear1", d, f);
        this.linear2 = Linear.create(l.buffers, name + ".linear2", f, d);
        this.dropout = l.dropout(name + ".dropout", l.config.activationDropout());
        this.hidden = l.rows(name + ".hidden", f);
        this.activated = l.buffers.activationOver(hidden, name + ".relu");  // ReLU in place: its backward reads only its output
        this.dropped = l.rows(name + ".relu_dropped", f);
        this.out = l.rows(name + ".out", d);
    }

    @Override public Tensor output() { return out; }

    @Override public void forward(Pass p) {
        linear1.forward(p, rows, x.value(), hidden.value());
        p.add(name + ": relu, in place", new Relu(rows, ff, hidden.value(), activated.value()));
        linear2.forward(p, rows, dropout.forward(p, rows, ff, activated.value(), dropped.value()), out.value());
    }

    @Override public void backward(Pass p) {
        linear2.backward(p, rows, dropped.value(), out.grad(), dropped.grad());
        dropout.backward(p, rows, ff, dropped.grad(), activated.grad());
        p.add(name + ": relu backward", new ReluBackward(rows, ff, activated.value(), activated.grad(), hidden.grad()));
        linear1.backward(p, rows, x.value(), hidden.grad(), x.grad());
    }
}
