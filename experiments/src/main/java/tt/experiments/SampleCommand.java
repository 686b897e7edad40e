package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import tt.kernels.Backend;
import tt.model.TransformerConfig;
import tt.model.text.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Continues prompts with a decoder-only checkpoint (a language model), drawing tokens with temperature and top-k. */
@Command(name = "sample", mixinStandardHelpOptions = true,
        description = "Sample continuations of prompts (or of nothing) from a decoder-only checkpoint; one line per sample.")
public final class SampleCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--checkpoint"}, required = true,
            description = "A run directory, its checkpoints/ directory, or one step-NNNNNN directory of a decoder-only model.")
    Path checkpoint;

    @Option(names = {"-n", "--samples"}, defaultValue = "1", description = "Samples per prompt (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Divides the log-probabilities before drawing; below 1 sharpens (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Draw among the k most likely tokens only, 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--max-len", defaultValue = "50", description = "Longest continuation, in tokens (default: ${DEFAULT-VALUE}).")
    int maxLen;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the draws: the same seed gives the same samples (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin BackendOptions backendOptions;

    @Parameters(arity = "0..*", description = "Prompts to continue; none: samples from the start of a sentence.")
    List<String> prompts = new ArrayList<>();

    @Override public Integer call() throws Exception {
        if (samples < 1) throw new ParameterException(spec.commandLine(), "--samples must be at least 1, got " + samples);
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new ParameterException(spec.commandLine(), "--temperature must be positive, got " + temperature);
        }
        if (topK < 0) throw new ParameterException(spec.commandLine(), "--top-k must be 0 (all tokens) or more, got " + topK);
        if (maxLen < 1) throw new ParameterException(spec.commandLine(), "--max-len must be at least 1, got " + maxLen);
        List<String> texts = prompts.isEmpty() ? List.of("") : prompts;
        try (Backend backend = backendOptions.open()) {
            TransformerConfig config = tt.model.Checkpoint.config(LoadedCheckpoint.resolve(checkpoint, "sample"));
            if (config.arch() != TransformerConfig.Arch.DECODER_ONLY) {
                throw new ParameterException(spec.commandLine(), "--checkpoint " + checkpoint + " is an " + config.arch().label()
                        + " model; sampling continues a prompt, which takes a decoder-only model (tt train --arch decoder-only --objective lm)");
            }
            LoadedCheckpoint loaded = LoadedCheckpoint.open(checkpoint, backend, texts.size() * samples, 4096, 1, "sample");
            Tokenizer tokenizer = loaded.tokenizer();
            int[][] encoded = new int[texts.size() * samples][];
            for (int i = 0; i < texts.size(); i++) {
                int[] ids = tokenizer.encode(texts.get(i));
                for (int k = 0; k < samples; k++) encoded[i * samples + k] = ids;
            }
            int[][] continued = loaded.translator().sample(encoded, temperature, topK, maxLen, seed);
            for (int i = 0; i < continued.length; i++) {
                int[] all = java.util.Arrays.copyOf(encoded[i], encoded[i].length + continued[i].length);
                System.arraycopy(continued[i], 0, all, encoded[i].length, continued[i].length);
                System.out.println(tokenizer.decode(all));
            }
        }
        return 0;
    }
}
