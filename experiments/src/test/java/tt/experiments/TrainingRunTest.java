package tt.experiments;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tt.kernels.jvm.JvmBackend;
import tt.model.Checkpoint;
import tt.model.LengthPenalty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingRunTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    private static TrainingRun.Evaluation train(TrainOptions o, Path dir, boolean resume) throws IOException {
        try (JvmBackend backend = new JvmBackend(2)) {
            return new TrainingRun(o, dir, backend, QUIET).run(resume);
        }
    }

    static List<CSVRecord> rows(Path dir, String split) throws IOException {
        try (CSVParser p = CSVParser.parse(dir.resolve("runs.csv"), StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            return p.getRecords().stream().filter(r -> r.get("split").equals(split)).toList();
        }
    }

    /** The tiny preset on the UvA tutorial's reverse task, as the quickstart used to train it. */
    static TrainOptions reverseTask(int steps) {
        return TrainOptions.parse("--task", "reverse", "--preset", "tiny", "--steps", Integer.toString(steps), "--max-tokens", "2048",
                "--max-len", "17", "--warmup", "200", "--eval-every", "200", "--log-every", "20", "--checkpoint-every", "0");
    }

    @Test
    void aCheckpointFromBeforeTheDivergenceGuardAndTheRankingResumesWithThemEmpty() throws IOException {
        // The runner state of a checkpoint written before recentLosses and ranking existed.
        TrainingRun.Progress p = Json.MAPPER.readValue("{\"tokens\": 1843692, \"intervalUpdates\": 0, \"intervalLoss\": 0.0}",
                TrainingRun.Progress.class);
        assertEquals(List.of(), p.recentLosses());
        assertEquals(TrainingRun.Ranking.START, p.ranking());
        assertEquals(0, p.interval().tokens());
        assertEquals(1843692, p.tokens());
    }

    @Test
    void warmupDefaultsToAQuarterOfTheStepsWithinBoundsAndIsPinnedForResumes() {
        assertEquals(250, TrainOptions.parse("--steps", "1000").check().warmup, "a 1000-update run reaches its peak at 250");
        assertEquals(500, TrainOptions.parse("--steps", "2000").check().warmup);
        assertEquals(4000, TrainOptions.parse("--steps", "100000").check().warmup, "at most the paper's");
        assertEquals(250, TrainOptions.parse("--steps", "300").check().warmup, "at least 250: shorter warmups diverge");
        assertEquals(7, TrainOptions.parse("--steps", "1000", "--warmup", "7").check().warmup);
        TrainOptions started = TrainOptions.parse("--steps", "1000").check();
        started.steps = 5000;  // tt train --resume --steps 5000
        assertEquals(250, started.check().warmup, "a resume that raises --steps keeps the schedule");
    }

    @Test
    void rankingKeepsTheBestEvaluationsAndCountsThoseThatDidNotBeatTheBest() {
        TrainingRun.Ranking r = TrainingRun.Ranking.START;
        double[] nll = {3.0, 2.5, 2.7, 2.5, 2.4, 2.6};
        for (int i = 0; i < nll.length; i++) r = r.after(10 * (i + 1), nll[i], TrainOptions.BestMetric.NLL, 2, 3);
        // 2.4 at 50 is best, then 2.5 at 20 (the earlier of the tie with 40); one evaluation since the best.
        assertEquals(List.of(new TrainingRun.Ranking.Scored(50, 2.4), new TrainingRun.Ranking.Scored(20, 2.5)), r.best());
        assertEquals(1, r.sinceBest());
        assertTrue(!r.stoppedEarly());
        r = r.after(70, 2.4, TrainOptions.BestMetric.NLL, 2, 3).after(80, Double.NaN, TrainOptions.BestMetric.NLL, 2, 3);
        assertEquals(3, r.sinceBest(), "a tie and a NaN do not beat the best");
        assertTrue(r.stoppedEarly(), "--patience 3 reached");
        TrainingRun.Ranking bleu = TrainingRun.Ranking.START.after(10, 20.0, TrainOptions.BestMetric.BLEU, 1, 0)
                .after(20, 25.0, TrainOptions.BestMetric.BLEU, 1, 0).after(30, 22.0, TrainOptions.BestMetric.BLEU, 1, 0);
        assertEquals(List.of(new TrainingRun.Ranking.Scored(20, 25.0)), bleu.best(), "BLEU: higher is better");
        assertTrue(!bleu.stoppedEarly(), "--patience 0 never stops");
    }

    @Test
    void patienceStopsARunThatStopsImprovingAndKeepsItsBestCheckpoints(@TempDir Path dir) throws IOException {
        // A learning rate of 1e-30 leaves every float parameter as it is: the validation NLL never improves after the first evaluation.
        TrainOptions o = TrainOptions.parse("--task", "reverse", "--preset", "tiny", "--layers", "1", "--d-model", "32", "--heads", "2",
                "--d-ff", "64", "--steps", "100", "--max-tokens", "256", "--max-len", "17", "--schedule", "constant", "--lr", "1e-30",
                "--eval-every", "5", "--eval-sentences", "0", "--checkpoint-every", "0", "--patience", "2", "--keep-best-checkpoints", "2").check();
        train(o, dir, false);
        Path checkpoints = dir.resolve("checkpoints");
        assertEquals(List.of("5", "10", "15"), rows(dir, "val").stream().map(r -> r.get("step")).toList(), "evaluations until --patience 2 ran out");
        assertEquals("step-000015", Checkpoint.latest(checkpoints).getFileName().toString(), "a checkpoint where it stopped");
        assertEquals(List.of("step-000010", "step-000005"), Checkpoint.steps(checkpoints.resolve(Checkpoint.BEST)).stream()
                .map(p -> p.getFileName().toString()).toList(), "the two best by val NLL: all tie, so the earliest");
        int rowsBefore = rows(dir, "train").size();
        train(o, dir, true);
        assertEquals(rowsBefore, rows(dir, "train").size(), "resuming a run that stopped early trains nothing");
        assertEquals("step-000015", Checkpoint.latest(checkpoints).getFileName().toString());
    }

    @Test
    void tinyModelReversesSequencesAlmostAlways(@TempDir Path dir) throws IOException {
        TrainOptions o = reverseTask(600);
        o.evalEvery = 600;
        o.evalSentences = 500;
        TrainingRun.Evaluation last = train(o, dir, false);
        // The UvA tutorial's reverse task: at least 99% of held-out sequences exactly reversed within 600 updates.
        assertTrue(last.exactMatch() >= 0.99, "exact-match accuracy " + last.exactMatch());
        // Beam search explores more than greedy search: on the same model it is never worse on exact match.
        try (JvmBackend backend = new JvmBackend(2)) {
            LoadedCheckpoint loaded = LoadedCheckpoint.open(dir, backend, 4096, 4096, 4, "test");
            TaskData.Heldout test = TaskData.heldout(o, loaded.tokenizer(), TaskData.Split.TEST, null, null, 500);
            double greedy = TrainingRun.decode(loaded.translator(), 1, LengthPenalty.NONE, o.maxLen, loaded.tokenizer(), test).exactMatch();
            LengthPenalty power = new LengthPenalty(LengthPenalty.Form.POWER, 1.0);
            List<String> beamHypotheses = null;
            for (LengthPenalty penalty : List.of(new LengthPenalty(LengthPenalty.Form.GNMT, 0.6), power)) {
                TrainingRun.Decoded beam = TrainingRun.decode(loaded.translator(), 4, penalty, o.maxLen, loaded.tokenizer(), test);
                assertTrue(beam.exactMatch() >= greedy, "beam 4, length penalty " + penalty + ": exact match " + beam.exactMatch() + " < greedy's " + greedy);
                if (penalty == power) beamHypotheses = beam.hypotheses();
            }
            // Ensembled with itself, the model decodes exactly as alone (the log of its mean probability is its own).
            LoadedCheckpoint twice = LoadedCheckpoint.open(List.of(dir, dir), backend, 4096, 4096, 4, "test", null);
            assertEquals(beamHypotheses, TrainingRun.decode(twice.translator(), 4, power, o.maxLen, loaded.tokenizer(), test).hypotheses());
            // Chunks of one longest sentence's beams, as an ensemble too large for the heap decodes: the same translations.
            LoadedCheckpoint smallChunks = LoadedCheckpoint.open(List.of(dir, dir), backend, 4096, 1, 4, "test", null);
            assertEquals(4 * loaded.model().config.maxLen(), smallChunks.model().limits.maxTokens());
            assertEquals(beamHypotheses, TrainingRun.decode(smallChunks.translator(), 4, power, o.maxLen, loaded.tokenizer(), test).hypotheses());
        }
    }

    @Test
    void anEnsembleTooLargeForTheHeapDecodesInSmallerChunksThatFit() {
        java.util.function.IntToLongFunction bytesAt = chunk -> 1000 + 10L * chunk;  // a fixed part, and buffers that grow with the chunk
        assertEquals(4096, LoadedCheckpoint.chunkThatFits(4096, 80, bytesAt, wanted -> 1L << 40, 3, "test"), "room enough: --max-tokens as given");
        long free = bytesAt.applyAsLong(2000);
        int chunk = LoadedCheckpoint.chunkThatFits(4096, 80, bytesAt, wanted -> free, 3, "test");
        assertTrue(bytesAt.applyAsLong(chunk) <= free && chunk > 0.95 * 2000, "chunk " + chunk + " for room up to 2000");
        assertEquals(80, LoadedCheckpoint.chunkThatFits(4096, 80, bytesAt, wanted -> bytesAt.applyAsLong(80), 3, "test"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoadedCheckpoint.chunkThatFits(4096, 80, bytesAt, wanted -> bytesAt.applyAsLong(79), 3, "test"));
        assertTrue(e.getMessage().startsWith("even in chunks of 80 tokens (one longest sentence's beams), 3 models' buffers take")
                && e.getMessage().contains("TT_HEAP="), e.getMessage());
    }

    @Test
    void anEnsemblesMembersMustTranslateAlike(@TempDir Path dir) throws IOException {
        TrainOptions reverse = reverseTask(1), copy = reverseTask(1);
        copy.task = "copy";
        Path a = dir.resolve("reverse"), b = dir.resolve("copy");
        train(reverse, a, false);
        train(copy, b, false);
        try (JvmBackend backend = new JvmBackend(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LoadedCheckpoint.open(List.of(a, b), backend, 4096, 4096, 4, "test", null));
            assertTrue(e.getMessage().startsWith("--checkpoint " + b + " was trained on copy"), e.getMessage());
        }
    }

    @Test
    void resumingFromACheckpointReproducesTheUninterruptedRun(@TempDir Path dir) throws IOException {
        TrainOptions o = reverseTask(200);
        o.maxTokens = 256;
        o.logEvery = 1;
        o.evalEvery = 1000;
        o.evalSentences = 20;
        o.checkpointEvery = 50;
        Path straight = dir.resolve("straight"), split = dir.resolve("split");
        train(o, straight, false);
        o.steps = 100;
        train(o, split, false);
        // A crash after update 100 could leave a partial checkpoint directory: it must be ignored.
        Files.createDirectories(split.resolve("checkpoints/.step-000150.tmp"));
        o.steps = 200;
        train(o, split, true);

        List<CSVRecord> a = rows(straight, "train"), b = rows(split, "train");
        assertEquals(200, a.size());
        assertEquals(200, b.size(), "the resumed run keeps rows 1..100 and appends 101..200 once");
        for (int i = 0; i < a.size(); i++) {
            for (String column : RunLog.header("run")) {
                if (List.of("run", "elapsed_s", "tokens_per_s").contains(column)) continue;  // the directory's name, and the machine's speed
                assertEquals(a.get(i).get(column), b.get(i).get(column), column + " at update " + a.get(i).get("step"));
            }
        }
        assertEquals("step-000200", Files.readString(split.resolve("checkpoints/" + Checkpoint.LATEST)).strip());
    }
}
