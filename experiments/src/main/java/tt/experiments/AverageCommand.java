package tt.experiments;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import tt.model.Checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Averages the parameters of several checkpoints of one run into a new checkpoint directory, as
 * fairseq's scripts/average_checkpoints.py does; translate, evaluate and attention read it with -c.
 */
@Command(name = "average", mixinStandardHelpOptions = true,
        description = {"Average the parameters of a run's last or best N checkpoints (or of the given ones) into a new checkpoint.",
                "e.g. ./tt average -c runs/m30k --last 5, then ./tt evaluate -c runs/m30k/checkpoints/average-last-5"})
public final class AverageCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--checkpoint"}, description = "The run directory (or its checkpoints/ directory) whose checkpoints --last or --best take.")
    Path run;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
        @Option(names = "--last", description = "The N newest periodic checkpoints (train with --keep-last-checkpoints N or more).")
        Integer last;

        @Option(names = "--best", description = "The N best checkpoints by the run's --best-checkpoint-metric (train with --keep-best-checkpoints N or more).")
        Integer best;

        @Option(names = "--inputs", split = ",", description = "Checkpoint directories (step-NNNNNN) to average, comma-separated.")
        List<Path> inputs;
    }

    @Option(names = "--out", description = "The new checkpoint directory (default: CHECKPOINTS/average-last-N or average-best-N).")
    Path out;

    @Option(names = "--force", description = "Replace --out if it exists.")
    boolean force;

    /** Where the average of a run's last or best N checkpoints goes by default, in its checkpoints directory. */
    static String averagedName(boolean last, int n) { return (last ? "average-last-" : "average-best-") + n; }

    @Override public Integer call() throws Exception {
        List<Path> inputs;
        if (which.inputs != null) {
            if (run != null) throw new ParameterException(spec.commandLine(), "--inputs names the checkpoints itself; drop -c");
            if (out == null) throw new ParameterException(spec.commandLine(), "--inputs needs --out, the directory to write");
            inputs = which.inputs;
        } else {
            if (run == null) throw new ParameterException(spec.commandLine(), (which.last != null ? "--last" : "--best") + " needs -c, the run directory");
            boolean last = which.last != null;
            int n = last ? which.last : which.best;
            if (n < 1) throw new ParameterException(spec.commandLine(), (last ? "--last" : "--best") + " must be at least 1, got " + n);
            Path checkpoints = Files.isDirectory(run.resolve(RunDirectory.CHECKPOINTS)) ? run.resolve(RunDirectory.CHECKPOINTS) : run;
            List<Path> available = Checkpoint.steps(last ? checkpoints : checkpoints.resolve(Checkpoint.BEST));
            if (!last) available = bestFirst(available);
            if (available.size() < n) {
                throw new ParameterException(spec.commandLine(), (last ? "--last " : "--best ") + n + ": " + (last ? checkpoints : checkpoints.resolve(Checkpoint.BEST))
                        + " holds " + available.size() + " checkpoint(s); average fewer, or train with " + (last ? "--keep-last-checkpoints " : "--keep-best-checkpoints ") + n);
            }
            inputs = available.subList(0, n);
            if (out == null) out = checkpoints.resolve(averagedName(last, n));
        }
        for (Path p : inputs) {
            if (!Files.exists(p.resolve(Checkpoint.MODEL))) throw new ParameterException(spec.commandLine(), p + ": no " + Checkpoint.MODEL + "; give step-NNNNNN checkpoint directories");
        }
        if (Files.exists(out) && !force) throw new ParameterException(spec.commandLine(), "--out " + out + " exists; give another --out, or --force to replace it");
        Checkpoint.average(inputs, out);
        System.out.println("averaged " + inputs.size() + " checkpoints (" + String.join(", ", inputs.stream().map(p -> p.getFileName().toString()).toList())
                + ") into " + out);
        return 0;
    }

    /** checkpoints/best/ in the order the run ranked them (its newest state's ranking), best first. */
    static List<Path> bestFirst(List<Path> best) throws java.io.IOException {
        if (best.isEmpty()) return best;
        Path newest = best.getFirst();
        TrainingRun.Progress progress = Json.MAPPER.treeToValue(Checkpoint.runnerState(newest), TrainingRun.Progress.class);
        List<Integer> ranked = progress.ranking().best().stream().map(TrainingRun.Ranking.Scored::update).toList();
        return best.stream().sorted(java.util.Comparator.comparingInt(p -> {
            int i = ranked.indexOf(Checkpoint.updates(p));
            return i < 0 ? Integer.MAX_VALUE : i;
        })).toList();
    }
}
