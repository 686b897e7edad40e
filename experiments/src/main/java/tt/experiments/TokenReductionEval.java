package tt.experiments;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import tt.kernels.Backend;
import tt.model.LengthPenalty;
import tt.model.TokenReduction;
import tt.model.io.AtomicFile;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A checkpoint's held-out split decoded under encoder token reductions (none, pruning, merging):
 * BLEU, chrF, the share of source tokens kept and the decoding time of each, as `tt evaluate`
 * compares them and an experiment's test section asks for them. Each model decodes the split once
 * untimed first (compiling its graphs, warming the JIT), then once timed.
 */
final class TokenReductionEval {
    static final String CSV = "token-reduction.csv";
    private static final String[] HEADER = {"reduction", "keep", "after_layer", "source_tokens_kept", "beam", "length_penalty", "bleu", "chrf",
            "seconds", "sentences_per_second"};

    private TokenReductionEval() {}

    /** One decoding: {@code reduction} null for the whole source. */
    record Result(TokenReduction reduction, double kept, int beam, LengthPenalty penalty, TrainingRun.Decoded decoded, double seconds, int sentences) {
        String method() { return reduction == null ? "none" : reduction.method().name().toLowerCase(Locale.ROOT); }

        double keep() { return reduction == null ? 1.0 : reduction.keep(); }

        double bleu() { return decoded.bleu(); }

        double chrf() { return decoded.chrf(); }

        String search() {
            return (beam == 1 ? "greedy" : "beam " + beam + ", length penalty " + penalty) + (reduction == null ? "" : ", " + reduction);
        }
    }

    /** The searches a checkpoint is decoded with: each beam width with each of its length penalties. */
    interface Searches {
        List<LengthPenalty> penalties(int beam);
    }

    /**
     * Decodes {@code set} with the checkpoint (several: their ensemble) under each reduction (null:
     * none) and each search; {@code warmUp}: an untimed decoding first on each model, so that times compare.
     */
    static List<Result> run(List<Path> checkpoints, Backend backend, List<TokenReduction> reductions, List<Integer> beams, Searches searches,
                            int maxLen, int maxTokens, TaskData.Heldout set, boolean warmUp, String command) throws IOException {
        int widest = beams.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<Result> all = new ArrayList<>();
        for (TokenReduction r : reductions) {
            LoadedCheckpoint loaded = LoadedCheckpoint.open(checkpoints, backend, 4096, maxTokens, widest, command, r);
            if (warmUp) TrainingRun.decode(loaded.translator(), beams.getFirst(), searches.penalties(beams.getFirst()).getFirst(), maxLen, loaded.tokenizer(), set);
            for (int beam : beams) {
                for (LengthPenalty penalty : searches.penalties(beam)) {
                    long t0 = System.nanoTime();
                    TrainingRun.Decoded d = TrainingRun.decode(loaded.translator(), beam, penalty, maxLen, loaded.tokenizer(), set);
                    all.add(new Result(r, kept(r, set), beam, penalty, d, (System.nanoTime() - t0) * 1e-9, set.pairs().size()));
                }
            }
        }
        return all;
    }

    /** The share of source tokens (with their &lt;/s&gt;) the encoder keeps after the reduction: 1 without one. */
    static double kept(TokenReduction r, TaskData.Heldout set) {
        long all = 0, kept = 0;
        for (var p : set.pairs()) {
            int length = p.source().length + 1;
            all += length;
            kept += r == null ? length : r.kept(length);
        }
        return (double) kept / all;
    }

    static void writeCsv(Path file, List<Result> results) throws IOException {
        AtomicFile.write(file, o -> {
            CSVPrinter printer = new CSVPrinter(new OutputStreamWriter(o, StandardCharsets.UTF_8), CSVFormat.DEFAULT.builder().setHeader(HEADER).build());
            for (Result r : results) {
                printer.printRecord(r.method(), r.keep(), r.reduction() == null ? "" : r.reduction().afterLayer(), fixed(4, r.kept()), r.beam(),
                        r.penalty().alpha(), fixed(2, r.bleu()), fixed(2, r.chrf()), fixed(2, r.seconds()), fixed(1, r.sentences() / r.seconds()));
            }
            printer.flush();  // not closed: AtomicFile closes (and syncs) its stream itself
        });
    }

    /** The rows of a CSV that {@link #writeCsv} wrote, by column name. */
    static List<CSVRecord> readCsv(Path file) throws IOException {
        try (CSVParser p = CSVParser.parse(file, StandardCharsets.UTF_8, CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            return p.getRecords();
        }
    }

    /** Whether a CSV holds every reduction asked for (by method and keep ratio). */
    static boolean covers(Path file, List<TokenReduction> reductions) throws IOException {
        if (!Files.exists(file)) return false;
        List<CSVRecord> rows = readCsv(file);
        for (TokenReduction r : reductions) {
            String method = r == null ? "none" : r.method().name().toLowerCase(Locale.ROOT);
            double keep = r == null ? 1.0 : r.keep();
            if (rows.stream().noneMatch(row -> row.get("reduction").equals(method) && Double.parseDouble(row.get("keep")) == keep)) return false;
        }
        return true;
    }

    /**
     * BLEU against the share of source tokens kept and against decoding time: one line per
     * {@code series} name (a method, or a variant's method), each over points (kept, seconds, BLEU).
     */
    static List<String> plot(java.util.Map<String, List<double[]>> series, Path dir, String prefix, String title, String metric) throws IOException {
        List<String> written = new ArrayList<>();
        for (boolean byTime : new boolean[] {false, true}) {
            var chart = Figures.lines(title, byTime ? "decoding time (s)" : "source tokens kept", metric);
            int i = 0;
            for (var e : series.entrySet()) {
                List<double[]> points = e.getValue().stream().sorted(Comparator.comparingDouble(p -> p[0])).toList();
                chart.addSeries(e.getKey(), points.stream().mapToDouble(p -> byTime ? p[1] : p[0]).toArray(),
                        points.stream().mapToDouble(p -> p[2]).toArray()).setLineColor(Figures.color(i++));
            }
            String name = prefix + (byTime ? "bleu_vs_time" : "bleu_vs_tokens_kept");
            Figures.save(chart, dir, name);
            written.add(name);
        }
        return written;
    }

    /** Each method's points (kept, seconds, BLEU), the whole source (no reduction) starting every line. */
    static java.util.Map<String, List<double[]>> byMethod(List<Result> results) {
        java.util.Map<String, List<double[]>> series = new java.util.LinkedHashMap<>();
        for (TokenReduction.Method m : TokenReduction.Method.values()) {
            List<double[]> points = results.stream().filter(r -> r.reduction() == null || r.reduction().method() == m)
                    .map(r -> new double[] {r.kept(), r.seconds(), r.bleu()}).toList();
            if (results.stream().anyMatch(r -> r.reduction() != null && r.reduction().method() == m)) series.put(m.name().toLowerCase(Locale.ROOT), points);
        }
        return series;
    }

    private static String fixed(int decimals, double v) { return String.format(Locale.ROOT, "%." + decimals + "f", v); }

    /**
     * An experiment's token reduction results: every finished cell's CSV merged into
     * OUT/EXPERIMENT/token-reduction.csv (with variant and seed), plots of BLEU against tokens kept
     * and time (means over seeds, a line per variant and method), and a markdown section with the
     * means ± std over seeds; an empty section when no cell has results.
     */
    static String summarize(Path experimentDir, List<Summary.Finished> finished, List<String> plots) throws IOException {
        List<CellRow> rows = new ArrayList<>();
        for (Summary.Finished f : finished) {
            Path csv = f.cell().dir(experimentDir).resolve(CSV);
            if (Files.exists(csv)) for (CSVRecord r : readCsv(csv)) rows.add(new CellRow(f.cell().variant().name(), f.cell().seed(), r));
        }
        if (rows.isEmpty()) return "";
        AtomicFile.write(experimentDir.resolve(CSV), o -> {
            List<String> header = new ArrayList<>(List.of("variant", "seed"));
            header.addAll(List.of(HEADER));
            CSVPrinter printer = new CSVPrinter(new OutputStreamWriter(o, StandardCharsets.UTF_8),
                    CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new)).build());
            for (CellRow r : rows) {
                List<String> values = new ArrayList<>(List.of(r.variant(), Integer.toString(r.seed())));
                for (String h : HEADER) values.add(r.values().get(h));
                printer.printRecord(values);
            }
            printer.flush();  // AtomicFile closes its stream
        });
        // Means over seeds per (variant, reduction, keep), in the order first met.
        java.util.Map<String, List<CellRow>> groups = new java.util.LinkedHashMap<>();
        for (CellRow r : rows) groups.computeIfAbsent(r.variant() + "|" + r.values().get("reduction") + "|" + r.values().get("keep"), k -> new ArrayList<>()).add(r);
        List<List<String>> table = new ArrayList<>();
        java.util.Map<String, List<double[]>> series = new java.util.LinkedHashMap<>();
        boolean severalVariants = rows.stream().map(CellRow::variant).distinct().count() > 1;
        for (List<CellRow> g : groups.values()) {
            Statistics.Spread kept = spread(g, "source_tokens_kept"), bleu = spread(g, "bleu"), chrf = spread(g, "chrf"), seconds = spread(g, "seconds");
            CSVRecord first = g.getFirst().values();
            table.add(List.of(g.getFirst().variant(), first.get("reduction"), first.get("keep"), Integer.toString(g.size()), fixed(3, kept.mean()),
                    bleu.meanStd(2), chrf.meanStd(2), seconds.meanStd(2)));
            double[] point = {kept.mean(), seconds.mean(), bleu.mean()};
            for (String method : first.get("reduction").equals("none") ? List.of("prune", "merge") : List.of(first.get("reduction"))) {
                if (rows.stream().noneMatch(r -> r.values().get("reduction").equals(method))) continue;
                series.computeIfAbsent(severalVariants ? g.getFirst().variant() + " " + method : method, k -> new ArrayList<>()).add(point);
            }
        }
        for (String p : plot(series, experimentDir.resolve("plots"), "token_reduction_", "Token reduction in the encoder (mean of seeds)", "test BLEU")) {
            plots.add("plots/" + p);
        }
        return "## Token reduction\n\nThe test set decoded by each finished encoder-decoder cell's final model with the encoder's tokens pruned "
                + "or merged after a layer (`tt evaluate --prune-keep/--merge-keep` does the same for one checkpoint); \"none\" is the whole "
                + "source, timed the same way (each model decodes once untimed first). Mean ± std over seeds; every row is in ["
                + CSV + "](" + CSV + ").\n\n"
                + Summary.markdown(List.of("variant", "reduction", "keep", "seeds", "source tokens kept", "test BLEU", "test chrF", "decoding seconds"), table)
                + "\n";
    }

    /** One row of a cell's CSV, with the cell's variant and seed. */
    private record CellRow(String variant, int seed, CSVRecord values) {}

    private static Statistics.Spread spread(List<CellRow> rows, String column) {
        return Statistics.Spread.of(rows.stream().mapToDouble(r -> Double.parseDouble(r.values().get(column))).toArray());
    }
}
