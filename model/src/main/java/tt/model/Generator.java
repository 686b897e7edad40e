package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel.Gemm;
import tt.kernels.Kernel.LogSoftmax;
import tt.kernels.Kernel.Reduction;
import tt.kernels.Kernel.SmoothedLoss;
import tt.kernels.Kernel.SmoothedLossBackward;

/** Output projection to the vocabulary, log-softmax, and the label-smoothed loss against tgtOut. */
final class Generator {
    private static final Dim ONE = Dim.fixed(1);

    private final Tensor weight, x, logits, logProbs;
    private final Dims dims;
    private final Inputs in;
    private final TransformerConfig config;
    private final FloatBuf rowLoss, stats;

    Generator(Layout l, Tensor weight, Tensor x, Inputs in, FloatBuf stats) {
        this.weight = weight;
        this.x = x;
        this.dims = l.dims;
        this.in = in;
        this.config = l.config;
        this.stats = stats;
        this.logits = l.rows("generator.logits", l.config.tgtVocab());
        // log_softmax in place: the loss and its gradient read only the log-probabilities.
        this.logProbs = l.buffers.activationOver(logits, "generator.log_probs");
        this.rowLoss = l.buffers.scratch("loss.rows", l.dims.limits().maxTokens());
    }

    FloatBuf logProbs() { return logProbs.value(); }

    void forward(Pass p) {
        p.add("generator: logits = x W^T", new Gemm(ONE, dims.tgtRows(), dims.vocab(), dims.model(), false, true, 1f,
                x.value(), weight.value(), 0f, logits.value()));
        p.add("generator: log_softmax, in place", new LogSoftmax(dims.tgtRows(), dims.vocab(), logits.value(), logProbs.value()));
    }

    /** The configured training loss, or with {@code nll} the plain negative log-likelihood (for perplexity). */
    void loss(Pass p, boolean nll) {
        p.add(nll ? "nll" : "loss", new SmoothedLoss(dims.tgtRows(), dims.vocab(), dims.batch(), TransformerConfig.PAD,
                nll ? 0f : config.labelSmoothing(), !nll && config.loss() == TransformerConfig.LossKind.KL,
                nll ? Reduction.TOKEN : config.reduction(), in.tgtOut(), logProbs.value(), rowLoss, stats));
    }

    void backward(Pass p) {
        p.add("loss backward", new SmoothedLossBackward(dims.tgtRows(), dims.vocab(), dims.batch(), TransformerConfig.PAD,
                config.labelSmoothing(), config.reduction(), in.tgtOut(), logProbs.value(), stats, logits.grad()));
        p.add("generator: dx += dlogits W", new Gemm(ONE, dims.tgtRows(), dims.model(), dims.vocab(), false, false, 1f,
                logits.grad(), weight.value(), 1f, x.grad()));
        p.add("generator: dW += dlogits^T x", new Gemm(ONE, dims.vocab(), dims.model(), dims.tgtRows(), true, false, 1f,
                logits.grad(), x.value(), 1f, weight.grad()));
    }
}
