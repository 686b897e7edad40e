package tt.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tt.kernels.jvm.JvmBackend;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A small slice of Multi30k de-en (read from ../shared/data/multi30k), then translate from its checkpoint. */
class Multi30kTrainingTest {

    @Test
    void aSliceOfMulti30kTrainsAndItsCheckpointTranslates(@TempDir Path dir) throws Exception {
        TrainOptions o = TrainOptions.parse("--task", "multi30k", "--train-size", "3000", "--vocab-size", "2000", "--preset", "tiny",
                "--steps", "250", "--max-tokens", "1024", "--warmup", "100", "--max-len", "40", "--eval-every", "250",
                "--eval-sentences", "50", "--checkpoint-every", "0");
        Path run = dir.resolve("m30k");
        TrainingRun.Evaluation last;
        try (JvmBackend backend = new JvmBackend(2)) {
            last = new TrainingRun(o, run, backend, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run(false);
        }
        // Untrained, the per-token NLL is about ln(2000) = 7.6; 250 updates on 3000 pairs bring it below 5.0 (seen: 4.6).
        assertTrue(last.nll() < 5.0, "validation loss " + last.nll());

        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = cli.execute("translate", "--checkpoint", run.toString(), "--threads", "2",
                    "Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee.");
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, code, err.toString());
        String[] lines = captured.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(2, lines.length, "one translation per input: " + captured);
        for (String line : lines) assertTrue(!line.isBlank(), "empty translation");
    }
}
