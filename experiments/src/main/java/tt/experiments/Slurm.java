package tt.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import tt.model.io.AtomicFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An experiment's grid as a Slurm job array: one array task per cell, each running
 * {@code tt experiment SPEC --cell $SLURM_ARRAY_TASK_ID} (cells write only their own directory, so
 * tasks on any node never race; a requeued or preempted task resumes from its checkpoint; a task
 * whose cell has finished exits at once), and a summary job that runs {@code --summarize} once the
 * array has succeeded. The scripts and the submitted job ids are kept in OUT/EXPERIMENT/slurm/.
 */
final class Slurm {
    /** sbatch settings; null where not given. From a spec's slurm: block, overridden by the command line. */
    record Settings(String partition, String time, Integer cpusPerTask, String mem, String gres, Integer maxRunning, List<String> flags) {
        static final Settings NONE = new Settings(null, null, null, null, null, null, List.of());

        /** These, with {@code over}'s values wherever it has one (its flags added after these). */
        Settings with(Settings over) {
            List<String> all = new ArrayList<>(flags);
            all.addAll(over.flags);
            return new Settings(or(over.partition, partition), or(over.time, time), or(over.cpusPerTask, cpusPerTask), or(over.mem, mem),
                    or(over.gres, gres), or(over.maxRunning, maxRunning), all);
        }

        private static <T> T or(T a, T b) { return a != null ? a : b; }

        int cpus() { return cpusPerTask != null ? cpusPerTask : 1; }
    }

    /** What was submitted: the array job, and the job that summarises after it. */
    record Submitted(String arrayJob, String summaryJob) {}

    private static final String JOBS = "jobs.json";

    private Slurm() {}

    /** The directory of an experiment's Slurm scripts, logs and job ids. */
    static Path dir(Path experimentDir) { return experimentDir.resolve("slurm"); }

    /**
     * The array job's script: each task runs {@code tt} (the command that starts tt: the project's
     * ./tt, as an absolute path) in {@code workDir} (where relative data paths resolve, as when the
     * grid was submitted); {@code backend} are the tt options naming the backend to run on.
     */
    static String arrayScript(ExperimentSpec spec, Path specFile, Path out, Settings s, List<String> tt, Path workDir, List<String> backend) {
        Path logs = dir(out.toAbsolutePath().resolve(spec.name));
        StringBuilder b = header("tt-" + spec.name, "0-" + (spec.cells.size() - 1) + (s.maxRunning() != null ? "%" + s.maxRunning() : ""), s,
                logs.resolve("%A_%a.out"));
        b.append("#SBATCH --requeue\n");
        b.append("#SBATCH --open-mode=append\n");
        // Two minutes before the time limit, SIGTERM: the training checkpoints and exits, and a rerun resumes it.
        b.append("#SBATCH --signal=B:TERM@120\n");
        flags(b, s);
        command(b, tt, workDir).append(" experiment ").append(quote(specFile.toAbsolutePath().toString())).append(" --out ")
                .append(quote(out.toAbsolutePath().toString())).append(" --cell \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-")
                .append(s.cpus()).append("}\"");
        for (String option : backend) b.append(' ').append(quote(option));
        return b.append('\n').toString();
    }

    /** "cd WORKDIR", then "exec TT": exec, so that Slurm's SIGTERM reaches the JVM, which checkpoints before it exits. */
    private static StringBuilder command(StringBuilder b, List<String> tt, Path workDir) {
        b.append("\nset -euo pipefail\ncd ").append(quote(workDir.toAbsolutePath().toString())).append("\nexec");
        for (String part : tt) b.append(' ').append(quote(part));
        return b;
    }

    /** The job that merges the finished cells once the array has succeeded (submitted with --dependency=afterok). */
    static String summaryScript(ExperimentSpec spec, Path specFile, Path out, Settings s, List<String> tt, Path workDir) {
        Path logs = dir(out.toAbsolutePath().resolve(spec.name));
        StringBuilder b = header("tt-" + spec.name + "-summary", null, new Settings(s.partition, s.time, 1, s.mem, null, null, List.of()),
                logs.resolve("summary_%j.out"));
        flags(b, s);
        command(b, tt, workDir).append(" experiment ").append(quote(specFile.toAbsolutePath().toString())).append(" --out ")
                .append(quote(out.toAbsolutePath().toString())).append(" --summarize\n");
        return b.toString();
    }

    private static StringBuilder header(String name, String array, Settings s, Path output) {
        StringBuilder b = new StringBuilder("#!/bin/bash\n# Written by ./tt experiment ... --slurm (tornado-transformer); submit with sbatch.\n");
        b.append("#SBATCH --job-name=").append(name).append('\n');
        if (array != null) b.append("#SBATCH --array=").append(array).append('\n');
        b.append("#SBATCH --cpus-per-task=").append(s.cpus()).append('\n');
        if (s.partition != null) b.append("#SBATCH --partition=").append(s.partition).append('\n');
        if (s.time != null) b.append("#SBATCH --time=").append(s.time).append('\n');
        if (s.mem != null) b.append("#SBATCH --mem=").append(s.mem).append('\n');
        if (s.gres != null) b.append("#SBATCH --gres=").append(s.gres).append('\n');
        b.append("#SBATCH --output=").append(output).append('\n');
        return b;
    }

    private static void flags(StringBuilder b, Settings s) {
        for (String f : s.flags) b.append("#SBATCH ").append(f).append('\n');
    }

    private static String quote(String s) {
        return s.matches("[A-Za-z0-9_./:=,+@%-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** Writes the two scripts and submits them: the array, then the summary after it (afterok). */
    static Submitted submit(Path experimentDir, String arrayScript, String summaryScript) throws IOException {
        Path dir = dir(experimentDir);
        Files.createDirectories(dir);
        Path array = dir.resolve("array.sbatch"), summary = dir.resolve("summary.sbatch");
        write(array, arrayScript);
        write(summary, summaryScript);
        String arrayJob = sbatch(List.of(array.toString()));
        String summaryJob = sbatch(List.of("--dependency=afterok:" + arrayJob, summary.toString()));
        ArrayNode jobs = Files.exists(dir.resolve(JOBS)) ? (ArrayNode) Json.MAPPER.readTree(dir.resolve(JOBS).toFile()) : Json.MAPPER.createArrayNode();
        jobs.addObject().put("array", arrayJob).put("summary", summaryJob).put("submitted", Instant.now().toString());
        write(dir.resolve(JOBS), Json.write(jobs));
        return new Submitted(arrayJob, summaryJob);
    }

    /** The array job submitted last for this experiment, or null. */
    static String lastArrayJob(Path experimentDir) throws IOException {
        Path jobs = dir(experimentDir).resolve(JOBS);
        if (!Files.exists(jobs)) return null;
        JsonNode all = Json.MAPPER.readTree(jobs.toFile());
        return all.isArray() && !all.isEmpty() ? all.get(all.size() - 1).path("array").asText(null) : null;
    }

    /**
     * What Slurm says of an array's tasks, by task index: squeue for those still queued or running
     * (PENDING, RUNNING, REQUEUED, ...), then sacct, where the cluster keeps accounting, for those that
     * left the queue (COMPLETED, FAILED, CANCELLED, TIMEOUT, ...). Empty when neither answers.
     */
    static Map<Integer, String> tasks(String arrayJob) {
        Map<Integer, String> states = new LinkedHashMap<>();
        if (arrayJob == null) return states;
        for (String line : run(List.of("sacct", "-n", "-P", "-X", "-j", arrayJob, "-o", "JobID,State"))) parseTask(line, arrayJob, states);
        for (String line : run(List.of("squeue", "-h", "-r", "-t", "all", "-j", arrayJob, "-o", "%i|%T"))) parseTask(line, arrayJob, states);
        return states;
    }

    private static void parseTask(String line, String arrayJob, Map<Integer, String> states) {
        String[] parts = line.strip().split("\\|");
        if (parts.length < 2 || !parts[0].startsWith(arrayJob + "_")) return;
        try {
            states.put(Integer.parseInt(parts[0].substring(arrayJob.length() + 1)), parts[1].split(" ")[0]);
        } catch (NumberFormatException e) {
            // a pending range such as 12345_[4-11]: those tasks are simply not listed
        }
    }

    /** A command's output lines; none when it is missing or fails (the caller falls back on the cell directories). */
    private static List<String> run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) return List.of();
            return out.lines().toList();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** Runs sbatch --parsable; the job id, or an error saying what sbatch said. */
    private static String sbatch(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("sbatch", "--parsable"));
        command.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new IOException("sbatch is not on the PATH: --slurm needs a Slurm cluster (experiments/slurm/local-cluster.sh starts one"
                    + " on this machine); --dry-run writes the scripts without submitting");
        }
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
                throw new IOException("sbatch " + String.join(" ", args) + " failed: " + (err.isEmpty() ? out : err).lines().findFirst().orElse(""));
            }
            return out.split(";")[0];
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for sbatch", e);
        }
    }

    private static void write(Path file, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, out -> out.write(bytes));
    }
}
