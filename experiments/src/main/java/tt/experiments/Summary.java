package tt.experiments;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import tt.experiments.ExperimentSpec.Cell;
import tt.experiments.ExperimentSpec.Variant;
import tt.experiments.RunLog.Row;
import tt.experiments.Statistics.Difference;
import tt.experiments.Statistics.Spread;
import tt.model.eval.PairedBootstrap;
import tt.model.io.AtomicFile;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * What an experiment's finished cells show: per variant, each metric's spread over seeds and its
 * difference to the baseline over the seeds both finished (paired by seed, 95% Student t
 * interval), and for test BLEU sacreBLEU's paired bootstrap test against the baseline's outputs.
 */
final class Summary {
    /** A finished cell: its runs.csv rows, and its test hypotheses if the spec has a test set. */
    record Finished(Cell cell, List<Row> rows, List<String> testHypotheses) {
        Row lastVal() { return rows.stream().filter(r -> r.split().equals("val")).reduce((a, b) -> b).orElseThrow(); }

        Row test() { return last(RunLog.TEST); }

        /** The test row of the best checkpoints averaged or ensembled; null until it is decoded. */
        Row test(BestCheckpoints way) { return last(way.split); }

        private Row last(String split) { return rows.stream().filter(r -> r.split().equals(split)).reduce((a, b) -> b).orElse(null); }

        double best(ToDoubleFunction<Row> value, boolean higherIsBetter) {
            var values = rows.stream().filter(r -> r.split().equals("val")).mapToDouble(value).filter(v -> !Double.isNaN(v));
            return (higherIsBetter ? values.max() : values.min()).orElse(Double.NaN);
        }
    }

    /** A number read off each finished cell; {@code higherIsBetter} decides "best" and the reading of a difference. */
    record Metric(String column, String label, boolean higherIsBetter, ToDoubleFunction<Finished> value) {}

    /** One metric of one variant. {@code pValue} is the paired bootstrap's, for test BLEU only (else NaN). */
    record Stat(Spread spread, Difference difference, double pValue) {}

    /** One variant: seeds finished, diverged and planned, and each metric (over the finished seeds). */
    record Line(Variant variant, int finished, int diverged, int planned, Map<Metric, Stat> stats) {}

    static final Metric VAL_NLL_FINAL = new Metric("val_nll_final", "final val NLL", false, f -> f.lastVal().nll());
    static final Metric VAL_NLL_BEST = new Metric("val_nll_best", "best val NLL", false, f -> f.best(Row::nll, false));
    static final Metric VAL_BLEU_FINAL = new Metric("val_bleu_final", "final val BLEU", true, f -> f.lastVal().bleu());
    static final Metric VAL_BLEU_BEST = new Metric("val_bleu_best", "best val BLEU", true, f -> f.best(Row::bleu, true));
    static final Metric VAL_EXACT_FINAL = new Metric("val_exact_match_final", "final val exact match", true, f -> f.lastVal().exactMatch());
    static final Metric TEST_BLEU = new Metric("test_bleu", "test BLEU", true, f -> f.test().bleu());
    static final Metric TEST_CHRF = new Metric("test_chrf", "test chrF", true, f -> f.test().chrf());
    static final Metric TEST_EXACT = new Metric("test_exact_match", "test exact match", true, f -> f.test().exactMatch());
    /** Test BLEU of the best checkpoints, averaged (test_bleu_averaged) or ensembled (test_bleu_ensembled). */
    static final Map<BestCheckpoints, Metric> TEST_BEST_BLEU = new java.util.EnumMap<>(BestCheckpoints.class);
    static {
        for (BestCheckpoints way : BestCheckpoints.values()) {
            TEST_BEST_BLEU.put(way, new Metric("test_bleu_" + way.participle, "test BLEU, best checkpoints " + way.participle, true,
                    f -> f.test(way) == null ? Double.NaN : f.test(way).bleu()));
        }
    }

    final ExperimentSpec spec;
    final List<Metric> metrics;
    final List<Line> lines;
    final List<Finished> finished;

    private Summary(ExperimentSpec spec, List<Metric> metrics, List<Line> lines, List<Finished> finished) {
        this.spec = spec;
        this.metrics = metrics;
        this.lines = lines;
        this.finished = finished;
    }

    /** The metrics of this spec: exact match only for synthetic tasks (elsewhere it is ~0), test ones only with a test set. */
    static List<Metric> metrics(ExperimentSpec spec) {
        boolean synthetic = spec.cells.getFirst().options().synthetic();
        List<Metric> m = new ArrayList<>(List.of(VAL_NLL_FINAL, VAL_NLL_BEST, VAL_BLEU_FINAL, VAL_BLEU_BEST));
        if (synthetic) m.add(VAL_EXACT_FINAL);
        if (spec.test != null) {
            m.addAll(List.of(TEST_BLEU, TEST_CHRF));
            if (synthetic) m.add(TEST_EXACT);
            for (BestCheckpoints way : BestCheckpoints.values()) if (way.count(spec.test) > 0) m.add(TEST_BEST_BLEU.get(way));
        }
        return m;
    }

    /**
     * Statistics of the finished cells; {@code diverged} are the cells that stopped diverging (counted,
     * not averaged); {@code testReferences} (null without a test set) feed the bootstrap test.
     */
    static Summary of(ExperimentSpec spec, List<Finished> finished, List<Cell> diverged, List<String> testReferences) {
        List<Metric> metrics = metrics(spec);
        Map<Variant, Map<Integer, Finished>> byVariant = new LinkedHashMap<>();
        for (Variant v : spec.variants) byVariant.put(v, new LinkedHashMap<>());
        for (Finished f : finished) byVariant.get(f.cell().variant()).put(f.cell().seed(), f);
        Map<Integer, Finished> baseline = byVariant.get(spec.baseline);

        List<Line> lines = new ArrayList<>();
        for (Variant v : spec.variants) {
            Map<Integer, Finished> cells = byVariant.get(v);
            List<Integer> paired = spec.seeds.stream().filter(s -> cells.containsKey(s) && baseline.containsKey(s)).toList();
            Map<Metric, Stat> stats = new LinkedHashMap<>();
            for (Metric m : metrics) {
                double[] all = cells.values().stream().mapToDouble(m.value()).toArray();
                double[] mine = paired.stream().mapToDouble(s -> m.value().applyAsDouble(cells.get(s))).toArray();
                double[] theirs = paired.stream().mapToDouble(s -> m.value().applyAsDouble(baseline.get(s))).toArray();
                double p = m == TEST_BLEU && v != spec.baseline && !paired.isEmpty() && testReferences != null
                        ? pairedBootstrap(paired, cells, baseline, testReferences) : Double.NaN;
                Difference d = v == spec.baseline ? Difference.NONE : Difference.paired(mine, theirs);
                stats.put(m, new Stat(Spread.of(all), d, p));
            }
            lines.add(new Line(v, cells.size(), (int) diverged.stream().filter(c -> c.variant() == v).count(), spec.seeds.size(), stats));
        }
        return new Summary(spec, metrics, lines, finished);
    }

    /** sacreBLEU's --paired-bs (1000 resamples, seed 12345), with the seeds both finished averaged inside each resample. */
    private static double pairedBootstrap(List<Integer> seeds, Map<Integer, Finished> variant, Map<Integer, Finished> baseline,
                                          List<String> references) {
        List<List<String>> systems = seeds.stream().map(s -> variant.get(s).testHypotheses()).toList();
        List<List<String>> baselines = seeds.stream().map(s -> baseline.get(s).testHypotheses()).toList();
        boolean complete = java.util.stream.Stream.concat(systems.stream(), baselines.stream())
                .allMatch(h -> h != null && h.size() == references.size());
        return complete ? PairedBootstrap.testSeeds(baselines, systems, references, PairedBootstrap.SAMPLES, PairedBootstrap.SEED).pValue()
                : Double.NaN;
    }

    Line baselineLine() { return lines.getFirst(); }

    // ---- summary.csv ----

    /** Writes summary.csv atomically: one row per variant. */
    void writeCsv(Path file) throws IOException {
        List<String> header = new ArrayList<>(List.of("variant", "changes", "seeds_finished", "seeds_diverged", "seeds_planned", "seed_pairs"));
        for (Metric m : metrics) {
            for (String part : List.of("mean", "std", "min", "max", "diff", "diff_ci95_low", "diff_ci95_high")) header.add(m.column() + "_" + part);
            if (m == TEST_BLEU) header.add("test_bleu_p_value");
        }
        AtomicFile.write(file, out -> {
            CSVPrinter p = new CSVPrinter(new OutputStreamWriter(out, StandardCharsets.UTF_8),
                    CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new)).build());
            for (Line l : lines) {
                int pairs = l == baselineLine() ? l.finished() : l.stats().values().iterator().next().difference().pairs();
                List<Object> row = new ArrayList<>(List.of(l.variant().name(), changes(l.variant()), l.finished(), l.diverged(), l.planned(), pairs));
                for (Metric m : metrics) {
                    Stat s = l.stats().get(m);
                    for (double v : new double[] {s.spread().mean(), s.spread().std(), s.spread().min(), s.spread().max(),
                            s.difference().mean(), s.difference().low(), s.difference().high()}) row.add(number(v));
                    if (m == TEST_BLEU) row.add(number(s.pValue()));
                }
                p.printRecord(row);
            }
            p.flush();
        });
    }

    static String changes(Variant v) {
        return String.join(",", v.changes().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    private static String number(double v) { return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v); }

    // ---- for people: the terminal table and report.md ----

    /** The metrics shown to people: final val NLL, the BLEU that matters most (and of the best checkpoints combined), exact match on synthetic tasks. */
    List<Metric> headline() {
        List<Metric> h = new ArrayList<>(List.of(VAL_NLL_FINAL, metrics.contains(TEST_BLEU) ? TEST_BLEU : VAL_BLEU_BEST));
        for (Metric best : TEST_BEST_BLEU.values()) if (metrics.contains(best)) h.add(best);
        if (metrics.contains(TEST_EXACT)) h.add(TEST_EXACT);
        else if (metrics.contains(VAL_EXACT_FINAL)) h.add(VAL_EXACT_FINAL);
        return h;
    }

    /** A markdown table (which also reads well in a terminal): variant, seeds, and per headline metric mean ± std and the difference. */
    String table() {
        List<String> head = new ArrayList<>(List.of("variant", "seeds"));
        for (Metric m : headline()) head.addAll(List.of(m.label() + " (mean ± std)", "Δ vs baseline [95% CI]"));
        if (metrics.contains(TEST_BLEU)) head.add("p (paired bootstrap)");
        List<List<String>> rows = new ArrayList<>();
        for (Line l : lines) {
            String name = l.variant().name();
            List<String> r = new ArrayList<>(List.of(l == baselineLine() && !name.equals("baseline") ? name + " (baseline)" : name,
                    l.finished() + "/" + l.planned() + (l.diverged() > 0 ? " (" + l.diverged() + " diverged)" : "")));
            for (Metric m : headline()) {
                Stat s = l.stats().get(m);
                r.add(Double.isNaN(s.spread().mean()) ? "–" : s.spread().meanStd(decimals(m)));
                r.add(l == baselineLine() ? "" : difference(s.difference(), m));
            }
            if (metrics.contains(TEST_BLEU)) {
                double p = l.stats().get(TEST_BLEU).pValue();
                r.add(Double.isNaN(p) ? "" : String.format(Locale.ROOT, "%.4f", p));
            }
            rows.add(r);
        }
        return markdown(head, rows);
    }

    static String difference(Difference d, Metric m) {
        if (d.pairs() == 0) return "–";
        String mean = (d.mean() >= 0 ? "+" : "") + fixed(d.mean(), m);
        return d.pairs() < 2 ? mean + " (1 seed)" : mean + " [" + fixed(d.low(), m) + ", " + fixed(d.high(), m) + "]";
    }

    /** BLEU and NLL to two decimals, shares (exact match) to three. */
    static String fixed(double v, Metric m) {
        return String.format(Locale.ROOT, "%." + decimals(m) + "f", v);
    }

    /** Decimals a metric is written with: three for exact-match shares, two for the rest. */
    static int decimals(Metric m) { return m.column().contains("exact") ? 3 : 2; }

    /**
     * One sentence per variant and headline metric: the difference, and whether its interval
     * excludes zero ("beyond the seed spread") or not, and what the bootstrap test says.
     */
    List<String> findings() {
        List<String> out = new ArrayList<>();
        for (Line l : lines) {
            if (l == baselineLine()) continue;
            for (Metric m : headline()) {
                Difference d = l.stats().get(m).difference();
                if (d.pairs() == 0) continue;
                String what = l.variant().name() + " vs " + spec.baseline.name() + ", " + m.label() + ": " + difference(d, m);
                if (d.pairs() < 2) {
                    out.add(what + "; one seed each, so no interval: run more seeds before reading anything into it.");
                    continue;
                }
                boolean better = (d.mean() > 0) == m.higherIsBetter();
                String reading = d.excludesZero()
                        ? (better ? "better" : "worse") + " than the baseline beyond the seed spread (the 95% interval excludes 0)"
                        : "no difference beyond the seed spread (the 95% interval includes 0)";
                double p = l.stats().get(m).pValue();
                String test = Double.isNaN(p) ? "" : String.format(Locale.ROOT, "; paired bootstrap on the test outputs: p = %.4f%s", p,
                        p < 0.05 ? ", significant at 0.05" : ", not significant at 0.05");
                out.add(what + " over " + d.pairs() + " seeds: " + reading + test + ".");
            }
        }
        return out;
    }

    static String markdown(List<String> head, List<List<String>> rows) {
        int[] width = new int[head.size()];
        for (int i = 0; i < width.length; i++) {
            final int c = i;
            width[i] = Math.max(3, java.util.stream.Stream.concat(java.util.stream.Stream.of(head.get(c)), rows.stream().map(r -> r.get(c)))
                    .mapToInt(String::length).max().orElse(3));
        }
        StringBuilder b = new StringBuilder();
        java.util.function.Consumer<List<String>> line = cells -> {
            b.append('|');
            for (int i = 0; i < cells.size(); i++) b.append(' ').append(pad(cells.get(i), width[i])).append(" |");
            b.append('\n');
        };
        line.accept(head);
        line.accept(java.util.Arrays.stream(width).mapToObj("-"::repeat).toList());
        rows.forEach(line);
        return b.toString();
    }

    private static String pad(String s, int width) { return s + " ".repeat(Math.max(0, width - s.length())); }

    /** Finished cells of one variant, in seed order. */
    List<Finished> of(Variant v) {
        return finished.stream().filter(f -> Objects.equals(f.cell().variant(), v)).toList();
    }
}
