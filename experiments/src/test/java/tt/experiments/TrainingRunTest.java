package tt.experiments;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tt.kernels.jvm.JvmBackend;
import tt.model.Checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingRunTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    private static TrainingRun.Evaluation train(TrainOptions o, Path dir, boolean resume) throws IOException {
        try (JvmBackend backend = new JvmBackend(2)) {
            return new TrainingRun(o, dir, backend, QUIET).run(resume);
        }
    }

    private static List<CSVRecord> rows(Path dir, String split) throws IOException {
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
    void tinyModelReversesSequencesAlmostAlways(@TempDir Path dir) throws IOException {
        TrainOptions o = reverseTask(600);
        o.evalEvery = 600;
        o.evalSentences = 500;
        TrainingRun.Evaluation last = train(o, dir, false);
        // The UvA tutorial's reverse task: at least 99% of held-out sequences exactly reversed within 600 updates.
        assertTrue(last.exactMatch() >= 0.99, "exact-match accuracy " + last.exactMatch());
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
            assertEquals(a.get(i).get("step"), b.get(i).get("step"));
            assertEquals(a.get(i).get("loss"), b.get(i).get("loss"), "loss at update " + a.get(i).get("step"));
            assertEquals(a.get(i).get("grad_norm"), b.get(i).get("grad_norm"), "gradient norm at update " + a.get(i).get("step"));
        }
        assertEquals("step-000200", Files.readString(split.resolve("checkpoints/" + Checkpoint.LATEST)).strip());
    }
}
