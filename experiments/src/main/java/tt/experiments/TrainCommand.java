package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import tt.kernels.Backend;
import tt.model.Checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** Trains one model in a run directory, or resumes it from its last checkpoint. */
@Command(name = "train", sortOptions = false, mixinStandardHelpOptions = true, description = {
        "Train a Transformer: synthetic tasks (no files), Multi30k or your own parallel files.",
        "Writes RUN_DIR/runs.csv, RUN_DIR/checkpoints/ and RUN_DIR/tokenizer.json."})
public final class TrainCommand implements Callable<Integer> {
    /** What a resumed run may be given besides its saved options: a new target, and where the data now lives. */
    private static final Set<String> RESUME_MAY_CHANGE = Set.of("--steps", "--data");

    @picocli.CommandLine.Spec CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/train", description = "Run directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--resume", description = "Continue from the run directory's last checkpoint with its saved options (--steps may raise the target).")
    boolean resume;

    @Option(names = "--force", description = "Start afresh in a run directory that holds another run, deleting its files (says which).")
    boolean force;

    @Mixin BackendOptions backendOptions;

    @Mixin TrainOptions options;

    @Override public Integer call() throws Exception {
        TrainOptions o = resume ? resumedOptions() : options;
        o.check();
        backendOptions.threadCount();  // checks --threads before the run directory is touched
        try (RunLock _ = RunLock.acquire(out, System.out); Backend backend = backendOptions.open()) {
            if (!resume) RunDirectory.claimFresh(out, force, "--out", System.out);
            new TrainingRun(o, out, backend, System.out).run(resume);
        } catch (Interrupts.Stopped e) {
            System.out.println("continue with: ./tt train --out " + out + " --resume");
            return 130;
        } catch (TrainingRun.Diverged e) {
            System.err.println("tt train: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    /** The options saved with the run, with --steps and --data from the command line; any other option given is an error. */
    private TrainOptions resumedOptions() throws IOException {
        Path checkpoints = out.resolve("checkpoints");
        if (!Checkpoint.exists(checkpoints)) {
            throw new ParameterException(spec.commandLine(), "--resume: " + out + " has no checkpoint (" + checkpoints
                    + "/latest is missing); start a new run without --resume");
        }
        if (force) throw new ParameterException(spec.commandLine(), "--force starts afresh and --resume continues: give one of them");
        TrainOptions saved = TrainOptions.fromJson(Checkpoint.options(Checkpoint.latestIntact(checkpoints, System.out::println)));
        List<String> given = spec.commandLine().getParseResult().matchedOptions().stream()
                .filter(opt -> spec.mixins().get("options").options().contains(opt)).map(OptionSpec::longestName).toList();
        for (String name : given) {
            if (!RESUME_MAY_CHANGE.contains(name)) {
                throw new ParameterException(spec.commandLine(), name + ": a resumed run keeps the options it was started with ("
                        + out.resolve("manifest.json") + " lists them); drop " + name + ", or start a new run in another --out");
            }
        }
        if (given.contains("--steps")) saved.steps = options.steps;
        if (given.contains("--data")) saved.data = options.data;
        return saved;
    }
}
