package tt.kernels.jvm;

import tt.kernels.Ids;
import tt.kernels.Kernel.Reduction;
import tt.kernels.Kernel.SmoothedLoss;
import tt.kernels.Losses;

/**
 * Label-smoothed KL / cross-entropy over log-probabilities, forward beside backward, and both fused
 * with the log-softmax for training. The three kernels share the per-row arithmetic below, so the
 * fused one gives the unfused ones' numbers.
 */
public final class LossKernels {
    private LossKernels() {}

    public static void smoothedLoss(Parallel par, int rows, int vocab, int sentences, int padId, float epsilon, boolean klDivergence,
                                    Reduction reduction, int[] targets, int tgOff, float[] logProbs, int lpOff,
                                    float[] rowLoss, int rlOff, float[] stats, int stOff) {
        Ids.check(Ids.Kind.TARGETS, targets, tgOff, rows, vocab, padId);
        RowLosses losses = new RowLosses(rows, vocab, padId, epsilon, klDivergence);
        par.range(rows, 8, (s, e) -> {
            for (int r = s; r < e; r++) {
                int t = targets[tgOff + r], row = lpOff + r * vocab;
                boolean pad = t == padId;  // a pad row's loss is 0 whatever its sum and maximum: no passes over it
                losses.row(r, t, logProbs, row, pad ? 0f : Vec.sum(logProbs, row, vocab), pad ? 0f : Vec.max(logProbs, row, vocab), rowLoss, rlOff);
            }
        });
        losses.stats(targets, tgOff, rowLoss, rlOff, reduction, sentences, stats, stOff);
    }

    /** dLogits += (softmax - q) / normalizer on non-pad rows. */
    public static void smoothedLossBackward(Parallel par, int rows, int vocab, int sentences, int padId, float epsilon,
                                            Reduction reduction, int[] targets, int tgOff, float[] logProbs, int lpOff,
                                            float[] stats, int stOff, float[] dLogits, int dlOff) {
        Ids.check(Ids.Kind.TARGETS, targets, tgOff, rows, vocab, padId);
        float inv = 1f / reduction.normalizer(rows, vocab, sentences, stats[stOff + SmoothedLoss.TOKENS]);
        par.range(rows, 8, (s, e) -> {
            for (int r = s; r < e; r++) {
                int t = targets[tgOff + r];
                if (t != padId) gradientRow(logProbs, lpOff + r * vocab, dLogits, dlOff + r * vocab, vocab, t, padId, epsilon, inv, true);
            }
        });
    }

    /** Log-softmax, loss and its gradient row by row (Kernel.SmoothedLossAndGradient); dLogits may be logits. */
    public static void smoothedLossAndGradient(Parallel par, int rows, int vocab, int sentences, int padId, float epsilon,
                                               boolean klDivergence, Reduction reduction, int[] targets, int tgOff,
                                               float[] logits, int lOff, float[] rowLoss, int rlOff, float[] stats, int stOff,
                                               float[] dLogits, int dlOff) {
        Ids.check(Ids.Kind.TARGETS, targets, tgOff, rows, vocab, padId);
        RowLosses losses = new RowLosses(rows, vocab, padId, epsilon, klDivergence);
        float inv = 1f / reduction.normalizer(rows, vocab, sentences, nonPad(targets, tgOff, rows, padId));
        par.range(rows, 8, (s, e) -> {
            for (int r = s; r < e; r++) {
                int t = targets[tgOff + r], row = dlOff + r * vocab;
                if (t == padId) {  // no loss and no gradient: no log-softmax over its logits
                    losses.row(r, t, dLogits, row, 0f, 0f, rowLoss, rlOff);
                    java.util.Arrays.fill(dLogits, row, row + vocab, 0f);
                    continue;
                }
                // The row's log-probabilities, for now; their sum and maximum come with them, two passes fewer.
                NormKernels.LogProbabilities lp = NormKernels.logSoftmaxRow(logits, lOff + r * vocab, dLogits, row, vocab);
                losses.row(r, t, dLogits, row, lp.sum(), lp.max(), rowLoss, rlOff);
                gradientRow(dLogits, row, dLogits, row, vocab, t, padId, epsilon, inv, false);
            }
        });
        losses.stats(targets, tgOff, rowLoss, rlOff, reduction, sentences, stats, stOff);
    }

    private static int nonPad(int[] targets, int off, int rows, int padId) {
        int n = 0;
        for (int r = 0; r < rows; r++) if (targets[off + r] != padId) n++;
        return n;
    }

    /**
     * One non-pad row's gradient, (softmax - q) * inv from its log-probabilities, added into or
     * written over dLogits (which may be the log-probabilities): every column as if its target
     * probability were off-target, then the two exceptions.
     */
    private static void gradientRow(float[] logProbs, int lp, float[] dLogits, int dl, int vocab, int target, int padId,
                                    float epsilon, float inv, boolean accumulate) {
        float onTarget = 1f - epsilon, offTarget = Losses.offTargetProbability(vocab, epsilon);
        Vec.expMinus(logProbs, lp, dLogits, dl, vocab, offTarget, inv, accumulate);
        dLogits[dl + target] -= (onTarget - offTarget) * inv;
        if (padId >= 0) dLogits[dl + padId] += offTarget * inv;
    }

    /** Per-row losses of one call, and the stats they add up to (in row order, so for any thread count the same). */
    private static final class RowLosses {
        private final int vocab, padId;
        private final float onTarget, offTarget;
        private final boolean klDivergence;
        /** Entropy terms of the smoothed target, the same for every non-pad row: sum q log q. */
        private final double qLogQ;
        private final int[] correct;
        private final float[] nll;

        RowLosses(int rows, int vocab, int padId, float epsilon, boolean klDivergence) {
            this.vocab = vocab;
            this.padId = padId;
            this.klDivergence = klDivergence;
            onTarget = 1f - epsilon;
            offTarget = Losses.offTargetProbability(vocab, epsilon);
            qLogQ = (onTarget > 0 ? onTarget * Math.log(onTarget) : 0) + (offTarget > 0 ? (vocab - 2) * offTarget * Math.log(offTarget) : 0);
            correct = new int[rows];
            nll = new float[rows];
        }

        /** rowLoss[r] from row r's log-probabilities at logProbs[row...], their sum and their maximum; 0 for a pad target. */
        void row(int r, int t, float[] logProbs, int row, float sum, float max, float[] rowLoss, int rlOff) {
            if (t == padId) {
                rowLoss[rlOff + r] = 0f;
                return;
            }
            double offSum = (double) sum - logProbs[row + t] - (padId >= 0 ? logProbs[row + padId] : 0);
            double crossEntropy = -(onTarget * logProbs[row + t] + offTarget * offSum);
            rowLoss[rlOff + r] = (float) (klDivergence ? crossEntropy + qLogQ : crossEntropy);
            correct[r] = Vec.firstIndexOf(logProbs, row, vocab, max) == t ? 1 : 0;
            nll[r] = -logProbs[row + t];
        }

        void stats(int[] targets, int tgOff, float[] rowLoss, int rlOff, Reduction reduction, int sentences, float[] stats, int stOff) {
            double loss = 0, nllSum = 0;
            int tokens = 0, right = 0;
            for (int r = 0; r < correct.length; r++) {
                if (targets[tgOff + r] == padId) continue;
                loss += rowLoss[rlOff + r];
                tokens++;
                right += correct[r];
                nllSum += nll[r];
            }
            stats[stOff + SmoothedLoss.LOSS_SUM] = (float) loss;
            stats[stOff + SmoothedLoss.TOKENS] = tokens;
            stats[stOff + SmoothedLoss.CORRECT] = right;
            stats[stOff + SmoothedLoss.NLL_SUM] = (float) nllSum;
            stats[stOff + SmoothedLoss.REDUCED_LOSS] = stats[stOff] / reduction.normalizer(correct.length, vocab, sentences, tokens);
        }
    }
}
