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
