package tt.experiments;

import org.junit.jupiter.api.Assumptions;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A grid as a job array on a real single-node Slurm cluster (experiments/slurm/local-cluster.sh
 * starts it from Debian's packages, installing them if needed): submitted, one task requeued
 * mid-training, summarised by the dependent job, and compared with the same grid run locally.
 * Skipped, saying why, where the cluster cannot be started.
 */
class SlurmClusterTest {
    private static final Path CLUSTER = Path.of("slurm/local-cluster.sh").toAbsolutePath();
    private static final String STATE = "/tmp/tt-slurm-test";

    @TempDir Path dir;

    private static String sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IOException(String.join(" ", command) + " failed:\n" + out);
        return out;
    }

    @Test
    void aGridRunsAsAJobArrayAndARequeuedTaskResumesToTheLocalNumbers() throws Exception {
        boolean wasRunning = new ProcessBuilder("bash", CLUSTER.toString(), "status", STATE).start().waitFor() == 0;
        try {
            if (!wasRunning) sh("bash", CLUSTER.toString(), "start", STATE);
        } catch (IOException e) {
            // The script's reason comes last, after the daemons' log tails: keep the first line and the last six.
            List<String> lines = e.getMessage().lines().toList();
            List<String> shown = lines.size() <= 7 ? lines
                    : Stream.concat(lines.stream().limit(1), lines.stream().skip(lines.size() - 6)).toList();
            Assumptions.abort("no Slurm cluster here, so the job array is not tested: " + shown);
            return;
        }
        long started = System.nanoTime();
        try {
            Path specFile = dir.resolve("tiny.yaml");
            Files.writeString(specFile, ExperimentRunnerTest.TINY.formatted(150));
            ExperimentSpec spec = ExperimentSpec.read(specFile);
            Path out = dir.resolve("cluster");
            Path experiment = out.resolve(spec.name);
            List<String> tt = ChildJvm.command();
            Slurm.Settings settings = new Slurm.Settings(null, null, 1, null, null, 2, List.of());
            Slurm.Submitted jobs = Slurm.submit(experiment, Slurm.arrayScript(spec, specFile, out, settings, tt, dir, List.of("--backend", "jvm")),
                    Slurm.summaryScript(spec, specFile, out, settings, tt, dir));

            // Requeue task 1 once it has a checkpoint at update 20 or later: Slurm stops it (SIGTERM), it checkpoints, and runs again.
            Path cell1 = spec.cells.get(1).dir(experiment);
            awaitState(jobs.arrayJob(), 1, "RUNNING");
            assertTrue(ExperimentRunnerTest.awaitCheckpoint(aliveWhile(jobs.arrayJob(), 1), cell1, 20), "task 1 never reached update 20");
            sh("scontrol", "requeue", jobs.arrayJob() + "_1");

            awaitGone(jobs.summaryJob());
            assertTrue(Files.exists(experiment.resolve("summary.csv")), "the summary job wrote nothing; its log: " + logs(experiment));
            String log1 = Files.readString(cell1.resolve(RunDirectory.LOG));
            assertTrue(log1.contains("stopped at update") && log1.contains("checkpoint saved"), "task 1 was not stopped by the requeue:\n" + log1);

            ExperimentRunner local = new ExperimentRunner(spec, dir.resolve("local"), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            local.run(spec.cells, new ExperimentRunner.Plan(JvmBackend::new, 2, 1, false));
            local.summarize("local");
            assertEquals(Files.readString(local.dir.resolve("summary.csv")), Files.readString(experiment.resolve("summary.csv")));
            assertEquals(ExperimentRunnerTest.numbers(local.dir.resolve("runs.csv")), ExperimentRunnerTest.numbers(experiment.resolve("runs.csv")));
            System.out.printf("Slurm: 4-task array (2 at a time), task 1 requeued mid-run and resumed, summary as local, in %.0f s%n",
                    (System.nanoTime() - started) * 1e-9);
        } finally {
            if (!wasRunning) sh("bash", CLUSTER.toString(), "stop", STATE);
        }
    }

    /** A process handle whose isAlive() follows an array task in squeue, for awaitCheckpoint. */
    private static Process aliveWhile(String job, int task) {
        return new Process() {
            @Override public java.io.OutputStream getOutputStream() { return java.io.OutputStream.nullOutputStream(); }
            @Override public java.io.InputStream getInputStream() { return java.io.InputStream.nullInputStream(); }
            @Override public java.io.InputStream getErrorStream() { return java.io.InputStream.nullInputStream(); }
            @Override public int waitFor() { return 0; }
            @Override public int exitValue() { return 0; }
            @Override public void destroy() {}
            @Override public boolean isAlive() { return "RUNNING".equals(Slurm.tasks(job).get(task)); }
        };
    }

    private static void awaitState(String job, int task, String state) throws InterruptedException {
        for (long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(5); System.nanoTime() < end; Thread.sleep(200)) {
            if (state.equals(Slurm.tasks(job).get(task))) return;
        }
        fail("task " + task + " of job " + job + " never became " + state + ": " + Slurm.tasks(job));
    }

    /** Until squeue no longer lists the job. */
    private static void awaitGone(String job) throws Exception {
        for (long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(10); System.nanoTime() < end; Thread.sleep(500)) {
            if (!sh("squeue", "-h", "-j", job).contains(job)) return;
        }
        fail("job " + job + " still queued after 10 minutes: " + sh("squeue"));
    }

    private static String logs(Path experiment) throws IOException {
        List<String> out = new ArrayList<>();
        try (var files = Files.list(Slurm.dir(experiment))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".out")).toList()) out.add(f.getFileName() + ":\n" + Files.readString(f));
        }
        return String.join("\n", out);
    }
}
