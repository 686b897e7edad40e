package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;

/** y = (x - mean) / sqrt(var + eps) * gamma + beta over the model dimension. */
final class LayerNorm {
    final String name;
    final Tensor gamma, beta;
    private final Dim cols;
    private final float eps;
    private final FloatBuf mean, rstd;

    LayerNorm(Buffers b, String name, int dModel, int maxRows, float eps) {
        this.name = name;
        this.gamma = b.parameter(name + ".weight", dModel);
        this.beta = b.parameter(name + ".bias", dModel);
        this.cols = Dim.fixed(dModel);
        this.eps = eps;
        this.mean = b.scratch(name + ".mean", maxRows);
        this.rstd = b.scratch(name + ".rstd", maxRows);
    }

    void forward(Pass p, Dim rows, Tensor x, Tensor y) {
        p.add(name, new Kernel.LayerNorm(rows, cols, eps, x.value(), gamma.value(), beta.value(), y.value(), mean, rstd));
    }

    void backward(Pass p, Dim rows, Tensor x, Tensor y) {
        p.add(name + " backward", new Kernel.LayerNormBackward(rows, cols, x.value(), gamma.value(), mean, rstd,
                y.grad(), x.grad(), gamma.grad(), beta.grad()));
    }
}
