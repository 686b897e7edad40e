package tt.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets a message that names the option or file and says what to do. */
class CommandErrorsTest {
    private static String run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine().setErr(new PrintWriter(err));
        int code = cli.execute(args);
        assertNotEquals(0, code, "expected a failure for " + String.join(" ", args));
        return err.toString();
    }

    @Test
    void existingRunDirectoryIsNotOverwrittenWithoutResume(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("runs.csv"), "run,seed,step\n");
        String err = run("train", "--out", dir.toString(), "--steps", "1");
        assertTrue(err.contains("--resume") && err.contains(dir.toString()), err);
    }

    @Test
    void filesTaskNamesTheMissingOptions() {
        String err = run("train", "--task", "files", "--out", "/tmp/tt-unused-run", "--steps", "1");
        assertTrue(err.contains("--train-src"), err);
    }

    @Test
    void translateWithoutACheckpointSaysWhereItLooked(@TempDir Path dir) {
        String err = run("translate", "--checkpoint", dir.toString(), "Hallo");
        assertTrue(err.contains(dir.toString()) && err.contains("run directory"), err);
    }

    @Test
    void benchDecodeNamesItsBadOptions(@TempDir Path dir) {
        assertTrue(run("bench", "decode", "--checkpoint", dir.toString(), "--beam", "1,0").contains("--beam"));
        assertTrue(run("bench", "decode", "--checkpoint", dir.toString(), "--src", dir.resolve("missing.de").toString())
                .contains("--src " + dir.resolve("missing.de")));
        assertTrue(run("bench", "decode", "--checkpoint", dir.toString()).contains("run directory"));
    }

    @Test
    void evaluateAndAverageNameTheirBadOptions(@TempDir Path dir) throws Exception {
        assertTrue(run("evaluate", "--checkpoint", dir.toString(), "--split", "train").contains("--split train: use val or test"));
        assertTrue(run("evaluate", "--checkpoint", dir.toString(), "--max-tokens", "0").contains("--max-tokens"));
        assertTrue(run("evaluate", "--checkpoint", dir.toString()).contains("run directory"));
        assertTrue(run("evaluate", "--checkpoint", dir.toString(), "--beam", "4,5", "--out", dir.resolve("hyp").toString())
                .contains("--out writes one decoding"));
        assertTrue(run("evaluate", "--checkpoint", dir.toString(), "--length-penalty", "1,-1").contains("--length-penalty must be 0 or more"));
        assertTrue(run("translate", "--checkpoint", dir.toString(), "--length-penalty", "0.6,1.0", "Hallo").contains("tt evaluate compares several"));
        assertTrue(run("average", "--last", "2").contains("--last needs -c"));
        assertTrue(run("average", "-c", dir.toString(), "--last", "0").contains("--last must be at least 1"));
        Files.createDirectories(dir.resolve("checkpoints"));
        String err = run("average", "-c", dir.toString(), "--best", "3");
        assertTrue(err.contains("holds 0 checkpoint(s)") && err.contains("--keep-best-checkpoints 3"), err);
        assertTrue(run("average", "--inputs", dir.toString()).contains("--inputs needs --out"));
        assertTrue(run("average", "-c", dir.toString(), "--last", "1", "--best", "1").contains("mutually exclusive"));
        assertTrue(run("train", "--best-checkpoint-metric", "bleu", "--eval-sentences", "0", "--out", dir.resolve("r").toString())
                .contains("--eval-sentences"));
        assertTrue(run("train", "--keep-last-checkpoints", "0", "--out", dir.resolve("r").toString()).contains("--keep-last-checkpoints"));
    }

    @Test
    void unknownPresetAndNormAreRejected() {
        assertTrue(run("train", "--preset", "huge", "--out", "/tmp/tt-unused-run").contains("huge"));
        assertTrue(run("train", "--norm", "middle").contains("middle"));
    }
}
