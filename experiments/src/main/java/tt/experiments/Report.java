package tt.experiments;

import tt.experiments.ExperimentRunner.CellState;
import tt.experiments.RunLog.Row;
import tt.model.eval.Bleu;
import tt.model.eval.ChrF;
import tt.model.io.AtomicFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** report.md of an experiment: readable on GitHub as it is, every number in it also in summary.csv or runs.csv. */
final class Report {
    /** A researcher's reading of the results, kept beside report.md and copied into it at every --summarize. */
    static final String NOTES = "notes.md";

    private Report() {}

    /**
     * {@code testReferences}: test.ref's lines, null before any cell decoded the test set or without a test section;
     * {@code decodedApart}: the markdown sections of the test set decoded under token reductions and by ensembles, empty without.
     */
    static void write(Path file, ExperimentSpec spec, Summary s, List<String> testReferences, String decodedApart, List<CellState> states, List<String> plots,
                      Map<String, Object> manifest, String command) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("# Experiment: ").append(spec.name).append("\n\n");
        if (!spec.description.isEmpty()) b.append(spec.description.replaceAll("\\s*\n\\s*", " ")).append("\n\n");
        b.append("Regenerate with `").append(command).append("` (finished cells are kept; `--summarize` rebuilds this report alone).\n\n");

        long finished = states.stream().filter(st -> st.status() == ExperimentRunner.Status.FINISHED).count();
        b.append("## Summary\n\n");
        b.append(finished).append(" of ").append(states.size()).append(" cells finished (").append(spec.variants.size()).append(" variants x ")
                .append(spec.seeds.size()).append(" seeds). Mean ± sample standard deviation over seeds; Δ is the variant minus the baseline ")
                .append("over the seeds both finished (paired by seed), with its 95% Student t interval.");
        if (s.metrics.contains(Summary.TEST_BLEU)) {
            b.append(" p is sacreBLEU's paired bootstrap test (1000 resamples) of the test outputs against the baseline's, seeds averaged in each resample.");
        }
        b.append(" Every metric, with min and max, is in [summary.csv](summary.csv); every logged row in [runs.csv](runs.csv).\n\n");
        b.append(s.table()).append('\n');
        List<String> findings = s.findings();
        if (!findings.isEmpty()) {
            b.append("## What it shows\n\n");
            for (String f : findings) b.append("- ").append(f).append('\n');
            b.append('\n');
        }
        b.append(decodedApart.isEmpty() ? "" : decodedApart + "\n");
        Path notes = file.resolveSibling(NOTES);
        if (java.nio.file.Files.exists(notes)) {
            b.append("## Notes\n\n").append(java.nio.file.Files.readString(notes).strip()).append("\n\n");
        }
        if (!plots.isEmpty()) {
            b.append("## Plots\n\n");
            for (String p : plots) b.append("![").append(p.substring(p.lastIndexOf('/') + 1)).append("](").append(p).append(".png)\n\n");
            b.append("Each figure is also an SVG beside its PNG.\n\n");
        }
        b.append("## Cells\n\n").append(cells(spec, s, states)).append('\n');
        if (testReferences != null) b.append(testScores(file.getParent(), spec, s, List.of(testReferences)));
        b.append("## Spec\n\n`").append(spec.file.name).append("`, sha256 `").append(spec.sha256()).append("`:\n\n```yaml\n")
                .append(spec.file.text.stripTrailing()).append("\n```\n\n");
        b.append("## Where it ran\n\n");
        for (String key : List.of("git_commit", "cell_git_commits", "jdk", "os", "cpu", "cores", "cell_backends", "started", "finished")) {
            Object v = manifest.get(key);
            b.append("- ").append(key.replace('_', ' ')).append(": ").append(v instanceof List<?> l ? String.join("; ", l.stream().map(String::valueOf).toList())
                    : String.valueOf(v)).append('\n');
        }
        b.append("\nAll of it is in [manifest.json](manifest.json).\n");
        byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, out -> out.write(bytes));
    }

    /**
     * Every test output of the finished cells and of the seeds' ensembles, scored against test.ref as
     * {@code tt bleu} scores it: sacreBLEU's lines with their signatures, mixed case and lowercased,
     * and chrF.
     */
    private static String testScores(Path experimentDir, ExperimentSpec spec, Summary s, List<List<String>> references) throws IOException {
        Map<Path, String> outputs = new LinkedHashMap<>();
        for (Summary.Finished f : s.finished) {
            Path cell = f.cell().dir(experimentDir);
            outputs.put(cell.resolve(RunDirectory.TEST_HYPOTHESES), "the final model");
            for (BestCheckpoints way : BestCheckpoints.values()) {
                if (way.count(spec.test) > 0) outputs.put(cell.resolve(way.hypotheses), way.noun + " of its " + way.count(spec.test) + " best checkpoints");
            }
        }
        for (ExperimentSpec.Variant v : spec.variants) outputs.put(Ensembles.dir(experimentDir, v).resolve(RunDirectory.TEST_HYPOTHESES), "the ensemble of its seeds");
        StringBuilder b = new StringBuilder();
        for (var e : outputs.entrySet()) {
            if (!Files.exists(e.getKey())) continue;
            List<String> hypotheses = Files.readAllLines(e.getKey(), StandardCharsets.UTF_8);
            if (hypotheses.size() != references.getFirst().size()) continue;  // decoded from another test set than test.ref: not comparable
            b.append("`").append(experimentDir.relativize(e.getKey())).append("`, ").append(e.getValue()).append(":\n\n```\n")
                    .append(Bleu.corpus(hypotheses, references).withSignature(1)).append('\n')
                    .append(Bleu.corpus(hypotheses, references, true).withSignature(1)).append('\n')
                    .append(ChrF.corpus(hypotheses, references).withSignature(1)).append("\n```\n\n");
        }
        if (b.isEmpty()) return "";
        return "## Test scores\n\nEach test output against [test.ref](test.ref), decoded with " + search(spec.test)
                + ", scored as `./tt bleu test.ref -i OUTPUT -m bleu,chrf` scores it, with sacreBLEU's signatures (`-lc` for the second line).\n\n" + b;
    }

    /** The test section's search, as a reader names it. */
    private static String search(TrainingRun.Test test) {
        return test.beam() == 1 ? "greedy search" : "beam " + test.beam() + ", length penalty " + test.lengthNorm().name().toLowerCase(Locale.ROOT)
                + " " + test.lengthPenalty();
    }

    /** One line per cell: state, final validation numbers, test BLEU, training time and speed. */
    private static String cells(ExperimentSpec spec, Summary s, List<CellState> states) {
        List<String> head = new ArrayList<>(List.of("cell", "variant", "seed", "state", "final val NLL", "final val BLEU"));
        if (spec.test != null) head.add("test BLEU");
        List<BestCheckpoints> combined = java.util.Arrays.stream(BestCheckpoints.values())
                .filter(way -> s.metrics.contains(Summary.TEST_BEST_BLEU.get(way))).toList();
        for (BestCheckpoints way : combined) head.add("test BLEU, " + way.count(spec.test) + " best " + way.participle);
        head.addAll(List.of("train time", "tokens/s"));
        List<List<String>> rows = new ArrayList<>();
        for (CellState st : states) {
            List<String> r = new ArrayList<>(List.of(Integer.toString(st.cell().index()), st.cell().variant().name(), Integer.toString(st.cell().seed()),
                    st.status().name().toLowerCase(Locale.ROOT) + (st.detail().isEmpty() ? "" : ": " + st.detail())));
            Summary.Finished f = s.finished.stream().filter(x -> x.cell() == st.cell()).findFirst().orElse(null);
            if (f == null) {
                for (int i = r.size(); i < head.size(); i++) r.add("");
            } else {
                Row val = f.lastVal();
                r.add(String.format(Locale.ROOT, "%.3f", val.nll()));
                r.add(String.format(Locale.ROOT, "%.2f", val.bleu()));
                if (spec.test != null) r.add(f.test() == null ? "" : String.format(Locale.ROOT, "%.2f", f.test().bleu()));
                for (BestCheckpoints way : combined) r.add(f.test(way) == null ? "" : String.format(Locale.ROOT, "%.2f", f.test(way).bleu()));
                double seconds = f.rows().stream().mapToDouble(Row::elapsedSeconds).max().orElse(Double.NaN);
                r.add(String.format(Locale.ROOT, "%d:%02d", (long) seconds / 60, (long) seconds % 60));
                r.add(String.format(Locale.ROOT, "%.0f", f.rows().stream().filter(x -> x.split().equals("train"))
                        .mapToDouble(Row::tokensPerSecond).average().orElse(Double.NaN)));
            }
            rows.add(r);
        }
        return Summary.markdown(head, rows);
    }
}
