package tt.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tt.kernels.jvm.JvmBackend;
import tt.model.LengthPenalty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole runs of the encoder-only and decoder-only models through `tt train`'s options: what each
 * objective learns on the synthetic tasks within a bounded number of updates. The small model
 * (2 layers, d_model 64, no dropout) and its schedule are what the UvA tutorial's reverse task needs.
 */
class ArchitectureRunsTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    private static final int TEST_SEQUENCES = 2000;

    private static TrainingRun.Result run(Path dir, String... args) throws IOException {
        String[] small = {"--layers", "2", "--d-model", "64", "--heads", "4", "--d-ff", "128", "--dropout", "0", "--max-tokens", "1024",
                "--schedule", "cosine-warmup", "--lr", "2e-3", "--warmup", "100", "--checkpoint-every", "0", "--eval-sentences", "200"};
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(small), java.util.Arrays.stream(args)).toArray(String[]::new);
        try (JvmBackend backend = new JvmBackend(2)) {
            return new TrainingRun(TrainOptions.parse(all).check(), dir, backend, QUIET)
                    .run(false, new TrainingRun.Test(null, null, TEST_SEQUENCES, 1, 1.0, LengthPenalty.Form.POWER));
        }
    }

    /** The UvA tutorial's reverse task from the encoder alone, position by position: at least 99.9% of test sequences exactly. */
    @Test
    void encoderOnlyReversesSequencesPositionByPosition(@TempDir Path dir) throws IOException {
        TrainingRun.Result r = run(dir, "--task", "reverse", "--arch", "encoder-only", "--steps", "500", "--eval-every", "500");
        assertTrue(r.test().exactMatch() >= 0.999, "test sequence accuracy " + r.test().exactMatch() + " after 500 updates");
    }

    /** A language model of sorted sequences: each next symbol is at least the last, far from the 10 symbols' uniform perplexity. */
    @Test
    void decoderOnlyLanguageModelLearnsSortedSequences(@TempDir Path dir) throws IOException {
        TrainingRun.Result r = run(dir, "--task", "sort", "--arch", "decoder-only", "--objective", "lm", "--steps", "300", "--eval-every", "300");
        assertTrue(Math.exp(r.test().nll()) < 3, "test perplexity " + Math.exp(r.test().nll()) + " (uniform: 10)");
        assertTrue(Double.isNaN(r.test().bleu()) && r.testHypotheses() == null, "a language model decodes nothing to score");
    }

    /** Masked symbols of a sorted sequence follow from their neighbours: well above the 10% of a guess. */
    @Test
    void encoderOnlyMaskedTokensAreRecoveredFromTheirNeighbours(@TempDir Path dir) throws IOException {
        TrainingRun.Result r = run(dir, "--task", "sort", "--arch", "encoder-only", "--objective", "mlm", "--steps", "300", "--eval-every", "300");
        assertTrue(r.test().accuracy() > 0.6, "masked-token accuracy " + r.test().accuracy());
    }

    @Test
    void anObjectiveThatDoesNotFitTheArchitectureIsRefusedNamingBoth() {
        var e = assertThrows(TrainOptions.OptionError.class, () -> TrainOptions.parse("--arch", "encoder-decoder", "--objective", "lm").check());
        assertTrue(e.getMessage().contains("--objective lm") && e.getMessage().contains("--arch encoder-decoder"), e.getMessage());
        assertThrows(TrainOptions.OptionError.class, () -> TrainOptions.parse("--arch", "decoder-only", "--objective", "mlm").check());
        assertThrows(TrainOptions.OptionError.class, () -> TrainOptions.parse("--arch", "gpt").check());
        assertThrows(TrainOptions.OptionError.class, () -> TrainOptions.parse("--arch", "decoder-only", "--objective", "lm",
                "--best-checkpoint-metric", "bleu").check());
    }
}
