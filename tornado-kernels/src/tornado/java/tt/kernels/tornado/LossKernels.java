package tt.kernels.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import tt.kernels.Losses;

import static tt.kernels.tornado.Group.THREADS;
import static tt.kernels.tornado.Group.dim;

/**
 * Label-smoothed KL / cross-entropy over log-probabilities, forward beside backward. The forward
 * is two kernels: one work-group per row (loss and argmax), then one work-group adding the rows
 * into stats = [loss, tokens, correct, nll, reduced loss], all on the device. The smoothing and
 * reduction arithmetic is {@link Losses}', the JVM backend's too.
 */
public final class LossKernels {
    private LossKernels() {}

    interface SmoothedLossRowsParams { int ROWS = 0, VOCAB = 1, PAD_ID = 2, TARGETS = 3, LOG_PROBS = 4, ROW_LOSS = 5; }

    /**
     * rowLoss[r] = -(onTarget * lp[t] + offTarget * sum of lp over the other non-pad tokens)
     * (+ sum q log q for KL), 0 on pad rows; correct[r] = 1 when the row's first maximum is its
     * target; nll[r] = -lp[t].
     */
    public static void smoothedLossRows(KernelContext ctx, IntArray sizes, IntArray p, IntArray targets, FloatArray logProbs,
                                        float epsilon, int klDivergence, FloatArray rowLoss, FloatArray correct, FloatArray nll) {
        int vocab = dim(sizes, p, SmoothedLossRowsParams.VOCAB), pad = p.get(SmoothedLossRowsParams.PAD_ID);
        int r = ctx.groupIdx, lid = ctx.localIdx;
        float onTarget = 1f - epsilon, offTarget = Losses.offTargetProbability(vocab, epsilon);
        boolean live = r < dim(sizes, p, SmoothedLossRowsParams.ROWS);
        int t = live ? targets.get(p.get(SmoothedLossRowsParams.TARGETS) + r) : pad;
        int row = p.get(SmoothedLossRowsParams.LOG_PROBS) + r * vocab;
        float offSum = 0f, best = -Float.MAX_VALUE;
        int bestIndex = vocab;
        if (live) {
            for (int c = lid; c < vocab; c += THREADS) {
                float lp = logProbs.get(row + c);
                if (c != pad && c != t) offSum += lp;
                if (lp > best) {
                    best = lp;
                    bestIndex = c;
                }
            }
        }
        offSum = Group.sum(ctx, offSum);
        int argmax = Group.argmax(ctx, best, bestIndex);
        if (live && lid == 0) {
            float crossEntropy = -(onTarget * logProbs.get(row + t) + offTarget * offSum);
            // Entropy of the smoothed target, the same for every non-pad row: sum q log q.
            float qLogQ = (onTarget > 0f ? onTarget * TornadoMath.log(onTarget) : 0f)
                    + (offTarget > 0f ? (vocab - 2) * offTarget * TornadoMath.log(offTarget) : 0f);
            boolean counted = t != pad;
            rowLoss.set(p.get(SmoothedLossRowsParams.ROW_LOSS) + r,
                    counted ? (klDivergence != 0 ? crossEntropy + qLogQ : crossEntropy) : 0f);
            correct.set(r, counted && argmax == t ? 1f : 0f);
            nll.set(r, counted ? -logProbs.get(row + t) : 0f);
        }
    }

    interface SmoothedLossStatsParams { int ROWS = 0, PAD_ID = 1, TARGETS = 2, ROW_LOSS = 3, STATS = 4, VOCAB = 5, SENTENCES = 6; }

    /**
     * One work-group sums the non-pad rows into stats, and divides the loss as {@code reduction}
     * (a {@link Losses} code) says.
     */
    public static void smoothedLossStats(KernelContext ctx, IntArray sizes, IntArray p, IntArray targets, FloatArray rowLoss,
                                         FloatArray correct, FloatArray nll, int reduction, FloatArray stats) {
        int rows = dim(sizes, p, SmoothedLossStatsParams.ROWS), pad = p.get(SmoothedLossStatsParams.PAD_ID), lid = ctx.localIdx;
        float loss = 0f, tokens = 0f, right = 0f, nllSum = 0f;
        for (int r = lid; r < rows; r += THREADS) {
            if (targets.get(p.get(SmoothedLossStatsParams.TARGETS) + r) != pad) {
                loss += rowLoss.get(p.get(SmoothedLossStatsParams.ROW_LOSS) + r);
                tokens += 1f;
                right += correct.get(r);
                nllSum += nll.get(r);
            }
        }
        loss = Group.sum(ctx, loss);
        tokens = Group.sum(ctx, tokens);
        right = Group.sum(ctx, right);
        nllSum = Group.sum(ctx, nllSum);
        if (lid == 0) {
            stats.set(p.get(SmoothedLossStatsParams.STATS), loss);
            stats.set(p.get(SmoothedLossStatsParams.STATS) + 1, tokens);
            stats.set(p.get(SmoothedLossStatsParams.STATS) + 2, right);
            stats.set(p.get(SmoothedLossStatsParams.STATS) + 3, nllSum);
            stats.set(p.get(SmoothedLossStatsParams.STATS) + 4, loss / Losses.normalizer(reduction, rows,
                    dim(sizes, p, SmoothedLossStatsParams.VOCAB), dim(sizes, p, SmoothedLossStatsParams.SENTENCES), tokens));
        }
    }

    interface SmoothedLossBackwardParams {
        int ROWS = 0, VOCAB = 1, SENTENCES = 2, PAD_ID = 3, TARGETS = 4, LOG_PROBS = 5, STATS = 6, D_LOGITS = 7;
    }

    /**
     * dLogits += (softmax - q) / normalizer on non-pad rows, the normalizer chosen by
     * {@code reduction} (TOKEN reads the token count from stats[1] on the device). Without
     * {@code accumulate} dLogits is written instead (zero on pad rows), and may be logProbs itself:
     * each work-item reads its element before writing it.
     */
    public static void smoothedLossBackward(KernelContext ctx, IntArray sizes, IntArray p, IntArray targets,
                                            FloatArray logProbs, FloatArray stats, FloatArray dLogits,
                                            float epsilon, int reduction, int accumulate) {
        int i = ctx.globalIdx, rows = dim(sizes, p, SmoothedLossBackwardParams.ROWS);
        int vocab = dim(sizes, p, SmoothedLossBackwardParams.VOCAB), pad = p.get(SmoothedLossBackwardParams.PAD_ID);
        if (i < rows * vocab) {
            int c = i % vocab, t = targets.get(p.get(SmoothedLossBackwardParams.TARGETS) + i / vocab);
            int o = p.get(SmoothedLossBackwardParams.D_LOGITS) + i;
            float gradient = 0f;
            if (t != pad) {
                float normalizer = Losses.normalizer(reduction, rows, vocab, dim(sizes, p, SmoothedLossBackwardParams.SENTENCES),
                        stats.get(p.get(SmoothedLossBackwardParams.STATS) + 1));
                float q = Losses.targetProbability(c, t, pad, vocab, epsilon);
                gradient = (TornadoMath.exp(logProbs.get(p.get(SmoothedLossBackwardParams.LOG_PROBS) + i)) - q) * (1f / normalizer);
            }
            dLogits.set(o, accumulate != 0 ? dLogits.get(o) + gradient : gradient);
        }
    }
}
