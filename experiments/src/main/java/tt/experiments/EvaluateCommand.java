package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import tt.kernels.Backend;
import tt.model.Checkpoint;
import tt.model.LengthPenalty;
import tt.model.TokenReduction;
import tt.model.eval.Bleu;
import tt.model.eval.ChrF;
import tt.model.io.AtomicFile;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Translates a held-out split of the checkpoint's own task and scores it, in one command: what
 * {@code tt translate} then {@code tt bleu} against the split's references would print.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Translate the val or test split of the run's task with a checkpoint and print BLEU and chrF with sacreBLEU's signatures.",
                "Given several --beam widths or --length-penalty values, compare them in a table (choose on --split val).",
                "e.g. ./tt evaluate -c runs/m30k --split val --beam 1,4,5 --length-penalty 0.6,1.0,1.2",
                "     ./tt evaluate -c runs/m30k --split test --beam 5 --out test.beam5.en",
                "     ./tt evaluate -c runs/m30k-seed1 -c runs/m30k-seed2 --split test --beam 5     (an ensemble)",
                "     ./tt evaluate -c runs/m30k --prune-keep 1,0.9,0.75,0.5 --merge-keep 0.9,0.75,0.5 --csv reduction.csv --plot plots/"})
public final class EvaluateCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--checkpoint"}, required = true,
            description = "A run directory, its checkpoints/ directory, a step-NNNNNN directory or an averaged one (tt average). "
                    + "Repeated: decode with the ensemble of them (the mean of their probabilities), which must share tokenizer and task.")
    List<Path> checkpoints;

    @Option(names = "--split", defaultValue = "test", description = "val or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--beam", split = ",", defaultValue = "1",
            description = "Beam width, 1 = greedy; a comma-separated list compares widths (with every --length-penalty) (default: ${DEFAULT-VALUE}).")
    List<Integer> beams;

    @Option(names = "--src", description = "With --task files runs: the test split's source file.")
    Path src;

    @Option(names = "--tgt", description = "With --task files runs: the test split's reference file.")
    Path tgt;

    @Option(names = "--size", defaultValue = "1000", description = "With synthetic tasks: test sequences (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--out", description = "Also write the translations here, one per line (detokenized).")
    Path out;

    @Mixin SearchOptions search;

    @Mixin ChunkOptions chunk;

    @Mixin ReductionOptions reduction;

    @Option(names = "--csv", description = "Also write every decoding's scores and time here (CSV), e.g. to compare token reductions.")
    Path csv;

    @Option(names = "--plot", description = "With --prune-keep or --merge-keep: draw BLEU against the source tokens kept and against decoding time into this directory.")
    Path plot;

    @Mixin BackendOptions backendOptions;

    @Override public Integer call() throws Exception {
        search.check(spec, beams, true);
        chunk.check(spec);
        if (!split.equals("val") && !split.equals("test")) throw new ParameterException(spec.commandLine(), "--split " + split + ": use val or test");
        if (size < 1) throw new ParameterException(spec.commandLine(), "--size must be at least 1, got " + size);
        List<TokenReduction> reductions = reduction.reductions(spec, true);
        int searches = beams.stream().mapToInt(b -> search.penalties(b).size()).sum() * reductions.size();
        if (out != null && searches > 1) throw new ParameterException(spec.commandLine(), "--out writes one decoding; give one --beam and one --length-penalty");
        if (out != null && Files.isDirectory(out)) throw new ParameterException(spec.commandLine(), "--out " + out + " is a directory; give a file");
        try (Backend backend = backendOptions.open()) {
            Path dir = LoadedCheckpoint.resolve(checkpoints.getFirst(), "evaluate");
            TrainOptions o = TrainOptions.fromJson(Checkpoint.options(dir));
            tt.model.text.Tokenizer tokenizer = tt.model.text.Tokenizer.load(dir.resolve(Checkpoint.TOKENIZER));
            TaskData.Heldout set = TaskData.heldout(o, tokenizer, split.equals("val") ? TaskData.Split.VAL : TaskData.Split.TEST, src, tgt, size);
            if (set.pairs().isEmpty()) throw new IllegalArgumentException("the " + split + " split has no sentences");
            System.out.printf(Locale.ROOT, "%s%s, %s split, %d sentences%n", checkpoints.size() > 1 ? "ensemble of " + checkpoints.size() + ": " : "",
                    checkpoints.size() > 1 ? checkpoints.stream().map(Path::toString).collect(java.util.stream.Collectors.joining(" + ")) : dir, split,
                    set.pairs().size());
            // Compared searches are timed after an untimed decoding on each model (graphs compiled, JIT warm).
            List<TokenReductionEval.Result> all = TokenReductionEval.run(checkpoints, backend, reductions, beams, search::penalties, search.maxLen,
                    chunk.maxTokens, set, searches > 1, "evaluate");
            if (searches > 1) {
                System.out.println("| search | source tokens kept | BLEU | BP | length ratio | chrF | seconds | sentences/s |");
                System.out.println("|---|---|---|---|---|---|---|---|");
                for (TokenReductionEval.Result s : all) {
                    Bleu.Score b = s.decoded().bleuScore();
                    System.out.printf(Locale.ROOT, "| %s | %.3f | %.2f | %.3f | %.3f | %.2f | %.1f | %.1f |%n", s.search(), s.kept(), b.score(),
                            b.brevityPenalty(), b.ratio(), s.chrf(), s.seconds(), set.pairs().size() / s.seconds());
                }
                if (split.equals("test")) System.out.println("(choose the search on --split val; the test split reports the one chosen)");
            }
            if (csv != null) {
                TokenReductionEval.writeCsv(csv, all);
                System.out.println("scores in " + csv);
            }
            if (plot != null) {
                TokenReductionEval.plot(TokenReductionEval.byMethod(all), plot, "", "Token reduction after encoder layer " + reduction.afterLayer,
                        split + " BLEU");
                System.out.println("plots in " + plot);
            }
            TokenReductionEval.Result best = all.stream().max(java.util.Comparator.comparingDouble(TokenReductionEval.Result::bleu)).orElseThrow();
            System.out.printf(Locale.ROOT, "%s%s: %.1f s, %.1f sentences/s%n", searches > 1 ? "best by BLEU: " : "", best.search(), best.seconds(),
                    set.pairs().size() / best.seconds());
            System.out.println(best.decoded().bleuScore().withSignature(1));
            // Also case-insensitive: most published Multi30k scores (multimodal MT) are on lowercased text.
            System.out.println(Bleu.corpus(best.decoded().hypotheses(), List.of(set.references()), true).withSignature(1));
            System.out.println(best.decoded().chrfScore().withSignature(1));
            if (out != null) {
                byte[] text = (String.join("\n", best.decoded().hypotheses()) + "\n").getBytes(StandardCharsets.UTF_8);
                AtomicFile.write(out, o2 -> o2.write(text));
                System.out.println("translations in " + out);
            }
        }
        return 0;
    }
}
