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
    void unknownPresetAndNormAreRejected() {
        assertTrue(run("train", "--preset", "huge", "--out", "/tmp/tt-unused-run").contains("huge"));
        assertTrue(run("train", "--norm", "middle").contains("middle"));
    }
}
