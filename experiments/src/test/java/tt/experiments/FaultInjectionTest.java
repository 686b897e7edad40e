package tt.experiments;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tt.kernels.jvm.JvmBackend;
import tt.model.Checkpoint;
import tt.model.Trainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing finished is lost and nothing silently wrong is accepted: kill -9 at seeded random
 * moments and in the middle of checkpoint writes, two writers on one run, damaged checkpoints and
 * logs, a full disk, and every bad option a user may type. Each test prints what it injected.
 */
class FaultInjectionTest {
    @TempDir Path dir;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream terminal = new PrintStream(output, true, StandardCharsets.UTF_8);

    private ExperimentSpec spec(int steps) throws IOException {
        Path f = dir.resolve("tiny.yaml");
        Files.writeString(f, ExperimentRunnerTest.TINY.formatted(steps));
        return ExperimentSpec.read(f);
    }

    private void runCell(ExperimentSpec spec, Path out) throws Exception {
        assertEquals(0, new ExperimentRunner(spec, out, terminal).run(List.of(spec.cells.getFirst()),
                new ExperimentRunner.Plan(JvmBackend::new, 2, 1, false)), output.toString());
    }

    /** (split, step) of every row: a row lost or written twice shows up here. */
    private static Map<String, Integer> rowKeys(Path runsCsv) throws IOException {
        Map<String, Integer> keys = new HashMap<>();
        for (RunLog.Row r : RunLog.read(runsCsv)) keys.merge(r.split() + "@" + r.step(), 1, Integer::sum);
        return keys;
    }

    @Test
    void killedAtSeededRandomMomentsAndMidCheckpointACellStillEndsAsAnUninterruptedOne() throws Exception {
        ExperimentSpec spec = spec(120);
        Path straight = dir.resolve("straight"), broken = dir.resolve("broken");
        runCell(spec, straight);
        Path cell = spec.cells.getFirst().dir(broken.resolve("tiny"));
        Random random = new Random(20261201);
        int kills = 0, midCheckpoint = 0;
        for (int round = 0; round < 6; round++) {
            Process p = ChildJvm.start(dir.resolve("child.log"), "experiment", dir.resolve("tiny.yaml").toString(), "--out", broken.toString(),
                    "--cell", "0", "--threads", "2");
            boolean atCheckpoint = round % 2 == 1;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(atCheckpoint ? 60_000 : 500 + random.nextInt(4000));
            boolean writing = false;
            while (p.isAlive() && System.nanoTime() < deadline) {
                writing = checkpointBeingWritten(cell);
                if (atCheckpoint && writing) break;
                Thread.onSpinWait();
            }
            if (!p.isAlive()) break;  // it finished before this kill point
            p.destroyForcibly().waitFor();
            kills++;
            if (writing) midCheckpoint++;
        }
        runCell(spec, broken);
        Path straightCell = spec.cells.getFirst().dir(straight.resolve("tiny"));
        assertEquals(rowKeys(straightCell.resolve("runs.csv")), rowKeys(cell.resolve("runs.csv")), "rows lost or duplicated");
        assertEquals(ExperimentRunnerTest.numbers(straightCell.resolve("runs.csv")), ExperimentRunnerTest.numbers(cell.resolve("runs.csv")));
        assertEquals(Files.readString(straightCell.resolve("test.hyp")), Files.readString(cell.resolve("test.hyp")));
        assertTrue(kills >= 3, "only " + kills + " kills landed before the cell finished");
        System.out.printf("kill -9: %d kills (%d in the middle of a checkpoint write), then resumed: 0 rows lost, 0 duplicated, "
                + "every number as uninterrupted%n", kills, midCheckpoint);
    }

    private static boolean checkpointBeingWritten(Path cell) {
        try (var files = Files.list(cell.resolve(RunDirectory.CHECKPOINTS))) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp"));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    @Test
    void aSecondWriterIsRefusedNamingTheFirstAndAStaleLockIsTakenOver() throws Exception {
        Path run = dir.resolve("run");
        String[] args = {"train", "--task", "copy", "--layers", "1", "--d-model", "32", "--heads", "2", "--d-ff", "64", "--max-len", "17",
                "--max-tokens", "256", "--train-size", "2000", "--val-size", "20", "--steps", "150", "--eval-every", "150",
                "--eval-sentences", "5", "--out", run.toString(), "--threads", "1"};
        Process first = ChildJvm.start(dir.resolve("first.log"), args);
        Process second = ChildJvm.start(dir.resolve("second.log"), args);
        int a = first.waitFor(), b = second.waitFor();
        String logA = Files.readString(dir.resolve("first.log")), logB = Files.readString(dir.resolve("second.log"));
        assertEquals(1, (a == 0 ? 1 : 0) + (b == 0 ? 1 : 0), "exactly one of two writers runs:\n" + logA + "\n" + logB);
        String refused = a == 0 ? logB : logA;
        assertTrue(refused.contains("is in use by pid") || refused.contains("already holds a run"), refused);
        assertFalse(refused.contains("\tat "), "no stack trace: " + refused);
        assertEquals(150 / 50 + 1, RunLog.read(run.resolve("runs.csv")).size(), "the winner's rows, each once");

        Files.writeString(run.resolve(RunLock.FILE), "pid 999999999 on a-host-long-gone since 2026-01-01T00:00:00Z");
        try (RunLock lock = RunLock.acquire(run, terminal)) {
            assertTrue(output.toString().contains("taking over " + run + " from pid 999999999 on a-host-long-gone"), output.toString());
            assertEquals("this process", RunLock.owner(run));
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> RunLock.acquire(run, terminal));
            assertTrue(e.getMessage().contains("is in use by this process"), e.getMessage());
        }
        assertEquals("", RunLock.owner(run));
        System.out.println("concurrent writers: 2 started together, 1 refused; 1 stale lock taken over");
    }

    // ---- damaged files ----

    /** The copy task as text files, so that the run learns (and keeps) a tokenizer.json like any corpus run. */
    private List<String> corpus() throws IOException {
        List<String> args = new ArrayList<>(List.of("--task", "files", "--tokenizer", "word", "--min-freq", "1"));
        for (String split : List.of("train", "val")) {
            var text = tt.model.data.SyntheticTask.of(tt.model.data.SyntheticTask.Kind.COPY, split.equals("train") ? 2000 : 20, split.length()).corpus();
            for (String side : List.of("src", "tgt")) {
                Path f = dir.resolve(split + "." + side);
                if (!Files.exists(f)) Files.write(f, side.equals("src") ? text.source() : text.target());
                args.addAll(List.of("--" + split + "-" + side, f.toString()));
            }
        }
        return args;
    }

    private static final String[] TRAIN = {"--layers", "1", "--d-model", "32", "--heads", "2", "--d-ff", "64",
            "--max-len", "17", "--max-tokens", "256", "--eval-every", "25", "--eval-sentences", "5",
            "--log-every", "5", "--checkpoint-every", "10", "--threads", "2"};

    /** `tt ARGS` in this JVM: exit code, and stdout + stderr. */
    private record Outcome(int code, String out, String err) {}

    private static Outcome tt(String... args) {
        StringWriter err = new StringWriter();
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        PrintStream stderr = System.err;
        ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
        System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
        try {
            int code = Main.commandLine().setErr(new PrintWriter(err, true)).execute(args);
            return new Outcome(code, captured.toString(StandardCharsets.UTF_8), err + capturedErr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    private String[] train(Path out, int steps, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("train"));
        args.addAll(corpus());
        args.addAll(List.of(TRAIN));
        args.addAll(List.of("--out", out.toString(), "--steps", Integer.toString(steps)));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    private static void flipByte(Path file, long fromEnd) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() - fromEnd;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x10);
        }
    }

    @Test
    void damagedCheckpointsAreRefusedByNameAndAResumeFallsBackToTheLastIntactOne() throws Exception {
        Path straight = dir.resolve("straight"), run = dir.resolve("run");
        assertEquals(0, tt(train(straight, 50)).code());
        assertEquals(0, tt(train(run, 40)).code());
        Path step40 = run.resolve("checkpoints/step-000040");
        int faults = 0;

        flipByte(step40.resolve(Checkpoint.MODEL), 100);  // a bit in the last tensor's data
        faults++;
        Outcome t = tt("translate", "-c", step40.toString(), "--threads", "2", "3 4 5");
        assertEquals(2, t.code());
        assertTrue(t.err().contains(step40.resolve(Checkpoint.MODEL) + ": tensor ") && t.err().contains("does not match its checksum"), t.err());
        t = tt("translate", "-c", run.toString(), "--threads", "2", "3 4 5", "", "6 7");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.err().contains("using the previous intact checkpoint, step-000030"), t.err());
        List<String> lines = t.out().lines().toList();
        assertEquals(3, lines.size(), "one line per input: " + t.out());
        assertEquals("", lines.get(1), "a blank input stays blank");

        // A torn last row in runs.csv, and a different tokenizer.json in the run directory.
        Files.writeString(run.resolve("runs.csv"), "run,1,41,0,tra", java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(run.resolve(TaskData.TOKENIZER_FILE), Files.readString(run.resolve(TaskData.TOKENIZER_FILE)).replace("\"7\"", "\"seven\""));
        assertNotEquals(Files.readString(run.resolve(TaskData.TOKENIZER_FILE)), Files.readString(step40.resolve(Checkpoint.TOKENIZER)));
        faults += 2;
        Outcome resumed = tt("train", "--out", run.toString(), "--resume", "--steps", "50", "--threads", "2");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("checkpoint " + step40 + " is damaged") && resumed.out().contains("step-000030"), resumed.out());
        assertTrue(resumed.out().contains("differs from the checkpoint's tokenizer; restoring"), resumed.out());
        assertEquals(ExperimentRunnerTest.numbers(straight.resolve("runs.csv")), ExperimentRunnerTest.numbers(run.resolve("runs.csv")));

        // Each checkpoint file damaged in turn: the error names the file.
        Path step50 = run.resolve("checkpoints/step-000050");
        for (String file : List.of(Checkpoint.OPTIMIZER, Checkpoint.STATE, Checkpoint.TOKENIZER)) {
            Path copy = dir.resolve("copy-" + file);
            copyTree(step50, copy);
            flipByte(copy.resolve(file), 3);
            faults++;
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> Checkpoint.verify(copy));
            assertTrue(e.getMessage().contains(copy.resolve(file).toString()), e.getMessage());
        }
        Path header = dir.resolve("copy-header");
        copyTree(step50, header);
        try (RandomAccessFile f = new RandomAccessFile(header.resolve(Checkpoint.MODEL).toFile(), "rw")) {
            f.write(new byte[] {(byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0, 0x7f});
        }
        faults++;
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> Checkpoint.verify(header));
        assertTrue(e.getMessage().contains("not a valid safetensors file: header length"), e.getMessage());
        Path state = dir.resolve("copy-state");
        copyTree(step50, state);
        Files.writeString(state.resolve(Checkpoint.STATE), Files.readString(state.resolve(Checkpoint.STATE)).replace("\"updates\" : 50", "\"updates\" : -5"));
        Files.delete(state.resolve(Checkpoint.SUMS));  // as a checkpoint from before checksums: its state is still checked
        faults++;
        e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> Checkpoint.verify(state));
        assertTrue(e.getMessage().contains("damaged checkpoint state (update count -5)"), e.getMessage());
        System.out.println("damaged files: " + faults + " injected (tensor bits, header, optimizer, state, tokenizer, runs.csv tail, "
                + "run directory tokenizer), each refused by name or repaired from the checkpoint; resumed numbers as uninterrupted");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
        }
    }

    @Test
    void aFullDiskFailsTheCheckpointByNameAndKeepsThePreviousOne() throws Exception {
        Path mount = dir.resolve("small-disk");
        Files.createDirectories(mount);
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", mount.toString()).redirectErrorStream(true).start();
        Assumptions.assumeTrue(m.waitFor() == 0, "needs a tmpfs mount (root): " + new String(m.getInputStream().readAllBytes()));
        try {
            Path run = mount.resolve("run");
            Outcome o = tt(train(run, 200));  // a checkpoint takes about 260 kB: the second one does not fit beside the first
            assertEquals(2, o.code(), o.out() + o.err());
            assertTrue(o.err().contains("writing checkpoint " + run.resolve("checkpoints")) && o.err().contains("No space left on device")
                    && o.err().contains("is kept"), o.err());
            assertEquals(1, o.err().strip().lines().count(), o.err());
            try (var files = Files.list(run.resolve("checkpoints"))) {
                assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no partial checkpoint left");
            }
            Checkpoint.verify(Checkpoint.latest(run.resolve("checkpoints")));
            assertFalse(RunLog.read(run.resolve("runs.csv")).isEmpty());
            System.out.println("full disk: the checkpoint write failed by name, the previous one kept intact, no .tmp left");
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor();
        }
    }

    @Test
    void aDivergingRunStopsNamingTheUpdateAndKeepsItsLastGoodCheckpoint() throws Exception {
        Path run = dir.resolve("run");
        Outcome o = tt(train(run, 200, "--schedule", "constant", "--lr", "1e30"));
        assertEquals(1, o.code(), o.out() + o.err());
        assertTrue(o.err().contains("diverged at update ") && o.err().contains("Lower --lr"), o.err());
        RunLog.Row last = RunLog.read(run.resolve("runs.csv")).getLast();
        assertEquals("diverged", last.split());
        if (Checkpoint.exists(run.resolve("checkpoints"))) {
            Path kept = Checkpoint.latest(run.resolve("checkpoints"));
            Checkpoint.verify(kept);
            assertTrue(Integer.parseInt(kept.getFileName().toString().substring(5)) < last.step(), "no checkpoint after the divergence");
        }
        System.out.println("divergence: lr 1e30 stopped at update " + last.step() + ": " + o.err().strip());

        // The guard alone: 20 losses of 1, then one of 10.5 with factor 10.
        TrainingRun.Progress p = TrainingRun.Progress.START;
        Trainer.StepResult one = new Trainer.StepResult(1, 1.0, new Trainer.LossTotals(1, 1, 0, 1), 1f, 1e-3);
        for (int i = 0; i < 20; i++) p = p.after(one, 0.1);
        assertEquals(null, p.divergence(new Trainer.StepResult(21, 9.9, one.totals(), 1f, 1e-3), 10));
        assertTrue(p.divergence(new Trainer.StepResult(21, 10.5, one.totals(), 1f, 1e-3), 10).contains("more than 10.0 times its median"));
        assertEquals(null, p.divergence(new Trainer.StepResult(21, 1e6, one.totals(), 1f, 1e-3), 0), "factor 0: only non-finite values");
        // Near zero, ten times the median is no divergence unless the loss also rose by a nat.
        TrainingRun.Progress low = TrainingRun.Progress.START;
        Trainer.StepResult tiny = new Trainer.StepResult(1, 0.016, one.totals(), 1f, 1e-3);
        for (int i = 0; i < 20; i++) low = low.after(tiny, 0.1);
        assertEquals(null, low.divergence(new Trainer.StepResult(21, 0.17, one.totals(), 1f, 1e-3), 10), "a spike from 0.016 to 0.17");
        assertTrue(low.divergence(new Trainer.StepResult(21, 1.1, one.totals(), 1f, 1e-3), 10).contains("more than 10.0 times"));
        assertTrue(p.divergence(new Trainer.StepResult(21, 1.0, one.totals(), Float.NaN, 1e-3), 0).contains("gradient norm is NaN"));
    }

    @Test
    void everyBadInputGetsOneLineNamingItAndNoStackTrace() throws Exception {
        Path spec = dir.resolve("bad.yaml");
        Files.writeString(spec, "experiment: bad\nseeds: 1\ntrain: {learning-rate: 2}\n");
        Files.writeString(dir.resolve("good.yaml"), ExperimentRunnerTest.TINY.formatted(20));
        Path existing = dir.resolve("existing");
        Files.createDirectories(existing);
        Files.writeString(existing.resolve("runs.csv"), "run,seed\n");
        String out = dir.resolve("unused").toString();
        String[][] bad = {
                {"train", "--steps", "0", "--out", out}, {"train", "--steps", "-5", "--out", out}, {"train", "--lr", "-1", "--out", out},
                {"train", "--lr", "fast", "--out", out}, {"train", "--beam", "0", "--out", out}, {"train", "--checkpoint-every", "-1", "--out", out},
                {"train", "--accumulate", "0", "--out", out}, {"train", "--log-every", "0", "--out", out}, {"train", "--eval-every", "0", "--out", out},
                {"train", "--max-len", "0", "--out", out}, {"train", "--train-size", "0", "--out", out}, {"train", "--warmup", "0", "--out", out},
                {"train", "--dropout", "1.5", "--out", out}, {"train", "--attention-dropout", "1", "--out", out}, {"train", "--label-smoothing", "1", "--out", out},
                {"train", "--bpe-dropout", "1", "--out", out}, {"train", "--bpe-dropout", "0.1", "--out", out},
                {"train", "--bpe-split-punctuation", "--out", out},
                {"train", "--d-model", "100", "--heads", "8", "--out", out}, {"train", "--max-tokens", "10", "--out", out},
                {"train", "--preset", "huge", "--out", out}, {"train", "--task", "nope", "--out", out}, {"train", "--task", "files", "--out", out},
                {"train", "--vocab-size", "3", "--out", out}, {"train", "--threads", "0", "--out", out}, {"train", "--norm", "middle", "--out", out},
                {"train", "--reduction", "avg", "--out", out}, {"train", "--tokenizer", "sentencepiece", "--out", out},
                {"train", "--eval-sentences", "-1", "--out", out}, {"train", "--clip-norm", "-1", "--out", out},
                {"train", "--weight-decay", "-1", "--out", out}, {"train", "--divergence-factor", "-1", "--out", out},
                {"train", "--adam-betas", "0.9", "--out", out}, {"train", "--adam-betas", "0.9,1", "--out", out},
                {"train", "--adam-betas", "a,b", "--out", out}, {"train", "--adam-eps", "0", "--out", out},
                {"train", "--task", "multi30k", "--tgt-lang", "de", "--out", out}, {"train", "--schedule", "linear", "--out", out},
                {"train", "--resume", "--out", out}, {"train", "--out", existing.toString()}, {"train", "--frobnicate"},
                {"translate", "-c", out, "--beam", "0", "x"}, {"translate", "-c", out, "--max-len", "0", "x"},
                {"translate", "-c", out, "--length-penalty", "-1", "x"}, {"translate", "-c", out, "x"},
                {"experiment", dir.resolve("missing.yaml").toString()}, {"experiment", spec.toString()},
                {"experiment", dir.resolve("good.yaml").toString(), "--parallel", "0", "--out", out},
                {"experiment", dir.resolve("good.yaml").toString(), "--cell", "99", "--out", out},
                {"experiment", dir.resolve("good.yaml").toString(), "--dry-run", "--out", out},
                {"bleu", dir.resolve("missing.ref").toString(), "-i", dir.resolve("missing.hyp").toString()}, {"plot", dir.resolve("missing.csv").toString(), "--out", out},
        };
        for (String[] args : bad) {
            Outcome o = tt(args);
            String what = String.join(" ", args);
            assertNotEquals(0, o.code(), what);
            assertNotEquals(70, o.code(), "an internal error for " + what + ": " + o.err());
            assertFalse(o.err().contains("\tat ") || o.err().contains("Exception"), what + " printed a stack trace: " + o.err());
            assertEquals(1, o.err().strip().lines().count(), what + " printed more than one line: " + o.err());
        }
        assertTrue(tt("train", "--warmup", "0", "--out", out).err().contains("--warmup"));
        assertTrue(tt("train", "--bpe-dropout", "0.1", "--out", out).err().contains("--bpe-dropout needs --tokenizer bpe and a text task"));
        assertTrue(tt("train", "--bpe-split-punctuation", "--out", out).err().contains("--bpe-split-punctuation needs --tokenizer bpe and a text task"));
        assertTrue(tt("train", "--resume", "--out", out).err().contains("has no checkpoint"));
        assertTrue(tt("experiment", dir.resolve("good.yaml").toString(), "--dry-run", "--out", out).err().contains("--dry-run goes with --slurm"));
        System.out.println("bad inputs: " + bad.length + " tried, each one line, no stack trace");
    }
}
