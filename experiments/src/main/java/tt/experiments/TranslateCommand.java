package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import tt.kernels.Backend;
import tt.model.Translator;
import tt.model.text.Tokenizer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Translates sentences with a trained checkpoint, greedy or beam search: one output line per input
 * line (an empty line gives an empty line), a line at a time when typed at a terminal.
 */
@Command(name = "translate", mixinStandardHelpOptions = true,
        description = "Translate sentences (arguments, or one per line on stdin) with a checkpoint.")
public final class TranslateCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--checkpoint"}, required = true,
            description = "A run directory, its checkpoints/ directory, or one step-NNNNNN directory. Repeated: translate with the ensemble "
                    + "of them (the mean of their probabilities), which must share tokenizer and task.")
    List<Path> checkpoints;

    @Option(names = "--beam", defaultValue = "1", description = "Beam width, 1 = greedy (default: ${DEFAULT-VALUE}).")
    int beam;

    @Mixin SearchOptions search;

    @Mixin ChunkOptions chunk;

    @Mixin ReductionOptions reduction;

    @Mixin BackendOptions backendOptions;

    @Parameters(arity = "0..*", description = "Sentences; read from stdin when none are given.")
    List<String> sentences = new ArrayList<>();

    @Override public Integer call() throws Exception {
        search.check(spec, java.util.List.of(beam), false);
        chunk.check(spec);
        try (Backend backend = backendOptions.open()) {
            LoadedCheckpoint loaded = LoadedCheckpoint.open(checkpoints, backend, 4096, chunk.maxTokens, beam, "translate",
                    reduction.reductions(spec, false).getFirst());
            Translator translator = loaded.translator();
            Tokenizer tokenizer = loaded.tokenizer();
            PrintStream out = System.out;
            if (!sentences.isEmpty()) {
                translate(translator, tokenizer, sentences, "argument", 1).forEach(out::println);
            } else if (System.console() != null && System.console().isTerminal()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                int n = 1;
                for (String line; (line = in.readLine()) != null; n++) {
                    try {
                        out.println(translate(translator, tokenizer, List.of(line), "line", n).getFirst());
                    } catch (IllegalArgumentException e) {
                        System.err.println("tt translate: " + e.getMessage());  // typed: say so and take the next line
                    }
                }
            } else {
                List<String> lines = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines().toList();
                translate(translator, tokenizer, lines, "stdin line", 1).forEach(out::println);
            }
        }
        return 0;
    }

    /**
     * Translations of {@code lines}, one each; blank lines stay blank. A line longer than the model
     * takes is an error naming it ({@code what} and its number from {@code first}), never cut.
     */
    private List<String> translate(Translator translator, Tokenizer tokenizer, List<String> lines, String what, int first) {
        List<int[]> sources = new ArrayList<>();
        List<Integer> where = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            int[] ids = tokenizer.encode(lines.get(i));
            if (ids.length > translator.maxSourceLength()) {
                throw new IllegalArgumentException(what + " " + (first + i) + ": " + ids.length + " tokens, more than the "
                        + translator.maxSourceLength() + " the model takes; split the sentence");
            }
            sources.add(ids);
            where.add(i);
        }
        int[][] src = sources.toArray(int[][]::new);
        int[][] outputs = search.translate(translator, src, beam);
        List<String> text = new ArrayList<>(java.util.Collections.nCopies(lines.size(), ""));
        for (int k = 0; k < outputs.length; k++) text.set(where.get(k), tokenizer.decode(outputs[k]));
        return text;
    }
}
