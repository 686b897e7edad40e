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
                "     ./tt evaluate -c runs/m30k --prune-keep 1,0.9,0.75,0.5 --merge-keep 0.9,0.75,0.5 --csv reduction.csv --plot plots/"})
public final class EvaluateCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--checkpoint"}, required = true,
            description = "A run directory, its checkpoints/ directory, a step-NNNNNN directory or an averaged one (tt average).")
    Path checkpoint;

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

    /** One decoding of the split and its scores; {@code kept} is the share of source tokens the encoder's later layers saw. */
    private record Scored(TokenReduction reduction, double kept, int beam, LengthPenalty penalty, TrainingRun.Decoded decoded, double seconds) {
        String search() {
            return (beam == 1 ? "greedy" : "beam " + beam + ", length penalty " + penalty) + (reduction == null ? "" : ", " + reduction);
        }

        Bleu.Score bleu() { return decoded.bleuScore(); }

        ChrF.Score chrf() { return decoded.chrfScore(); }
    }

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
            int widest = beams.stream().mapToInt(Integer::intValue).max().orElse(1);
            LoadedCheckpoint loaded = LoadedCheckpoint.open(checkpoint, backend, 4096, chunk.maxTokens, widest, "evaluate", reductions.getFirst());
            TrainOptions o = TrainOptions.fromJson(Checkpoint.options(loaded.dir()));
            TaskData.Heldout set = TaskData.heldout(o, loaded.tokenizer(), split.equals("val") ? TaskData.Split.VAL : TaskData.Split.TEST, src, tgt, size);
            if (set.pairs().isEmpty()) throw new IllegalArgumentException("the " + split + " split has no sentences");
            System.out.printf(Locale.ROOT, "%s, %s split, %d sentences%n", loaded.dir(), split, set.pairs().size());
            List<Scored> all = new ArrayList<>();
            for (TokenReduction r : reductions) {
                if (r != reductions.getFirst()) loaded = LoadedCheckpoint.open(checkpoint, backend, 4096, chunk.maxTokens, widest, "evaluate", r);
                if (searches > 1) {  // each model's first decoding would also pay for compiling its graphs and the JIT's warm-up: not timed
                    TrainingRun.decode(loaded.translator(), beams.getFirst(), search.penalty(beams.getFirst()), search.maxLen, loaded.tokenizer(), set);
                }
                for (int beam : beams) {
                    for (LengthPenalty penalty : search.penalties(beam)) {
                        long t0 = System.nanoTime();
                        TrainingRun.Decoded d = TrainingRun.decode(loaded.translator(), beam, penalty, search.maxLen, loaded.tokenizer(), set);
                        Scored s = new Scored(r, kept(r, set), beam, penalty, d, (System.nanoTime() - t0) * 1e-9);
                        all.add(s);
                        if (searches > 1) System.out.printf(Locale.ROOT, "%s: BLEU %.2f (length ratio %.3f), chrF %.2f, %.1f s%n", s.search(),
                                s.bleu().score(), s.bleu().ratio(), s.chrf().score(), s.seconds());
                    }
                }
            }
            if (searches > 1) {
                System.out.println("| search | source tokens kept | BLEU | BP | length ratio | chrF | seconds | sentences/s |");
                System.out.println("|---|---|---|---|---|---|---|---|");
                for (Scored s : all) {
                    System.out.printf(Locale.ROOT, "| %s | %.3f | %.2f | %.3f | %.3f | %.2f | %.1f | %.1f |%n", s.search(), s.kept(), s.bleu().score(),
                            s.bleu().brevityPenalty(), s.bleu().ratio(), s.chrf().score(), s.seconds(), set.pairs().size() / s.seconds());
                }
                if (split.equals("test")) System.out.println("(choose the search on --split val; the test split reports the one chosen)");
            }
            if (csv != null) writeCsv(all, set.pairs().size());
            if (plot != null) plot(all);
            Scored best = all.stream().max(java.util.Comparator.comparingDouble(s -> s.bleu().score())).orElseThrow();
            System.out.printf(Locale.ROOT, "%s%s: %.1f s, %.1f sentences/s%n", searches > 1 ? "best by BLEU: " : "", best.search(), best.seconds(),
                    set.pairs().size() / best.seconds());
            System.out.println(best.bleu().withSignature(1));
            System.out.println(best.chrf().withSignature(1));
            if (out != null) {
                byte[] text = (String.join("\n", best.decoded().hypotheses()) + "\n").getBytes(StandardCharsets.UTF_8);
                AtomicFile.write(out, o2 -> o2.write(text));
                System.out.println("translations in " + out);
            }
        }
        return 0;
    }

    /** The share of source tokens (with their &lt;/s&gt;) the encoder keeps after the reduction: 1 without one. */
    private static double kept(TokenReduction r, TaskData.Heldout set) {
        long all = 0, kept = 0;
        for (var p : set.pairs()) {
            int length = p.source().length + 1;
            all += length;
            kept += r == null ? length : r.kept(length);
        }
        return (double) kept / all;
    }

    private void writeCsv(List<Scored> all, int sentences) throws java.io.IOException {
        AtomicFile.write(csv, o -> {
            var w = new java.io.OutputStreamWriter(o, StandardCharsets.UTF_8);
            var printer = new org.apache.commons.csv.CSVPrinter(w, org.apache.commons.csv.CSVFormat.DEFAULT.builder().setHeader("checkpoint",
                    "split", "reduction", "keep", "after_layer", "source_tokens_kept", "beam", "length_penalty", "bleu", "chrf", "seconds",
                    "sentences_per_second").build());
            for (Scored s : all) {
                printer.printRecord(checkpoint, split, s.reduction() == null ? "none" : s.reduction().method().name().toLowerCase(Locale.ROOT),
                            s.reduction() == null ? 1.0 : s.reduction().keep(), s.reduction() == null ? "" : s.reduction().afterLayer(),
                            String.format(Locale.ROOT, "%.4f", s.kept()), s.beam(), s.penalty().alpha(), String.format(Locale.ROOT, "%.2f", s.bleu().score()),
                            String.format(Locale.ROOT, "%.2f", s.chrf().score()), String.format(Locale.ROOT, "%.2f", s.seconds()),
                            String.format(Locale.ROOT, "%.1f", sentences / s.seconds()));
            }
            printer.flush();  // not closed: AtomicFile closes (and syncs) its stream itself
        });
        System.out.println("scores in " + csv);
    }

    /** BLEU against the share of source tokens kept and against decoding time, one line per method (the plain model on each). */
    private void plot(List<Scored> all) throws java.io.IOException {
        for (boolean byTime : new boolean[] {false, true}) {
            var chart = Figures.lines("Token reduction after encoder layer " + reduction.afterLayer, byTime ? "decoding time (s)" : "source tokens kept",
                    "test BLEU".replace("test", split));
            int series = 0;
            for (TokenReduction.Method m : TokenReduction.Method.values()) {
                List<Scored> line = all.stream().filter(s -> s.reduction() == null || s.reduction().method() == m)
                        .sorted(java.util.Comparator.comparingDouble(Scored::kept)).toList();
                if (line.stream().noneMatch(s -> s.reduction() != null)) continue;
                chart.addSeries(m.name().toLowerCase(Locale.ROOT), line.stream().mapToDouble(s -> byTime ? s.seconds() : s.kept()).toArray(),
                        line.stream().mapToDouble(s -> s.bleu().score()).toArray()).setLineColor(Figures.color(series++));
            }
            Figures.save(chart, plot, byTime ? "bleu_vs_time" : "bleu_vs_tokens_kept");
        }
        System.out.println("plots in " + plot);
    }
}
