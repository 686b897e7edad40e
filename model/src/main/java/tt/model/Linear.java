package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel.BiasAdd;
import tt.kernels.Kernel.BiasBackward;
import tt.kernels.Kernel.Gemm;

/** y = x W^T + b, with W stored [out, in] as in torch.nn.Linear. */
final class Linear {
    private static final Dim ONE = Dim.fixed(1);

    final String name;
    final Tensor weight, bias;
    private final Dim in, out;

    Linear(String name, Tensor weight, Tensor bias) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.out = Dim.fixed(weight.shape()[0]);
        this.in = Dim.fixed(weight.shape()[1]);
    }

    static Linear create(Buffers b, String name, int in, int out) {
        return new Linear(name, b.parameter(name + ".weight", out, in), b.parameter(name + ".bias", out));
    }

    void forward(Pass p, Dim rows, FloatBuf x, FloatBuf y) {
        p.add(name + ": y = x W^T", new Gemm(ONE, rows, out, in, false, true, 1f, x, weight.value(), 0f, y));
        p.add(name + ": y += b", new BiasAdd(rows, out, bias.value(), y));
    }

    /** dx += dy W, dW += dy^T x, db += column sums of dy. */
    void backward(Pass p, Dim rows, FloatBuf x, FloatBuf dy, FloatBuf dx) {
        p.add(name + ": dx += dy W", new Gemm(ONE, rows, in, out, false, false, 1f, dy, weight.value(), 1f, dx));
        p.add(name + ": dW += dy^T x", new Gemm(ONE, out, in, rows, true, false, 1f, dy, x, 1f, weight.grad()));
        p.add(name + ": db += sum dy", new BiasBackward(rows, out, dy, bias.grad()));
    }
}
