package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import tt.experiments.ExperimentRunner.CellState;
import tt.experiments.ExperimentSpec.Cell;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Runs an experiment spec: every variant over every seed, then the merged results, summary, plots and report. */
@Command(name = "experiment", sortOptions = false, mixinStandardHelpOptions = true, description = {
        "Train a baseline and its variants over several seeds, as a YAML spec describes (see experiments/specs/),",
        "and summarise them: OUT/EXPERIMENT/{runs.csv, summary.csv, report.md, manifest.json, plots/}.",
        "Rerunning skips finished cells and resumes interrupted ones from their last checkpoint."})
public final class ExperimentCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec commandSpec;

    @Parameters(index = "0", paramLabel = "SPEC", description = "The experiment spec, a YAML file.")
    Path specFile;

    @Option(names = "--out", defaultValue = "runs", description = "Directory holding the experiment's directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--parallel", defaultValue = "1", description = "Cells trained at once, the threads split between them (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--cell", paramLabel = "I", description = "Run only cell I (see --list), e.g. as one task of a job array.")
    Integer cell;

    @Option(names = "--list", description = "List the cells with their index and state, and run nothing.")
    boolean list;

    @Option(names = "--summarize", description = "Only rebuild runs.csv, summary.csv, plots and report.md from the finished cells.")
    boolean summarize;

    @Option(names = "--force", description = "Discard and retrain cells whose spec changed since they ran (says which).")
    boolean force;

    @Option(names = "--status", description = "Show each cell's state (from Slurm where the grid was submitted, and the cell directories).")
    boolean status;

    @Option(names = "--slurm", description = "Submit the grid as a Slurm job array (one task per cell), then a job that summarises it.")
    boolean slurm;

    @Option(names = "--dry-run", description = "With --slurm: write and print the sbatch scripts, submit nothing.")
    boolean dryRun;

    @Option(names = "--partition", description = "With --slurm: the partition (else the spec's slurm: block, else the cluster's default).")
    String partition;

    @Option(names = "--time", description = "With --slurm: each task's time limit, e.g. 4:00:00.")
    String time;

    @Option(names = "--cpus-per-task", description = "With --slurm: CPUs per task, also its training threads (default: the spec's, else 1).")
    Integer cpusPerTask;

    @Option(names = "--mem", description = "With --slurm: memory per task, e.g. 16G.")
    String mem;

    @Option(names = "--gres", description = "With --slurm: generic resources per task, e.g. gpu:1.")
    String gres;

    @Option(names = "--max-running", description = "With --slurm: at most this many tasks at once (the %%K of --array).")
    Integer maxRunning;

    @Option(names = "--sbatch", paramLabel = "FLAG", description = "With --slurm: another sbatch option, e.g. --sbatch=--qos=long (repeatable).")
    List<String> sbatchFlags = new ArrayList<>();

    @Mixin BackendOptions backendOptions;

    @Override public Integer call() throws Exception {
        return run(ExperimentSpec.read(specFile), specFile.toString());
    }

    /** The whole job for a parsed spec; {@code specName} is how the rerun command names it. */
    int run(ExperimentSpec spec, String specName) throws IOException, InterruptedException {
        PrintStream terminal = System.out;
        if (parallel < 1) throw new ParameterException(commandSpec.commandLine(), "--parallel must be at least 1, got " + parallel);
        if (parallel > 1 && !backendOptions.backend.equals("jvm")) {
            throw new ParameterException(commandSpec.commandLine(), "--parallel " + parallel + " needs the jvm backend: one TornadoVM device runs one cell at a time");
        }
        if (dryRun && !slurm) {  // without --slurm it would train every pending cell, the opposite of a dry run
            throw new ParameterException(commandSpec.commandLine(), "--dry-run goes with --slurm; to see the cells and what would run, use --list or --status");
        }
        if (cell != null && (cell < 0 || cell >= spec.cells.size())) {
            throw new ParameterException(commandSpec.commandLine(), "--cell " + cell + ": " + spec.name + " has cells 0 to " + (spec.cells.size() - 1)
                    + " (./tt experiment " + specName + " --list)");
        }
        ExperimentRunner runner = new ExperimentRunner(spec, out, terminal);
        String command = "./tt experiment " + specName + (out.toString().equals("runs") ? "" : " --out " + out);
        if (list) {
            list(runner, terminal);
            return 0;
        }
        if (status) {
            status(runner, terminal);
            return 0;
        }
        if (slurm) return slurm(spec, runner, terminal, command);
        if (!summarize) {
            List<Cell> cells = cell != null ? List.of(spec.cells.get(cell)) : spec.cells;
            int failed;
            try {
                failed = runner.run(cells, new ExperimentRunner.Plan(backendOptions::open, backendOptions.threadCount(), parallel, force));
            } catch (Interrupts.Stopped e) {
                terminal.println(e.getMessage() + "\nstopped; run the same command again to resume: " + command);
                return 130;
            }
            if (cell != null) {
                terminal.println("cell " + cell + " done; when every cell is, `" + command + " --summarize` writes the summary and report");
                return failed == 0 ? 0 : 1;
            }
            if (failed > 0) terminal.println(failed + " cell(s) failed; their train.log says why. The summary covers the cells that finished.");
        }
        Summary summary = runner.summarize(command);
        terminal.println();
        terminal.println(summary.table());
        for (String f : summary.findings()) terminal.println("- " + f);
        terminal.println();
        terminal.println("report: " + runner.dir.resolve("report.md") + " (summary.csv, runs.csv, plots/ beside it)");
        return summary.lines.stream().allMatch(l -> l.finished() + l.diverged() == l.planned()) || summarize ? 0 : 1;
    }

    /** Writes the array and summary scripts, and submits them unless --dry-run. */
    private int slurm(ExperimentSpec spec, ExperimentRunner runner, PrintStream terminal, String command) throws IOException {
        if (cpusPerTask != null && cpusPerTask < 1) throw new ParameterException(commandSpec.commandLine(), "--cpus-per-task must be at least 1");
        if (maxRunning != null && maxRunning < 1) throw new ParameterException(commandSpec.commandLine(), "--max-running must be at least 1");
        Slurm.Settings settings = spec.slurm.with(new Slurm.Settings(partition, time, cpusPerTask, mem, gres, maxRunning, sbatchFlags));
        List<String> backend = List.of("--backend", backendOptions.backend, "--device", backendOptions.device, "--blas", backendOptions.blas);
        List<String> tt = List.of(Project.root().resolve("tt").toString());
        Path workDir = Path.of("").toAbsolutePath();
        String array = Slurm.arrayScript(spec, specFile, out, settings, tt, workDir, backend);
        String summary = Slurm.summaryScript(spec, specFile, out, settings, tt, workDir);
        if (dryRun) {
            terminal.print(array);
            terminal.println("# and, once the array has succeeded (sbatch --dependency=afterok:ARRAY_JOB):");
            terminal.print(summary);
            return 0;
        }
        Slurm.Submitted jobs = Slurm.submit(runner.dir, array, summary);
        terminal.printf("submitted %s: array job %s (%d cells, one task each), summary job %s after it%n", spec.name, jobs.arrayJob(),
                spec.cells.size(), jobs.summaryJob());
        terminal.printf("follow it with: %s --status   (or squeue -j %s); task logs in %s/%n", command, jobs.arrayJob(), Slurm.dir(runner.dir));
        terminal.printf("the summary job writes %s; if a cell fails it does not run: fix the cell, rerun the array, or %s --summarize%n",
                runner.dir.resolve("report.md"), command);
        return 0;
    }

    /** Each cell: its state from its directory, with what Slurm says of its task where the grid was submitted. */
    private static void status(ExperimentRunner runner, PrintStream terminal) throws IOException {
        String job = Slurm.lastArrayJob(runner.dir);
        java.util.Map<Integer, String> slurm = Slurm.tasks(job);
        List<List<String>> rows = new ArrayList<>();
        int done = 0;
        for (CellState s : runner.states()) {
            String state = switch (s.status()) {
                case FINISHED, DIVERGED, FAILED, CHANGED -> s.status().name().toLowerCase(Locale.ROOT);
                default -> slurm.containsKey(s.cell().index()) ? slurm.get(s.cell().index()).toLowerCase(Locale.ROOT)
                        : s.status().name().toLowerCase(Locale.ROOT);
            };
            if (s.status() == ExperimentRunner.Status.FINISHED || s.status() == ExperimentRunner.Status.DIVERGED) done++;
            String detail = s.detail();
            if (s.status() == ExperimentRunner.Status.FAILED) detail += " | " + String.join(" / ", lastLines(s.cell().dir(runner.dir).resolve(RunDirectory.LOG), 3));
            rows.add(List.of(Integer.toString(s.cell().index()), s.cell().variant().name(), Integer.toString(s.cell().seed()), state,
                    job != null && slurm.containsKey(s.cell().index()) ? job + "_" + s.cell().index() + " " + slurm.get(s.cell().index()) : "", detail));
        }
        terminal.print(Summary.markdown(List.of("cell", "variant", "seed", "state", "slurm task", "detail"), rows));
        terminal.printf("%d of %d cells done%s%n", done, rows.size(), job == null ? " (no Slurm job submitted for this experiment)"
                : slurm.isEmpty() ? "; Slurm knows nothing of job " + job + " any more (no squeue entry, no accounting): states are from the cell directories" : "");
    }

    private static List<String> lastLines(Path file, int n) throws IOException {
        if (!Files.exists(file)) return List.of();
        List<String> lines = Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("\tat ")).toList();
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }

    private static void list(ExperimentRunner runner, PrintStream terminal) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        for (CellState s : runner.states()) {
            rows.add(List.of(Integer.toString(s.cell().index()), s.cell().variant().name(), Integer.toString(s.cell().seed()),
                    s.status().name().toLowerCase(Locale.ROOT) + (s.detail().isEmpty() ? "" : " (" + s.detail() + ")"),
                    runner.dir.relativize(s.cell().dir(runner.dir)).toString()));
        }
        terminal.print(Summary.markdown(List.of("cell", "variant", "seed", "state", "directory"), rows));
    }
}
