package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tt.kernels.Backend;
import tt.model.io.FileTrees;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * The main job on the embedded default: the tiny Transformer learns to reverse sequences of 16
 * symbols (the UvA tutorial task), no data files needed, and reports exact-match accuracy.
 */
@Command(name = "quickstart", description = "Train the tiny preset on the synthetic reverse task (no data needed).")
public final class QuickstartCommand implements Callable<Integer> {
    @Mixin BackendOptions backendOptions;

    @Option(names = "--out", defaultValue = "runs/quickstart", description = "Run directory, replaced (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", defaultValue = "600", description = "Optimizer updates (default: ${DEFAULT-VALUE}).")
    int steps;

    @Override public Integer call() throws Exception {
        TrainOptions o = quickstartOptions(steps);
        FileTrees.delete(out);
        try (Backend backend = backendOptions.open()) {
            TrainingRun.Evaluation last = new TrainingRun(o, out, backend, System.out).run(false);
            PlotCommand.plot(java.util.List.of(out), out);
            System.out.printf("reverse task: %.1f%% of %d validation sequences reversed exactly; log in %s, curves in %s%n",
                    100 * last.exactMatch(), o.valSize, out.resolve("runs.csv"), out.resolve("loss.png"));
            return 0;
        }
    }

    static TrainOptions quickstartOptions(int steps) {
        TrainOptions o = new TrainOptions();
        o.task = "reverse";
        o.preset = "tiny";
        o.steps = steps;
        o.maxTokens = 2048;
        o.maxLen = 17;
        o.schedule = "noam";
        o.lr = 1.0;
        o.warmup = 200;
        o.evalEvery = 200;
        o.logEvery = 20;
        o.checkpointEvery = 0;
        return o;
    }
}
