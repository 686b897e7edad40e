package tt.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tt.kernels.Kernel.Reduction;
import tt.kernels.jvm.JvmBackend;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;

import java.util.ArrayList;
import java.util.List;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static tt.kernels.Kernel.Reduction.BATCHMEAN;
import static tt.kernels.Kernel.Reduction.MEAN;
import static tt.kernels.Kernel.Reduction.SUM;
import static tt.kernels.Kernel.Reduction.TOKEN;
import static tt.model.TransformerConfig.Arch.DECODER_ONLY;
import static tt.model.TransformerConfig.Arch.ENCODER_DECODER;
import static tt.model.TransformerConfig.Arch.ENCODER_ONLY;
import static tt.model.TransformerConfig.Init.DEFAULT;
import static tt.model.TransformerConfig.Init.XAVIER_UNIFORM;
import static tt.model.TransformerConfig.LossKind.CROSS_ENTROPY;
import static tt.model.TransformerConfig.LossKind.KL;
import static tt.model.TransformerConfig.NormPlacement.POST;
import static tt.model.TransformerConfig.NormPlacement.PRE;

/**
 * One fp32 train step of the whole model against {@link ReferenceTransformer} in float64, on a
 * tiny model of each architecture and a padded batch of three sentences of different lengths: the loss, and the
 * gradient of every parameter tensor against central differences of the reference (h = 1e-5 in
 * double, all entries of tensors up to {@value SAMPLES} entries, {@value SAMPLES} random ones of
 * larger tensors; an entry that fails is retried at h = 1e-7, because a ReLU input within h of 0
 * breaks the central difference there and not closer in, where a real error would remain).
 * Dropout runs with the same masks (same seed and step) on both sides.
 *
 * <p>Tolerances, what float32 achieves here with a margin of ~10x (largest observed over the
 * variants: loss 9.5e-8 relative, gradient 1.8e-6 of the tensor's largest): loss relative 1e-6;
 * gradient |g32 - gref| <= 2e-5 * max |gref| over the tensor's checked entries. The bound scales
 * with the tensor's largest gradient because float32 rounding in sums over many terms, and
 * cancellation in layer-norm and softmax backward, cost small entries their relative accuracy.
 */
class TransformerGradientTest {
    private static final int DROPOUT_SEED = 11, STEP = 5, INIT_SEED = 7, SAMPLES = 16;
    private static final double H = 1e-5, LOSS_TOLERANCE = 1e-6, GRADIENT_TOLERANCE = 2e-5;
    private static final BatchLimits LIMITS = new BatchLimits(48, 3, 16);

    /** Every value of every option at least once, most of them several times in different company. */
    static Stream<Arguments> variants() {
        return Stream.of(
                variant(POST, XAVIER_UNIFORM, KL, TOKEN, 0.1f, true, 0f),
                variant(POST, XAVIER_UNIFORM, KL, TOKEN, 0.1f, true, 0.1f),
                variant(PRE, DEFAULT, KL, SUM, 0f, false, 0.1f),
                variant(POST, DEFAULT, KL, MEAN, 0.1f, false, 0f),
                variant(PRE, XAVIER_UNIFORM, KL, BATCHMEAN, 0.1f, true, 0.1f),
                variant(POST, XAVIER_UNIFORM, CROSS_ENTROPY, TOKEN, 0.1f, false, 0.1f),
                variant(PRE, DEFAULT, CROSS_ENTROPY, SUM, 0f, true, 0f),
                variant(PRE, XAVIER_UNIFORM, KL, MEAN, 0f, false, 0.1f),
                variant(POST, DEFAULT, KL, BATCHMEAN, 0f, true, 0.1f),
                variant(PRE, DEFAULT, KL, TOKEN, 0.1f, false, 0f),
                variant(ENCODER_ONLY, POST, XAVIER_UNIFORM, KL, TOKEN, 0.1f, true, 0.1f),
                variant(ENCODER_ONLY, PRE, DEFAULT, CROSS_ENTROPY, BATCHMEAN, 0f, false, 0f),
                variant(DECODER_ONLY, POST, XAVIER_UNIFORM, KL, TOKEN, 0.1f, true, 0.1f),
                variant(DECODER_ONLY, PRE, DEFAULT, KL, SUM, 0.1f, false, 0f),
                variant(DECODER_ONLY, PRE, XAVIER_UNIFORM, CROSS_ENTROPY, MEAN, 0f, true, 0.1f),
                // Attention and activation dropout at rates of their own (fairseq's 0, and above the residual rate).
                variant(ENCODER_DECODER, POST, XAVIER_UNIFORM, KL, TOKEN, 0.1f, true, 0.1f, 0f, 0.3f),
                variant(DECODER_ONLY, PRE, DEFAULT, KL, TOKEN, 0.1f, true, 0.2f, 0.4f, 0f));
    }

    private static Arguments variant(TransformerConfig.NormPlacement norm, TransformerConfig.Init init, TransformerConfig.LossKind loss,
                                     Reduction reduction, float smoothing, boolean tied, float dropout) {
        return variant(ENCODER_DECODER, norm, init, loss, reduction, smoothing, tied, dropout);
    }

    private static Arguments variant(TransformerConfig.Arch arch, TransformerConfig.NormPlacement norm, TransformerConfig.Init init,
                                     TransformerConfig.LossKind loss, Reduction reduction, float smoothing, boolean tied, float dropout) {
        return variant(arch, norm, init, loss, reduction, smoothing, tied, dropout, dropout, dropout);
    }

    private static Arguments variant(TransformerConfig.Arch arch, TransformerConfig.NormPlacement norm, TransformerConfig.Init init,
                                     TransformerConfig.LossKind loss, Reduction reduction, float smoothing, boolean tied, float dropout,
                                     float attentionDropout, float activationDropout) {
        TransformerConfig c = TransformerConfig.paper(2, 16, 2, 32, dropout, 13).toBuilder()
                .vocab(13, tied || arch == DECODER_ONLY ? 13 : 11).tieEmbeddings(tied).maxLen(16).arch(arch)
                .norm(norm).init(init).loss(loss).reduction(reduction).labelSmoothing(smoothing)
                .attentionDropout(attentionDropout).activationDropout(activationDropout).build();
        String name = String.format("%s %s-LN %s %s/%s smoothing %s %s dropout %s", arch.label(), norm, init, loss, reduction, smoothing,
                tied ? "tied" : "untied", dropout) + (attentionDropout == dropout && activationDropout == dropout ? ""
                : String.format(" attention %s activation %s", attentionDropout, activationDropout));
        return Arguments.of(name, c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void lossAndGradientsMatchFloat64Reference(String name, TransformerConfig c) {
        Transformer model = Transformer.create(c, LIMITS, AdamConfig.paper(), DROPOUT_SEED);
        Batch batch = batch(c, new int[] {6, 3, 7}, new int[] {5, 7, 2});
        try (JvmBackend backend = new JvmBackend(2)) {
            new Trainer(model, backend, new Schedule.Constant(1e-3)).initialize(INIT_SEED);
            randomizeNorms(model);
            // Not Trainer.step: its update would zero the gradients. A first step on a batch of
            // another shape must leave nothing behind that the checked step sees.
            var trainStep = backend.compile(model.trainStep);
            model.setBatch(batch(c, new int[] {7, 7, 7}, new int[] {7, 7, 7}));
            model.setStep(STEP + 1);
            trainStep.run();
            model.gradientRoot().fill(0f);
            model.setBatch(batch);
            model.setStep(STEP);
            trainStep.run();
        }
        ReferenceTransformer reference = new ReferenceTransformer(c, ReferenceTransformer.parametersOf(model), DROPOUT_SEED, STEP);

        double expectedLoss = reference.loss(batch);
        double loss = model.stats.get(0) / c.reduction().normalizer(batch.size() * batch.targetLength(), c.tgtVocab(),
                batch.size(), model.stats.get(1));
        double lossError = Math.abs(loss - expectedLoss) / Math.abs(expectedLoss);
        assertTrue(lossError <= LOSS_TOLERANCE, name + ": loss " + loss + ", float64 reference " + expectedLoss);

        double worst = 0;
        String worstAt = "";
        for (Tensor t : model.parameters()) {
            double[][] p = reference.params.get(t.name());
            int cols = p[0].length;
            int[] entries = t.size() <= SAMPLES ? IntStream.range(0, t.size()).toArray()
                    : new SplittableRandom(t.name().hashCode()).ints(0, t.size()).distinct().limit(SAMPLES).toArray();
            double[] expected = new double[entries.length];
            double scale = 0;
            for (int k = 0; k < entries.length; k++) {
                expected[k] = centralDifference(reference, batch, p[entries[k] / cols], entries[k] % cols, H);
                scale = Math.max(scale, Math.abs(expected[k]));
            }
            for (int k = 0; k < entries.length; k++) {
                double actual = t.grad().get(entries[k]);
                double error = Math.abs(actual - expected[k]) / Math.max(scale, 1e-30);
                if (error > GRADIENT_TOLERANCE) {
                    // A ReLU input within h of 0 puts a kink inside [x - h, x + h]; closer in, a real error stays.
                    expected[k] = centralDifference(reference, batch, p[entries[k] / cols], entries[k] % cols, H / 100);
                    error = Math.abs(actual - expected[k]) / Math.max(scale, 1e-30);
                }
                assertTrue(error <= GRADIENT_TOLERANCE, name + ": d loss / d " + t.name() + "[" + entries[k] + "] = " + actual
                        + ", float64 finite difference " + expected[k] + " (largest checked |gradient| in the tensor " + scale + ")");
                if (error > worst) {
                    worst = error;
                    worstAt = t.name() + "[" + entries[k] + "]";
                }
            }
        }
        System.out.printf("%s: loss relative error %.2e, gradient error / max|gradient| %.2e at %s%n", name, lossError, worst, worstAt);
    }

    /** (loss(x + h) - loss(x - h)) / 2h for the parameter entry row[j] of the reference. */
    private static double centralDifference(ReferenceTransformer reference, Batch batch, double[] row, int j, double h) {
        double saved = row[j];
        row[j] = saved + h;
        double up = reference.loss(batch);
        row[j] = saved - h;
        double down = reference.loss(batch);
        row[j] = saved;
        return (up - down) / (2 * h);
    }

    /**
     * Random tokens (UNK included) in sentences of the given lengths, laid out for the architecture;
     * the checked batch pads both sides. Encoder-only targets are as long as their sources, one of
     * them &lt;pad&gt; (a position that predicts nothing); decoder-only, the second pair has no source
     * (a language-model row among translation rows).
     */
    private static Batch batch(TransformerConfig c, int[] srcLengths, int[] tgtLengths) {
        SplittableRandom r = new SplittableRandom(srcLengths[0]);
        List<EncodedPair> pairs = new ArrayList<>();
        for (int i = 0; i < srcLengths.length; i++) {
            int srcLength = c.arch() == TransformerConfig.Arch.DECODER_ONLY && i == 1 ? 0 : srcLengths[i];
            int[] target = r.ints(c.arch() == TransformerConfig.Arch.ENCODER_ONLY ? srcLength : tgtLengths[i], TransformerConfig.UNK, c.tgtVocab()).toArray();
            if (c.arch() == TransformerConfig.Arch.ENCODER_ONLY) target[i] = TransformerConfig.PAD;
            pairs.add(new EncodedPair(i, r.ints(srcLength, TransformerConfig.UNK, c.srcVocab()).toArray(), target));
        }
        return c.arch().layout().batch(pairs);
    }

    /** Layer norms start at gamma 1, beta 0, which would hide a backward that forgets either; move them off. */
    private static void randomizeNorms(Transformer model) {
        SplittableRandom r = new SplittableRandom(5);
        for (Tensor t : model.parameters()) {
            if (!t.name().matches(".*norm\\d?\\.(weight|bias)")) continue;
            double base = t.name().endsWith("weight") ? 1 : 0;
            for (int i = 0; i < t.size(); i++) t.value().set(i, (float) (base + r.nextDouble(-0.3, 0.3)));
        }
    }
}
