package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tt.kernels.Backend;
import tt.model.Checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Trains one model in a run directory, or resumes it from its last checkpoint. */
@Command(name = "train", sortOptions = false, description = {
        "Train a Transformer: synthetic tasks (no files), Multi30k or your own parallel files.",
        "Writes RUN_DIR/runs.csv, RUN_DIR/checkpoints/ and RUN_DIR/tokenizer.json."})
public final class TrainCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/train", description = "Run directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--resume", description = "Continue from the run directory's last checkpoint with its saved options.")
    boolean resume;

    @Mixin BackendOptions backendOptions;

    @Mixin TrainOptions options;

    @Override public Integer call() throws Exception {
        TrainOptions o = options;
        boolean resuming = resume && Checkpoint.exists(out.resolve("checkpoints"));
        if (resuming) {
            TrainOptions saved = Json.read(Checkpoint.options(Checkpoint.latest(out.resolve("checkpoints"))), TrainOptions.class);
            saved.steps = options.steps;
            o = saved;
        } else if (!resume && Files.exists(out.resolve("runs.csv"))) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--out " + out + " already holds a run; pass --resume to continue it or choose another --out");
        }
        try (Backend backend = backendOptions.open()) {
            new TrainingRun(o, out, backend, System.out).run(resuming);
        }
        return 0;
    }
}
