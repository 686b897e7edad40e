package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel.Gemm;
import tt.kernels.Kernel.LogSoftmax;
import tt.kernels.Kernel.Reduction;
import tt.kernels.Kernel.SmoothedLoss;
import tt.kernels.Kernel.SmoothedLossAndGradient;

/**
 * Output projection to the vocabulary, log-softmax, and the label-smoothed loss against tgtOut
 * (laid out like x's rows).
 * Training fuses the log-softmax, the loss and its gradient into one pass over the logits, and
 * writes the gradient over them: they are dead once it is known.
 */
final class Generator {
    private static final Dim ONE = Dim.fixed(1);

    private final Tensor weight, x;
    /** The rows of x: target positions, or an encoder-only model's source positions. */
    private final Dim rows;
    /**
     * One [max tokens, vocab] buffer under three names: the logits, their log-softmax written in
     * place (evaluation and decoding: the loss reads only the log-probabilities), and in training the
     * loss's gradient written over them. No gradient flows into it from elsewhere, so it has none.
     */
    private final FloatBuf logits, logProbs, dLogits;
    private final Dims dims;
    private final Inputs in;
    private final TransformerConfig config;
    private final FloatBuf rowLoss, stats;

    Generator(Layout l, Tensor weight, Tensor x, Dim rows, Inputs in, FloatBuf stats) {
        this.weight = weight;
        this.x = x;
        this.rows = rows;
        this.dims = l.dims;
        this.in = in;
        this.config = l.config;
        this.stats = stats;
        this.logits = l.buffers.scratch("generator.logits", l.dims.limits().maxTokens(), l.config.tgtVocab());
        this.logProbs = l.buffers.alias(logits, "generator.log_probs");
        this.dLogits = l.buffers.alias(logits, "generator.dlogits");
        this.rowLoss = l.buffers.scratch("loss.rows", l.dims.limits().maxTokens());
    }

    FloatBuf logProbs() { return logProbs; }

    /** Logits, and their log-softmax in place unless training (where lossAndGradient computes it). */
    void forward(Pass p) {
        p.add("generator: logits = x W^T", new Gemm(ONE, rows, dims.vocab(), dims.model(), false, true, 1f,
                x.value(), weight.value(), 0f, logits));
        if (!p.training()) {
            p.add("generator: log_softmax, in place", new LogSoftmax(rows, dims.vocab(), logits, logProbs));
        }
    }

    /** The plain negative log-likelihood of the log-probabilities, for validation loss and perplexity. */
    void nll(Pass p) {
        p.add("nll", new SmoothedLoss(rows, dims.vocab(), dims.batch(), TransformerConfig.PAD, 0f, false,
                Reduction.TOKEN, in.tgtOut(), logProbs, rowLoss, stats));
    }

    /** The configured training loss of the logits and its gradient, written over them. */
    void lossAndGradient(Pass p) {
        p.add("loss and dlogits, over the logits", new SmoothedLossAndGradient(rows, dims.vocab(), dims.batch(),
                TransformerConfig.PAD, config.labelSmoothing(), config.loss() == TransformerConfig.LossKind.KL, config.reduction(),
                in.tgtOut(), logits, rowLoss, stats, dLogits));
    }

    void backward(Pass p) {
        p.add("generator: dx += dlogits W", new Gemm(ONE, rows, dims.model(), dims.vocab(), false, false, 1f,
                dLogits, weight.value(), 1f, x.grad()));
        p.add("generator: dW += dlogits^T x", new Gemm(ONE, dims.vocab(), dims.model(), rows, true, false, 1f,
                dLogits, x.value(), 1f, weight.grad()));
    }
}
