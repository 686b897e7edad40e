package tt.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;
import tt.kernels.Kernel.Reduction;
import tt.kernels.Kernel.SmoothedLoss;
import tt.kernels.Kernel.SmoothedLossBackward;
import tt.kernels.StepGraph;
import tt.kernels.jvm.JvmBackend;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static tt.model.TransformerConfig.PAD;

/**
 * The loss definition on its own: the loss kernels as the model configures them (Generator), on
 * random log-probabilities of a padded batch, against {@link ReferenceTransformer#reducedLoss} in
 * float64 for every reduction, loss kind and smoothing, and the reference itself against a closed
 * form. Tolerances: loss relative 1e-6; dLoss/dLogits within 1e-5 of the largest entry, against
 * central differences (h = 1e-6) of the float64 loss through log-softmax.
 */
class SmoothedLossTest {
    private static final int VOCAB = 9, SENTENCES = 4, LEN = 5, ROWS = SENTENCES * LEN;
    private static final int[] TARGET_LENGTHS = {5, 3, 1, 4};

    static Stream<Arguments> losses() {
        return Arrays.stream(Reduction.values()).flatMap(r -> Stream.of(TransformerConfig.LossKind.values())
                .flatMap(kind -> Stream.of(0f, 0.1f).map(eps -> Arguments.of(r, kind, eps))));
    }

    @ParameterizedTest(name = "{0} {1} smoothing {2}")
    @MethodSource("losses")
    void lossAndGradientMatchFloat64(Reduction reduction, TransformerConfig.LossKind kind, float smoothing) {
        TransformerConfig c = config(reduction, kind, smoothing);
        SplittableRandom r = new SplittableRandom(17);
        double[][] logits = new double[ROWS][VOCAB];
        for (double[] row : logits) for (int v = 0; v < VOCAB; v++) row[v] = r.nextGaussian() * 2;
        int[] targets = new int[ROWS];
        for (int s = 0; s < SENTENCES; s++) {
            for (int t = 0; t < TARGET_LENGTHS[s]; t++) targets[s * LEN + t] = r.nextInt(1, VOCAB);
        }
        double[][] logProbs = ReferenceTransformer.logSoftmax(logits);
        float[][] result = run(c, logProbs, targets);
        float[] stats = result[0], dLogits = result[1];

        double expected = ReferenceTransformer.reducedLoss(c, logProbs, targets, SENTENCES);
        assertEquals(Arrays.stream(TARGET_LENGTHS).sum(), stats[1], "non-pad tokens");
        assertEquals(correctPredictions(logProbs, targets), stats[2], "non-pad tokens whose argmax is the target");
        assertEquals(expected, stats[0] / reduction.normalizer(ROWS, VOCAB, SENTENCES, stats[1]), 1e-6 * Math.abs(expected));
        assertEquals(expected, stats[tt.kernels.Kernel.SmoothedLoss.REDUCED_LOSS], 1e-6 * Math.abs(expected), "the kernel's own reduced loss");

        double h = 1e-6, scale = 0;
        double[] numeric = new double[ROWS * VOCAB];
        for (int i = 0; i < numeric.length; i++) {
            double[] row = logits[i / VOCAB];
            double saved = row[i % VOCAB];
            row[i % VOCAB] = saved + h;
            double up = ReferenceTransformer.reducedLoss(c, ReferenceTransformer.logSoftmax(logits), targets, SENTENCES);
            row[i % VOCAB] = saved - h;
            double down = ReferenceTransformer.reducedLoss(c, ReferenceTransformer.logSoftmax(logits), targets, SENTENCES);
            row[i % VOCAB] = saved;
            numeric[i] = (up - down) / (2 * h);
            scale = Math.max(scale, Math.abs(numeric[i]));
        }
        for (int i = 0; i < numeric.length; i++) {
            assertEquals(numeric[i], dLogits[i], 1e-5 * scale, "dLoss/dLogits[" + i / VOCAB + ", " + i % VOCAB + "], target "
                    + targets[i / VOCAB]);
        }
    }

    /**
     * Uniform predictions p = 1/V: each non-pad row's KL is (1-eps) log((1-eps) V) + eps log(eps V / (V-2)),
     * its cross-entropy log V, whatever the target.
     */
    @Test
    void uniformPredictionsGiveTheClosedForm() {
        double eps = 0.1f;
        double kl = (1 - eps) * Math.log((1 - eps) * VOCAB) + eps * Math.log(eps * VOCAB / (VOCAB - 2)), ce = Math.log(VOCAB);
        double[][] logProbs = new double[ROWS][VOCAB];
        for (double[] row : logProbs) Arrays.fill(row, -Math.log(VOCAB));
        int[] targets = new int[ROWS];
        for (int s = 0; s < SENTENCES; s++) Arrays.fill(targets, s * LEN, s * LEN + TARGET_LENGTHS[s], 1 + s);
        int tokens = Arrays.stream(TARGET_LENGTHS).sum();
        for (Reduction reduction : Reduction.values()) {
            double divisor = switch (reduction) {
                case SUM -> 1;
                case MEAN -> ROWS * VOCAB;
                case BATCHMEAN -> SENTENCES;
                case TOKEN -> tokens;
            };
            for (var kind : TransformerConfig.LossKind.values()) {
                TransformerConfig c = config(reduction, kind, (float) eps);
                double expected = tokens * (kind == TransformerConfig.LossKind.KL ? kl : ce) / divisor;
                assertEquals(expected, ReferenceTransformer.reducedLoss(c, logProbs, targets, SENTENCES), 1e-12 * expected,
                        "reference " + reduction + " " + kind);
                float[] stats = run(c, logProbs, targets)[0];
                assertEquals(expected, stats[0] / reduction.normalizer(ROWS, VOCAB, SENTENCES, stats[1]), 1e-6 * expected,
                        "kernel " + reduction + " " + kind);
            }
        }
    }

    private static int correctPredictions(double[][] logProbs, int[] targets) {
        int correct = 0;
        for (int r = 0; r < ROWS; r++) {
            int argmax = 0;
            for (int v = 1; v < VOCAB; v++) if (logProbs[r][v] > logProbs[r][argmax]) argmax = v;
            if (targets[r] != PAD && argmax == targets[r]) correct++;
        }
        return correct;
    }

    private static TransformerConfig config(Reduction reduction, TransformerConfig.LossKind kind, float smoothing) {
        return TransformerConfig.paper(1, 8, 1, 8, 0f, VOCAB).toBuilder()
                .loss(kind).reduction(reduction).labelSmoothing(smoothing).build();
    }

    /** The training loss as Generator wires it, forward then backward: {stats, dLogits}. */
    private static float[][] run(TransformerConfig c, double[][] logProbs, int[] targets) {
        StepGraph g = new StepGraph("loss");
        Dim rows = g.live("rows", ROWS), sentences = g.live("sentences", SENTENCES), vocab = Dim.fixed(VOCAB);
        float[] lp = new float[ROWS * VOCAB];
        for (int i = 0; i < lp.length; i++) lp[i] = (float) logProbs[i / VOCAB][i % VOCAB];
        FloatBuf logProbBuf = FloatBuf.of("log_probs", lp), stats = FloatBuf.allocate("stats", tt.kernels.Kernel.SmoothedLoss.STATS);
        FloatBuf dLogits = FloatBuf.allocate("d_logits", ROWS * VOCAB);
        IntBuf targetBuf = IntBuf.of("targets", targets);
        g.add("loss", new SmoothedLoss(rows, vocab, sentences, PAD, c.labelSmoothing(), c.loss() == TransformerConfig.LossKind.KL, c.reduction(),
                targetBuf, logProbBuf, FloatBuf.allocate("row_loss", ROWS), stats));
        g.add("loss backward", new SmoothedLossBackward(rows, vocab, sentences, PAD, c.labelSmoothing(), c.reduction(),
                targetBuf, logProbBuf, stats, dLogits));
        g.set(rows, ROWS);
        g.set(sentences, SENTENCES);
        try (JvmBackend backend = new JvmBackend(2)) {
            backend.compile(g).run();
        }
        return new float[][] {stats.toArray(), dLogits.toArray()};
    }
}
