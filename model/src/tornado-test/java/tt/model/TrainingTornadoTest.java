package tt.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tt.kernels.Backend;
import tt.kernels.FloatBuf;
import tt.kernels.jvm.JvmBackend;
import tt.kernels.tornado.TornadoBackend;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole Transformer on TornadoVM against the JVM backend, in each architecture, at micro size
 * (one layer each side, d_model 32, a few dozen tokens per batch), dropout 0.1 so both must draw the same masks, and
 * gradient clipping on: the loss and every parameter gradient of one training step, then ten
 * optimizer updates over batches of different shapes, then evaluation (a third graph that must
 * see the trained parameters on the device).
 */
class TrainingTornadoTest {
    /** Loss and each parameter's gradient after one step: max |tornado - jvm| / max |jvm| over the tensor. */
    static final double STEP_TOLERANCE = 1e-5;
    /** Per-token losses and gradient norms of ten updates, and evaluation losses afterwards: relative. */
    static final double TRAINING_TOLERANCE = 1e-4;

    @ParameterizedTest
    @EnumSource(TransformerConfig.Arch.class)
    void trainingStepsMatchTheJvmBackend(TransformerConfig.Arch arch) {
        TransformerConfig config = TransformerConfig.preset("tiny", 20).toBuilder().layers(1).dModel(32).heads(2).dFF(64).arch(arch).build();
        BatchLimits limits = new BatchLimits(96, 6, 16);
        AdamConfig adam = AdamConfig.paper().withClipNorm(1f);
        Transformer jvmModel = Transformer.create(config, limits, adam, 3), tornadoModel = Transformer.create(config, limits, adam, 3);
        SplittableRandom rnd = new SplittableRandom(17);
        List<Batch> batches = new ArrayList<>();
        for (int b = 0; b < 10; b++) batches.add(randomBatch(rnd, 3 + b % 4, config.srcVocab(), arch));

        try (Backend jvm = new JvmBackend(2); TornadoBackend tornado = new TornadoBackend("0:0")) {
            Trainer jvmTrainer = new Trainer(jvmModel, jvm, new Schedule.Constant(1e-3));
            Trainer tornadoTrainer = new Trainer(tornadoModel, tornado, new Schedule.Constant(1e-3));

            // One step: loss and gradients, before any update.
            jvmTrainer.initialize(5);
            tornadoTrainer.initialize(5);
            Backend.Executable jvmStep = jvm.compile(jvmModel.trainStep), tornadoStep = tornado.compile(tornadoModel.trainStep);
            for (Transformer m : List.of(jvmModel, tornadoModel)) {
                m.setBatch(batches.getFirst());
                m.setStep(0);
            }
            jvmStep.run();
            tornadoStep.run();
            tornado.download(tornadoModel.gradientRoot());
            double lossError = relative(jvmModel.stats.get(0), tornadoModel.stats.get(0));
            assertEquals(jvmModel.stats.get(1), tornadoModel.stats.get(1), "target tokens");
            double worstGradient = 0;
            String worstName = "";
            for (int t = 0; t < jvmModel.parameters().size(); t++) {
                Tensor expected = jvmModel.parameters().get(t), actual = tornadoModel.parameters().get(t);
                double error = maxError(expected.grad(), actual.grad());
                assertTrue(error <= STEP_TOLERANCE, expected.name() + " gradient: error " + error + " > " + STEP_TOLERANCE);
                if (error > worstGradient) {
                    worstGradient = error;
                    worstName = expected.name();
                }
            }
            System.out.printf(Locale.ROOT, "one step on %s: loss %.6f, error %.2e; worst gradient %s, error %.2e (tolerance %.0e)%n",
                    tornado.device(), jvmModel.stats.get(0), lossError, worstName, worstGradient, STEP_TOLERANCE);
            assertTrue(lossError <= STEP_TOLERANCE, "loss error " + lossError);

            // Ten updates from a fresh start, batch shapes changing every step.
            jvmTrainer.initialize(5);
            tornadoTrainer.initialize(5);
            double worstLoss = 0, worstNorm = 0;
            for (Batch batch : batches) {
                Trainer.StepResult expected = jvmTrainer.step(batch), actual = tornadoTrainer.step(batch);
                System.out.printf(Locale.ROOT, "update %d: %d sentences x (%d, %d): loss %.6f vs %.6f, grad norm %.5f vs %.5f%n",
                        expected.update(), batch.size(), batch.sourceLength(), batch.targetLength(), expected.totals().objectivePerToken(), actual.totals().objectivePerToken(),
                        expected.gradNorm(), actual.gradNorm());
                assertEquals(expected.totals().tokens(), actual.totals().tokens());
                assertEquals(expected.totals().correct(), actual.totals().correct(), "correctly predicted tokens");
                worstLoss = Math.max(worstLoss, relative(expected.totals().objectivePerToken(), actual.totals().objectivePerToken()));
                worstLoss = Math.max(worstLoss, relative(expected.totals().nllPerToken(), actual.totals().nllPerToken()));
                worstNorm = Math.max(worstNorm, relative(expected.gradNorm(), actual.gradNorm()));
            }
            Trainer.LossTotals expected = jvmTrainer.evaluate(batches.subList(0, 3)), actual = tornadoTrainer.evaluate(batches.subList(0, 3));
            double evalError = relative(expected.nll(), actual.nll());
            System.out.printf(Locale.ROOT, "ten updates: worst loss error %.2e, grad norm error %.2e; evaluation loss %.6f vs %.6f, "
                    + "error %.2e (tolerance %.0e)%n", worstLoss, worstNorm, expected.nllPerToken(), actual.nllPerToken(), evalError,
                    TRAINING_TOLERANCE);
            assertTrue(worstLoss <= TRAINING_TOLERANCE, "loss error " + worstLoss);
            assertTrue(worstNorm <= TRAINING_TOLERANCE, "gradient norm error " + worstNorm);
            assertTrue(evalError <= TRAINING_TOLERANCE, "evaluation loss error " + evalError);
            assertEquals(expected.tokens(), actual.tokens());
            assertEquals(expected.correct(), actual.correct(), "correctly predicted tokens in evaluation");
        }
    }

    /**
     * Random token sentences of 3 to 7 tokens (plus specials), so that padding and masks matter,
     * laid out for the architecture (an encoder-only target as long as its source).
     */
    static Batch randomBatch(SplittableRandom rnd, int sentences, int vocab, TransformerConfig.Arch arch) {
        List<EncodedPair> pairs = new ArrayList<>();
        for (int i = 0; i < sentences; i++) {
            int[] source = rnd.ints(rnd.nextInt(3, 8), 4, vocab).toArray();
            int targetLength = arch == TransformerConfig.Arch.ENCODER_ONLY ? source.length : rnd.nextInt(3, 8);
            pairs.add(new EncodedPair(i, source, rnd.ints(targetLength, 4, vocab).toArray()));
        }
        return arch.layout().batch(pairs);
    }

    static double relative(double expected, double actual) {
        return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
    }

    /** max |actual - expected| / max |expected| over a tensor. */
    static double maxError(FloatBuf expected, FloatBuf actual) {
        double diff = 0, scale = 0;
        for (int i = 0; i < expected.length(); i++) {
            diff = Math.max(diff, Math.abs(actual.get(i) - expected.get(i)));
            scale = Math.max(scale, Math.abs(expected.get(i)));
        }
        return scale == 0 ? diff : diff / scale;
    }
}
