package tt.kernels;

import org.junit.jupiter.api.Test;
import tt.kernels.Kernel.Reduction;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tt.kernels.Harness.*;

/**
 * Label-smoothed KL / cross-entropy and its gradient through log-softmax, for every reduction,
 * against a float64 reference whose gradient is checked by central differences.
 */
class LossKernelsTest {
    private static final int PAD_ID = 1;
    private final Random rnd = new Random(31);

    /** The smoothed target of a non-pad row: 1-eps on the target, 0 on pad, eps spread evenly over the other vocab-2 tokens. */
    static double target(int c, int t, int vocab, double eps) {
        return c == t ? 1 - eps : c == PAD_ID ? 0 : eps / (vocab - 2);
    }

    static double[] rowLosses(int rows, int vocab, double eps, boolean kl, int[] targets, double[] logProbs) {
        double[] loss = new double[rows];
        for (int r = 0; r < rows; r++) {
            if (targets[r] == PAD_ID) continue;
            for (int c = 0; c < vocab; c++) {
                double q = target(c, targets[r], vocab, eps), lp = logProbs[r * vocab + c];
                if (q > 0) loss[r] += kl ? q * (Math.log(q) - lp) : -q * lp;
            }
        }
        return loss;
    }

    static int tokens(int rows, int[] targets) {
        int n = 0;
        for (int r = 0; r < rows; r++) if (targets[r] != PAD_ID) n++;
        return n;
    }

    static double normalizer(Reduction reduction, int rows, int vocab, int sentences, int[] targets) {
        return switch (reduction) {
            case SUM -> 1;
            case MEAN -> rows * vocab;
            case BATCHMEAN -> sentences;
            case TOKEN -> tokens(rows, targets);
        };
    }

    /** The reduced loss as a function of the logits: what the backward kernel differentiates. */
    static double reducedLoss(int rows, int vocab, int sentences, double eps, boolean kl, Reduction reduction, int[] targets, double[] logits) {
        double sum = 0;
        for (double l : rowLosses(rows, vocab, eps, kl, targets, NormKernelsTest.logSoftmax(rows, vocab, logits))) sum += l;
        return sum / normalizer(reduction, rows, vocab, sentences, targets);
    }

    /** (softmax(logits) - q) / normalizer on non-pad rows. */
    static double[] lossGradient(int rows, int vocab, int sentences, double eps, Reduction reduction, int[] targets, double[] logits) {
        double[] lp = NormKernelsTest.logSoftmax(rows, vocab, logits), g = new double[rows * vocab];
        double norm = normalizer(reduction, rows, vocab, sentences, targets);
        for (int r = 0; r < rows; r++) {
            if (targets[r] == PAD_ID) continue;
            for (int c = 0; c < vocab; c++) g[r * vocab + c] = (Math.exp(lp[r * vocab + c]) - target(c, targets[r], vocab, eps)) / norm;
        }
        return g;
    }

    /** Every third row is pad; the others get a random non-pad target, half of them made the argmax. */
    private int[] targets(int rows, int vocab, double[] logits) {
        int[] t = new int[rows];
        for (int r = 0; r < rows; r++) {
            if (r % 3 == 2) {
                t[r] = PAD_ID;
                continue;
            }
            do t[r] = rnd.nextInt(vocab); while (t[r] == PAD_ID);
            if (r % 2 == 0) logits[r * vocab + t[r]] += 4;
        }
        return t;
    }

    @Test
    void referenceGradientMatchesFiniteDifferences() {
        int rows = 4, vocab = 5, sentences = 2;
        double[] logits = nonzero(rnd, rows * vocab);
        int[] t = targets(rows, vocab, logits);
        for (Reduction reduction : Reduction.values()) {
            for (boolean kl : new boolean[] {false, true}) {
                for (double eps : new double[] {0, 0.1}) {
                    assertGradient(reduction + " kl=" + kl + " eps=" + eps,
                            z -> new double[] {reducedLoss(rows, vocab, sentences, eps, kl, reduction, t, z)}, logits,
                            new double[] {1}, lossGradient(rows, vocab, sentences, eps, reduction, t, logits));
                }
            }
        }
    }

    @Test
    void targetOutsideTheVocabularyFailsNamingIt() {
        Dim rows = Dim.fixed(3), vocab = Dim.fixed(5);
        for (int bad : new int[] {5, -2}) {
            IntBuf targets = ints("targets", 2, bad, PAD_ID);
            FloatBuf logProbs = floats("logProbs", 15, rnd), stats = floats("stats", Kernel.SmoothedLoss.STATS, rnd);
            for (Kernel k : new Kernel[] {
                    new Kernel.SmoothedLoss(rows, vocab, Dim.fixed(1), PAD_ID, 0.1f, true, Reduction.SUM, targets, logProbs, floats("rowLoss", 3, rnd), stats),
                    new Kernel.SmoothedLossBackward(rows, vocab, Dim.fixed(1), PAD_ID, 0.1f, Reduction.SUM, targets, logProbs, stats,
                            floats("dLogits", 15, rnd)),
                    new Kernel.SmoothedLossAndGradient(rows, vocab, Dim.fixed(1), PAD_ID, 0.1f, true, Reduction.SUM, targets, logProbs,
                            floats("rowLoss", 3, rnd), stats, logProbs)}) {
                StepGraph g = new StepGraph("step").add("decoder loss", k);
                RuntimeException e = assertThrows(RuntimeException.class, () -> run(g));
                assertTrue(e.getMessage().contains("target id " + bad + " at row 1") && e.getMessage().contains("'decoder loss'"),
                        e.getMessage());
            }
        }
    }

    @Test
    void smoothedLossStatsAndGradientForEveryReduction() {
        int[][] shapes = {{1, 3}, {7, 5}, {33, 64}, {5, 130}}; // rows, vocab
        for (int[] shape : shapes) {
            for (Reduction reduction : Reduction.values()) {
                for (boolean kl : new boolean[] {false, true}) {
                    for (float eps : new float[] {0f, 0.1f}) {
                        checkLoss(Grid.of("loss " + reduction + " kl=" + kl + " eps=" + eps, shape), reduction, kl, eps);
                    }
                }
            }
        }
    }

    /**
     * The fused kernel gives the unfused ones' numbers exactly: the same row loss and stats bits, and
     * the same gradient (as numbers: a dropped -0 may become +0), zero on pad rows, written over the
     * logits or beside them, for every reduction and on 1 and 3 threads.
     */
    @Test
    void fusedLossAndGradientGivesTheUnfusedNumbers() {
        int[][] shapes = {{1, 3}, {7, 5}, {33, 64}, {5, 130}}; // rows, vocab
        for (int[] shape : shapes) {
            for (Reduction reduction : Reduction.values()) {
                for (boolean inPlace : new boolean[] {false, true}) {
                    for (int threads : new int[] {1, 3}) {
                        Grid grid = Grid.of("fused " + reduction + " inPlace=" + inPlace + " threads=" + threads, shape);
                        int rows = grid.r(), vocab = grid.c(), n = grid.n();
                        Dim sentences = live(grid.graph(), "sentences", (rows + 2) / 3);
                        FloatBuf logits = floats("logits", grid.maxN(), rnd);
                        double[] z = doubles(logits, n);
                        int[] all = new int[grid.rows().max()];
                        System.arraycopy(targets(rows, vocab, z), 0, all, 0, rows);
                        IntBuf targets = ints("targets", all);
                        FloatBuf logProbs = floats("logProbs", grid.maxN(), rnd), dUnfused = FloatBuf.allocate("dUnfused", grid.maxN());
                        FloatBuf rowLoss = floats("rowLoss", rows, rnd), stats = floats("stats", Kernel.SmoothedLoss.STATS, rnd);
                        FloatBuf fusedLoss = floats("fusedLoss", rows, rnd), fusedStats = floats("fusedStats", Kernel.SmoothedLoss.STATS, rnd);
                        FloatBuf dFused = inPlace ? logits : floats("dFused", grid.maxN(), rnd);
                        StepGraph unfused = new StepGraph("unfused", grid.graph().sizes())
                                .add("log probs", new Kernel.LogSoftmax(grid.rows(), grid.cols(), logits, logProbs))
                                .add("loss", new Kernel.SmoothedLoss(grid.rows(), grid.cols(), sentences, PAD_ID, 0.1f, true, reduction,
                                        targets, logProbs, rowLoss, stats))
                                .add("loss backward", new Kernel.SmoothedLossBackward(grid.rows(), grid.cols(), sentences, PAD_ID, 0.1f,
                                        reduction, targets, logProbs, stats, dUnfused));
                        run(unfused, threads);
                        run(new StepGraph("fused", grid.graph().sizes()).add("loss and gradient", new Kernel.SmoothedLossAndGradient(
                                grid.rows(), grid.cols(), sentences, PAD_ID, 0.1f, true, reduction, targets, logits, fusedLoss, fusedStats,
                                dFused)), threads);
                        String at = grid.at();
                        assertArrayEquals(rowLoss.toArray(), fusedLoss.toArray(), "row loss " + at);
                        assertArrayEquals(stats.toArray(), fusedStats.toArray(), "stats " + at);
                        assertArrayEquals(java.util.Arrays.copyOf(dUnfused.toArray(), n), java.util.Arrays.copyOf(dFused.toArray(), n), 0f,
                                "dLogits " + at);
                    }
                }
            }
        }
    }

    private void checkLoss(Grid grid, Reduction reduction, boolean kl, float eps) {
        int rows = grid.r(), vocab = grid.c(), n = grid.n();
        Dim sentences = live(grid.graph(), "sentences", (rows + 2) / 3);
        FloatBuf logits = floats("logits", grid.maxN(), rnd), logProbs = floats("logProbs", grid.maxN(), rnd);
        FloatBuf rowLoss = floats("rowLoss", grid.rows().max(), rnd), stats = floats("stats", Kernel.SmoothedLoss.STATS, rnd);
        FloatBuf dLogits = floats("dLogits", grid.maxN(), rnd);
        double[] z = doubles(logits, n);
        int[] t = targets(rows, vocab, z);
        for (int i = 0; i < n; i++) logits.set(i, (float) z[i]);
        int[] allTargets = new int[grid.rows().max()];
        System.arraycopy(t, 0, allTargets, 0, rows);
        IntBuf targets = ints("targets", allTargets);

        double[] lp = NormKernelsTest.logSoftmax(rows, vocab, z), loss = rowLosses(rows, vocab, eps, kl, t, lp);
        double sum = 0, nll = 0;
        int correct = 0;
        for (int r = 0; r < rows; r++) {
            sum += loss[r];
            if (t[r] != PAD_ID) nll -= lp[r * vocab + t[r]];
            int argmax = 0;
            for (int c = 1; c < vocab; c++) if (lp[r * vocab + c] > lp[r * vocab + argmax]) argmax = c;
            if (t[r] != PAD_ID && argmax == t[r]) correct++;
        }
        double[] dLogitsAfter = plus(doubles(dLogits, n), lossGradient(rows, vocab, grid.graph().sizes().get(sentences), eps, reduction, t, z));
        float[] rowLossBefore = snapshot(rowLoss), statsBefore = snapshot(stats), dLogitsBefore = snapshot(dLogits);

        grid.graph().add("log probs", new Kernel.LogSoftmax(grid.rows(), grid.cols(), logits, logProbs))
                .add("loss", new Kernel.SmoothedLoss(grid.rows(), grid.cols(), sentences, PAD_ID, eps, kl, reduction, targets, logProbs, rowLoss, stats))
                .add("loss backward", new Kernel.SmoothedLossBackward(grid.rows(), grid.cols(), sentences, PAD_ID, eps, reduction,
                        targets, logProbs, stats, dLogits));
        run(grid.graph());

        // Losses come from float32 log-probs (1e-6 absolute each): 1e-5 of the largest row loss.
        assertOutput("row loss " + grid.at(), rowLossBefore, loss, rowLoss, 1e-5);
        // Sums of rows: 1e-5 relative, and 1e-6 absolute per row for the float32 log-probs a small NLL is made of.
        double reduced = sum / Math.max(1, normalizer(reduction, rows, vocab, grid.graph().sizes().get(sentences), t));
        assertOutput("stats " + grid.at(), statsBefore, new double[] {sum, tokens(rows, t), correct, nll, reduced}, stats, 1e-5, 1e-6 * rows);
        assertEquals(tokens(rows, t), stats.get(1), "non-pad tokens " + grid.at());
        assertEquals(correct, stats.get(2), "correct tokens " + grid.at());
        assertOutput("dLogits " + grid.at(), dLogitsBefore, dLogitsAfter, dLogits, 1e-5);
        for (int r = 0; r < rows; r++) {
            if (t[r] != PAD_ID) continue;
            assertEquals(0f, rowLoss.get(r), "pad row loss " + r + " " + grid.at());
            for (int c = 0; c < vocab; c++) {
                assertEquals(dLogitsBefore[dLogits.offset() + r * vocab + c], dLogits.get(r * vocab + c), "pad row gradient " + grid.at());
            }
        }
    }
}
