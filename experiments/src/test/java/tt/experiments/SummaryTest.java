package tt.experiments;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tt.experiments.ExperimentSpec.Cell;
import tt.experiments.RunLog.Row;
import tt.model.eval.PairedBootstrap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** summary.csv from made-up cells, each number worked out by hand. */
class SummaryTest {
    private static final double NAN = Double.NaN;

    private static Row val(Cell c, int step, double nll, double bleu) {
        return new Row(c.variant().name(), c.seed(), step, 0, "val", step * 100L, step, 1e-3, NAN, NAN, nll, 0.5, bleu, 40, 0.1, NAN, NAN);
    }

    private static Row test(Cell c, double bleu) {
        return new Row(c.variant().name(), c.seed(), 20, 0, "test", 2000, 20, NAN, NAN, NAN, NAN, NAN, bleu, 40, 0.1, NAN, NAN);
    }

    @Test
    void statisticsPerVariantAndPairedDifferences(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.yaml");
        Files.writeString(file, "experiment: s\ntrain: {task: multi30k}\nseeds: 3\nvariants:\n  v: {lr: 2}\ntest: true\n");
        ExperimentSpec spec = ExperimentSpec.read(file);
        // Cells: 0 baseline/1, 1 v/1, 2 baseline/2, 3 v/2, 4 baseline/3, 5 v/3. Final val NLL: baseline {3, 2, 1}, v {2, 2, 1.5}
        // (v/3 also had 1.2 at step 10: its best is 1.2); test BLEU: baseline {10, 20, 30}, v {12, 21, 34}.
        double[][] nll = {{3, 2, 1}, {2, 2, 1.5}};
        double[][] bleu = {{10, 20, 30}, {12, 21, 34}};
        List<String> refs = List.of("a b c d e", "f g h i j", "k l m n o");
        List<Summary.Finished> finished = new ArrayList<>();
        for (Cell c : spec.cells) {
            int v = c.index() % 2, s = c.seed() - 1;
            List<Row> rows = new ArrayList<>(List.of(val(c, 10, c.index() == 5 ? 1.2 : 4, 5), val(c, 20, nll[v][s], bleu[v][s] - 1),
                    test(c, bleu[v][s])));
            List<String> hyps = v == 0 ? List.of("a b c d e", "f g h x y", "k l") : List.of("a b c d e", "f g h i j", "k l m");
            finished.add(new Summary.Finished(c, rows, hyps));
        }
        Summary summary = Summary.of(spec, finished, List.of(), refs);
        Summary.Line base = summary.lines.get(0), v = summary.lines.get(1);
        assertEquals(3, v.finished());

        Summary.Stat finalNll = v.stats().get(Summary.VAL_NLL_FINAL);
        assertEquals(5.5 / 3, finalNll.spread().mean(), 1e-12);
        assertEquals(Math.sqrt((2 * Math.pow(2 - 5.5 / 3, 2) + Math.pow(1.5 - 5.5 / 3, 2)) / 2), finalNll.spread().std(), 1e-12);
        // Paired by seed: d = {-1, 0, 0.5}, mean -1/6, sd sqrt(7/12), t(2) = 4.302653.
        assertEquals(-1.0 / 6, finalNll.difference().mean(), 1e-12);
        double half = 4.302653 * Math.sqrt(7.0 / 12) / Math.sqrt(3);
        assertEquals(-1.0 / 6 - half, finalNll.difference().low(), 1e-6);
        assertEquals(-1.0 / 6 + half, finalNll.difference().high(), 1e-6);
        assertEquals(1.2, v.stats().get(Summary.VAL_NLL_BEST).spread().min(), 1e-12, "best is the lowest over the run");
        assertEquals(64.0 / 3, v.stats().get(Summary.VAL_BLEU_FINAL).spread().mean(), 1e-12, "final val BLEU: 11, 20, 33");
        assertEquals(7.0 / 3, v.stats().get(Summary.TEST_BLEU).difference().mean(), 1e-12);
        assertTrue(Double.isNaN(base.stats().get(Summary.TEST_BLEU).difference().mean()), "the baseline has no difference to itself");
        double p = PairedBootstrap.testSeeds(List.of(finished.get(0).testHypotheses(), finished.get(2).testHypotheses(), finished.get(4).testHypotheses()),
                List.of(finished.get(1).testHypotheses(), finished.get(3).testHypotheses(), finished.get(5).testHypotheses()), refs, 1000, 12345).pValue();
        assertEquals(p, v.stats().get(Summary.TEST_BLEU).pValue());

        summary.writeCsv(dir.resolve("summary.csv"));
        try (CSVParser parser = CSVParser.parse(dir.resolve("summary.csv"), StandardCharsets.UTF_8,
                CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            List<CSVRecord> rows = parser.getRecords();
            assertEquals(List.of("baseline", "v"), rows.stream().map(r -> r.get("variant")).toList());
            assertEquals("lr=2", rows.get(1).get("changes"));
            assertEquals(3, Integer.parseInt(rows.get(1).get("seed_pairs")));
            assertEquals(2.0, Double.parseDouble(rows.get(0).get("val_nll_final_mean")), 1e-5);
            assertEquals(1.0, Double.parseDouble(rows.get(0).get("val_nll_final_std")), 1e-5);
            assertEquals(-1.0 / 6, Double.parseDouble(rows.get(1).get("val_nll_final_diff")), 1e-5);
            assertEquals("", rows.get(0).get("val_nll_final_diff"), "no difference for the baseline");
            assertEquals(p, Double.parseDouble(rows.get(1).get("test_bleu_p_value")), 1e-5);
            for (String column : parser.getHeaderNames().subList(2, parser.getHeaderNames().size())) {
                for (CSVRecord r : rows) if (!r.get(column).isEmpty()) Double.parseDouble(r.get(column));
            }
        }
        assertTrue(summary.table().contains("| v "), summary.table());
        assertTrue(summary.findings().stream().anyMatch(f -> f.startsWith("v vs baseline, final val NLL: -0.17 [")
                && f.contains("no difference beyond the seed spread")), String.join("\n", summary.findings()));
    }
}
