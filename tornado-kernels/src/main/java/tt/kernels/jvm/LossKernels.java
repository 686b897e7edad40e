package tt.kernels.jvm;

import tt.kernels.Kernel.Reduction;
import tt.kernels.Ids;
import tt.kernels.Kernel.SmoothedLoss;
import tt.kernels.Losses;

/** Label-smoothed KL / cross-entropy over log-probabilities, forward beside backward. */
public final class LossKernels {
    private LossKernels() {}

    public static void smoothedLoss(Parallel par, int rows, int vocab, int sentences, int padId, float epsilon, boolean klDivergence,
                                    Reduction reduction, int[] targets, int tgOff, float[] logProbs, int lpOff,
                                    float[] rowLoss, int rlOff, float[] stats, int stOff) {
        Ids.check(Ids.Kind.TARGETS, targets, tgOff, rows, vocab, padId);
        float onTarget = 1f - epsilon, offTarget = Losses.offTargetProbability(vocab, epsilon);
        // Entropy terms of the smoothed target, the same for every non-pad row: sum q log q.
        double qLogQ = (onTarget > 0 ? onTarget * Math.log(onTarget) : 0)
                + (offTarget > 0 ? (vocab - 2) * offTarget * Math.log(offTarget) : 0);
        int[] correct = new int[rows];
        float[] nll = new float[rows];
        par.range(rows, 8, (s, e) -> {
            for (int r = s; r < e; r++) {
                int t = targets[tgOff + r];
                if (t == padId) {
                    rowLoss[rlOff + r] = 0f;
                    continue;
                }
                int row = lpOff + r * vocab;
                double offSum = (double) Vec.sum(logProbs, row, vocab) - logProbs[row + t] - (padId >= 0 ? logProbs[row + padId] : 0);
                int argmax = Vec.argmax(logProbs, row, vocab);
                double crossEntropy = -(onTarget * logProbs[row + t] + offTarget * offSum);
                rowLoss[rlOff + r] = (float) (klDivergence ? crossEntropy + qLogQ : crossEntropy);
                correct[r] = argmax == t ? 1 : 0;
                nll[r] = -logProbs[row + t];
            }
        });
        double loss = 0, nllSum = 0;
        int tokens = 0, right = 0;
        for (int r = 0; r < rows; r++) {
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
        stats[stOff + SmoothedLoss.REDUCED_LOSS] = stats[stOff] / reduction.normalizer(rows, vocab, sentences, tokens);
    }

    /** dLogits += (softmax - q) / normalizer on non-pad rows. */
    public static void smoothedLossBackward(Parallel par, int rows, int vocab, int sentences, int padId, float epsilon,
                                            Reduction reduction, int[] targets, int tgOff, float[] logProbs, int lpOff,
                                            float[] stats, int stOff, float[] dLogits, int dlOff) {
        Ids.check(Ids.Kind.TARGETS, targets, tgOff, rows, vocab, padId);
        float onTarget = 1f - epsilon, offTarget = Losses.offTargetProbability(vocab, epsilon);
        float inv = 1f / reduction.normalizer(rows, vocab, sentences, stats[stOff + SmoothedLoss.TOKENS]);
        par.range(rows, 8, (s, e) -> {
            for (int r = s; r < e; r++) {
                int t = targets[tgOff + r];
                if (t == padId) continue;
                int row = r * vocab;
                // Every column as if its target probability were offTarget, then the two exceptions.
                Vec.addExpMinus(logProbs, lpOff + row, dLogits, dlOff + row, vocab, offTarget, inv);
                dLogits[dlOff + row + t] -= (onTarget - offTarget) * inv;
                if (padId >= 0) dLogits[dlOff + row + padId] += offTarget * inv;
            }
        });
    }
}
