package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tt.kernels.Backend;
import tt.model.AdamConfig;
import tt.model.BatchLimits;
import tt.model.Checkpoint;
import tt.model.Transformer;
import tt.model.TransformerConfig;
import tt.model.Translator;
import tt.model.text.Tokenizer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Translates sentences with a trained checkpoint, greedy or beam search. */
@Command(name = "translate", description = "Translate sentences (arguments, or one per line on stdin) with a checkpoint.")
public final class TranslateCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--checkpoint"}, required = true,
            description = "A run directory, its checkpoints/ directory, or one step-NNNNNN directory.")
    Path checkpoint;

    @Option(names = "--beam", defaultValue = "1", description = "Beam width, 1 = greedy (default: ${DEFAULT-VALUE}).")
    int beam;

    @Option(names = "--length-penalty", defaultValue = "0.6", description = "GNMT length penalty alpha (default: ${DEFAULT-VALUE}).")
    double lengthPenalty;

    @Option(names = "--max-len", defaultValue = "100", description = "Longest output in tokens (default: ${DEFAULT-VALUE}).")
    int maxLen;

    @Mixin BackendOptions backendOptions;

    @Parameters(arity = "0..*", description = "Sentences; read from stdin when none are given.")
    List<String> sentences = new ArrayList<>();

    @Override public Integer call() throws Exception {
        Path dir = resolve(checkpoint);
        TransformerConfig config = Checkpoint.config(dir);
        Tokenizer tokenizer = Tokenizer.load(dir.resolve(Checkpoint.TOKENIZER));
        List<String> input = sentences.isEmpty() ? stdinLines() : sentences;
        int len = Math.min(config.maxLen(), maxLen + 1);
        Transformer model = Transformer.create(config, new BatchLimits(Math.max(4096, len * beam), 4096, len), AdamConfig.paper(), 0);
        Checkpoint.loadParameters(dir.resolve(Checkpoint.MODEL), model);
        try (Backend backend = backendOptions.open()) {
            backend.upload(model.parameterRoot());
            Translator translator = new Translator(model, backend);
            int[][] sources = input.stream().map(tokenizer::encode).toArray(int[][]::new);
            int[][] outputs = beam > 1 ? translator.beam(sources, beam, lengthPenalty, maxLen) : translator.greedy(sources, maxLen);
            for (int[] o : outputs) System.out.println(tokenizer.decode(o));
        }
        return 0;
    }

    /** A run directory, its checkpoints directory, or a step directory: the checkpoint to load. */
    private Path resolve(Path given) throws java.io.IOException {
        if (Files.exists(given.resolve(Checkpoint.MODEL))) return given;
        if (Checkpoint.exists(given)) return Checkpoint.latest(given);
        if (Checkpoint.exists(given.resolve("checkpoints"))) return Checkpoint.latest(given.resolve("checkpoints"));
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--checkpoint " + given + ": no " + Checkpoint.MODEL + " or checkpoints/" + Checkpoint.LATEST + " there; give a run directory");
    }

    private static List<String> stdinLines() throws java.io.IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        return r.lines().filter(l -> !l.isBlank()).toList();
    }
}
