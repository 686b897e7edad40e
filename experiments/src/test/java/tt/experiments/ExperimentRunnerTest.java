package tt.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tt.kernels.jvm.JvmBackend;
import tt.model.Checkpoint;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runner end to end on a tiny copy task: results, reruns, changed specs, parallel cells, and a killed cell. */
class ExperimentRunnerTest {
    /** About a second a cell on 2 cores. */
    static final String TINY = """
            experiment: tiny
            train: {task: copy, layers: 1, d-model: 32, heads: 2, d-ff: 64, max-len: 17, max-tokens: 256, train-size: 2000,
                    val-size: 40, steps: %d, warmup: 10, log-every: 5, eval-every: 15, eval-sentences: 10, checkpoint-every: 10}
            seeds: 2
            variants:
              pre: {norm: pre}
            test: {size: 30}
            """;

    @TempDir Path dir;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream terminal = new PrintStream(output, true, StandardCharsets.UTF_8);

    private ExperimentSpec spec(int steps) throws IOException {
        Path f = dir.resolve("tiny.yaml");
        Files.writeString(f, TINY.formatted(steps));
        return ExperimentSpec.read(f);
    }

    private ExperimentRunner run(ExperimentSpec spec, Path out, int parallel, boolean force) throws Exception {
        ExperimentRunner runner = new ExperimentRunner(spec, out, terminal);
        assertEquals(0, runner.run(spec.cells, new ExperimentRunner.Plan(JvmBackend::new, 2, parallel, force)), output.toString());
        runner.summarize("./tt experiment tiny.yaml");
        return runner;
    }

    /** runs.csv without the run's name and the wall-clock columns (elapsed_s, tokens_per_s), which no two runs share. */
    static List<String> numbers(Path runsCsv) throws IOException {
        List<String> out = new ArrayList<>();
        for (RunLog.Row r : RunLog.read(runsCsv)) out.add(r.toString().replaceAll("run=[^,]*, |elapsedSeconds=[^,]*, |tokensPerSecond=[^,\\]]*", ""));
        return out;
    }

    /**
     * A test section with token reductions: every finished cell's final model decodes the test set
     * under each (keep 1 decodes exactly as the whole source), the report gets a section and plots,
     * and a rerun with one more ratio decodes again only the cells whose results lack it.
     */
    @Test
    void testSectionTokenReductionsAreDecodedForEveryFinishedCellAndSummarised() throws Exception {
        Path f = dir.resolve("tiny.yaml");
        Files.writeString(f, TINY.formatted(30).replace("test: {size: 30}", "test: {size: 30, prune-keep: [1, 0.5], merge-keep: 0.5}"));
        ExperimentSpec spec = ExperimentSpec.read(f);
        run(spec, dir.resolve("out"), 1, false);
        Path exp = dir.resolve("out/tiny");
        List<org.apache.commons.csv.CSVRecord> rows = TokenReductionEval.readCsv(exp.resolve("runs/pre/seed-1/" + TokenReductionEval.CSV));
        assertEquals(List.of("none", "prune", "prune", "merge"), rows.stream().map(r -> r.get("reduction")).toList());
        assertEquals(rows.get(0).get("bleu"), rows.get(1).get("bleu"), "keeping every token decodes as the whole source");
        assertEquals(1.0, Double.parseDouble(rows.get(1).get("source_tokens_kept")));
        assertTrue(Double.parseDouble(rows.get(2).get("source_tokens_kept")) < 0.6, rows.get(2).toString());
        assertEquals(4 * 4, TokenReductionEval.readCsv(exp.resolve(TokenReductionEval.CSV)).size(), "4 cells x 4 decodings, merged");
        String report = Files.readString(exp.resolve("report.md"));
        assertTrue(report.contains("## Token reduction") && report.contains("token_reduction_bleu_vs_tokens_kept.png"), report);
        assertTrue(Files.exists(exp.resolve("plots/token_reduction_bleu_vs_time.svg")));

        Files.writeString(f, Files.readString(f).replace("merge-keep: 0.5", "merge-keep: [0.5, 0.75]"));
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertEquals(4, output.toString().split("under 5 token reductions", -1).length - 1, "each finished cell decodes the new set: " + output);
        assertEquals(5, TokenReductionEval.readCsv(exp.resolve("runs/baseline/seed-2/" + TokenReductionEval.CSV)).size());
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertFalse(output.toString().contains("token reductions"), "nothing left to decode: " + output);
    }

    /**
     * test.average-best added to a finished experiment: each cell's best checkpoints are averaged and
     * decode the test set once (no cell retrains: the spec's identity is unchanged), its row and
     * hypotheses agree with each other, the summary gets the metric, and a rerun decodes nothing; then
     * test.ensemble-best, whose hypotheses are tt evaluate's with the same checkpoints; then
     * test.ensemble likewise, once per variant.
     */
    @Test
    void averagedBestCheckpointsDecodeTheTestSetOnceForEveryFinishedCell() throws Exception {
        Path f = dir.resolve("tiny.yaml");
        String spec = TINY.formatted(30).replace("checkpoint-every: 10}", "checkpoint-every: 10, keep-best-checkpoints: 2}");
        Files.writeString(f, spec);
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        Files.writeString(f, spec.replace("test: {size: 30}", "test: {size: 30, average-best: 2}"));
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertEquals(4, output.toString().split("finished, skipped", -1).length - 1, output.toString());
        assertEquals(4, output.toString().split("with the average of the 2 best checkpoints", -1).length - 1, output.toString());
        Path exp = dir.resolve("out/tiny"), cell = exp.resolve("runs/pre/seed-1");
        List<RunLog.Row> rows = RunLog.read(cell.resolve(RunDirectory.RUNS_CSV));
        RunLog.Row averaged = rows.getLast();
        assertEquals(BestCheckpoints.AVERAGE.split, averaged.split());
        assertEquals(1, rows.stream().filter(r -> r.split().equals(RunLog.TEST)).count(), "the final model's test row stays");
        List<String> hyps = Files.readAllLines(cell.resolve(BestCheckpoints.AVERAGE.hypotheses));
        assertEquals(30, hyps.size());
        double bleu = tt.model.eval.Bleu.corpus(hyps, List.of(Files.readAllLines(exp.resolve("test.ref")))).score();
        assertEquals(bleu, averaged.bleu(), 1e-5 * Math.max(1, bleu), "runs.csv keeps 6 significant digits");
        assertTrue(Files.exists(cell.resolve("checkpoints/average-best-2/" + Checkpoint.MODEL)));
        assertTrue(Files.readString(exp.resolve("summary.csv")).contains("test_bleu_averaged"), Files.readString(exp.resolve("summary.csv")));
        assertTrue(Files.readString(exp.resolve("report.md")).contains("| test BLEU, 2 best averaged |"), Files.readString(exp.resolve("report.md")));
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertFalse(output.toString().contains("average of"), "nothing left to decode: " + output);

        // test.ensemble-best added: the same two checkpoints decode the test set as an ensemble, exactly as tt evaluate -c A -c B does.
        Files.writeString(f, spec.replace("test: {size: 30}", "test: {size: 30, average-best: 2, ensemble-best: 2}"));
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertEquals(4, output.toString().split("finished, skipped", -1).length - 1, "no cell retrains: " + output);
        assertEquals(4, output.toString().split("with the ensemble of the 2 best checkpoints", -1).length - 1, output.toString());
        assertFalse(output.toString().contains("average of"), "the averages stay decoded: " + output);
        rows = RunLog.read(cell.resolve(RunDirectory.RUNS_CSV));
        assertEquals(List.of(RunLog.TEST, BestCheckpoints.AVERAGE.split, BestCheckpoints.ENSEMBLE.split),
                rows.stream().map(RunLog.Row::split).filter(s -> s.startsWith("test")).toList());
        List<String> ensembledBest = Files.readAllLines(cell.resolve(BestCheckpoints.ENSEMBLE.hypotheses));
        Path evaluated = dir.resolve("evaluate.hyp");
        List<String> evaluate = new ArrayList<>(List.of("evaluate", "--split", "test", "--size", "30", "--max-len", "17", "--out", evaluated.toString()));
        List<Path> best = AverageCommand.bestFirst(Checkpoint.steps(cell.resolve("checkpoints/best"))).subList(0, 2);
        assertTrue(output.toString().contains("pre seed 1: decoding the test set with the ensemble of " + best.getFirst().getFileName() + ", "
                + best.getLast().getFileName()), "the two best by validation BLEU: " + output);
        for (Path p : best) evaluate.addAll(List.of("-c", p.toString()));
        assertEquals(0, Main.commandLine().execute(evaluate.toArray(String[]::new)));
        assertEquals(Files.readAllLines(evaluated), ensembledBest);
        assertEquals(tt.model.eval.Bleu.corpus(ensembledBest, List.of(Files.readAllLines(exp.resolve("test.ref")))).score(), rows.getLast().bleu(),
                1e-5 * Math.max(1, rows.getLast().bleu()));
        assertTrue(Files.readString(exp.resolve("summary.csv")).contains("test_bleu_ensembled_mean"), Files.readString(exp.resolve("summary.csv")));
        String report = Files.readString(exp.resolve("report.md"));
        assertTrue(report.contains("| test BLEU, 2 best ensembled |"), report);
        assertTrue(report.contains("`runs/pre/seed-1/test.ensemble.hyp`, the ensemble of its 2 best checkpoints:\n\n```\n"
                + tt.model.eval.Bleu.corpus(ensembledBest, List.of(Files.readAllLines(exp.resolve("test.ref")))).withSignature(1) + "\n"), report);
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertFalse(output.toString().contains("ensemble of the"), "nothing left to decode: " + output);

        Files.writeString(f, spec.replace("test: {size: 30}", "test: {size: 30, ensemble-best: 3}"));
        var e = assertThrows(IllegalArgumentException.class, () -> ExperimentSpec.read(f));
        assertTrue(e.getMessage().contains("tiny.yaml:7") && e.getMessage().contains("keep-best-checkpoints: 3"), e.getMessage());
        Files.writeString(f, spec.replace("test: {size: 30}", "test: {size: 30, ensemble-best: 0}"));
        e = assertThrows(IllegalArgumentException.class, () -> ExperimentSpec.read(f));
        assertTrue(e.getMessage().contains("tiny.yaml:7") && e.getMessage().contains("at least 1"), e.getMessage());

        Files.writeString(f, spec.replace("test: {size: 30}", "test: {size: 30, average-best: 3}"));
        e = assertThrows(IllegalArgumentException.class, () -> ExperimentSpec.read(f));
        assertTrue(e.getMessage().contains("tiny.yaml:7") && e.getMessage().contains("keep-best-checkpoints: 3"), e.getMessage());

        // test.ensemble added too: each variant's two seeds, their averaged checkpoints, decode the test set once as an ensemble.
        Files.writeString(f, spec.replace("test: {size: 30}", "test: {size: 30, average-best: 2, ensemble: true}"));
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertEquals(4, output.toString().split("finished, skipped", -1).length - 1, "no cell retrains: " + output);
        assertEquals(2, output.toString().split("decoding the test set with", -1).length - 1, output.toString());
        Path ensemble = exp.resolve("runs/pre/ensemble");
        Ensembles.Result result = Ensembles.read(ensemble);
        assertEquals(List.of("runs/pre/seed-1/checkpoints/average-best-2", "runs/pre/seed-2/checkpoints/average-best-2"), result.members());
        List<String> ensembled = Files.readAllLines(ensemble.resolve(RunDirectory.TEST_HYPOTHESES));
        assertEquals(30, ensembled.size());
        assertEquals(tt.model.eval.Bleu.corpus(ensembled, List.of(Files.readAllLines(exp.resolve("test.ref")))).score(), result.bleu(), 1e-9);
        assertTrue(Files.readString(exp.resolve("report.md")).contains("## Ensembles"), Files.readString(exp.resolve("report.md")));
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertFalse(output.toString().contains("decoding the test set with"), "nothing left to decode: " + output);

        // With ensemble-best too, every seed's best checkpoints become members: the ensemble changed, so it is decoded again.
        Files.writeString(f, spec.replace("test: {size: 30}", "test: {size: 30, average-best: 2, ensemble-best: 2, ensemble: true}"));
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertEquals(1, output.toString().split("ensemble of pre: decoding the test set with", -1).length - 1, output.toString());
        List<String> members = new ArrayList<>();
        for (String seed : List.of("seed-1", "seed-2")) {
            for (Path p : AverageCommand.bestFirst(Checkpoint.steps(exp.resolve("runs/pre/" + seed + "/checkpoints/best"))).subList(0, 2)) {
                members.add(exp.relativize(p).toString());
            }
        }
        assertEquals(members, Ensembles.read(ensemble).members());
        assertTrue(Files.readString(exp.resolve("report.md")).contains("members each seed's 2 best checkpoints"), Files.readString(exp.resolve("report.md")));

        // A checkout without a seed's checkpoints (they are not committed): the seeds' ensemble fails in one line, the rest stands.
        tt.model.io.FileTrees.delete(exp.resolve("runs/pre/seed-1/checkpoints"));
        Files.delete(ensemble.resolve(RunDirectory.RESULT));
        output.reset();
        ExperimentSpec changed = ExperimentSpec.read(f);
        assertEquals(1, new ExperimentRunner(changed, dir.resolve("out"), terminal).run(changed.cells, new ExperimentRunner.Plan(JvmBackend::new, 2, 1, false)));
        assertTrue(output.toString().contains("ensemble of pre: FAILED: ") && output.toString().contains("holds 0 checkpoint(s), not 2"), output.toString());

        Files.writeString(f, spec.replace("seeds: 2", "seeds: 1").replace("test: {size: 30}", "test: {size: 30, ensemble: true}"));
        e = assertThrows(IllegalArgumentException.class, () -> ExperimentSpec.read(f));
        assertTrue(e.getMessage().contains("tiny.yaml:7") && e.getMessage().contains("seeds: 2 or more"), e.getMessage());
    }

    /**
     * test.ensemble-length-penalty: the seeds' ensemble decodes the validation set with each power,
     * and the test set with the best one, exactly as tt evaluate does with that power; the report
     * shows the choice, a rerun decodes nothing, and another list of powers decodes again.
     */
    @Test
    void theSeedsEnsembleChoosesItsLengthPenaltyOnTheValidationSet() throws Exception {
        Path f = dir.resolve("tiny.yaml");
        String spec = TINY.formatted(120).replace("test: {size: 30}", "test: {size: 30, beam: 3, ensemble: true, ensemble-length-penalty: [0, 2.5]}");
        Files.writeString(f, spec);
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        Path exp = dir.resolve("out/tiny"), ensemble = exp.resolve("runs/pre/ensemble");
        Ensembles.Result result = Ensembles.read(ensemble);
        assertEquals(List.of(0.0, 2.5), result.searched());
        Ensembles.ValidationScore best = result.validation().getFirst().bleu() >= result.validation().getLast().bleu()
                ? result.validation().getFirst() : result.validation().getLast();
        assertNotEquals(result.validation().getFirst().bleu(), result.validation().getLast().bleu(), "the choice is tested only if the powers differ on val");
        assertEquals(best.lengthPenalty(), result.lengthPenalty(), "the power with the best validation BLEU (ties: the first)");
        assertTrue(output.toString().contains("ensemble of pre: val BLEU "), output.toString());

        Path evaluated = dir.resolve("evaluate.hyp");
        List<String> evaluate = new ArrayList<>(List.of("evaluate", "--split", "test", "--size", "30", "--max-len", "17", "--beam", "3",
                "--length-penalty", Double.toString(result.lengthPenalty()), "--out", evaluated.toString()));
        for (String member : result.members()) evaluate.addAll(List.of("-c", exp.resolve(member).toString()));
        assertEquals(0, Main.commandLine().execute(evaluate.toArray(String[]::new)));
        assertEquals(Files.readAllLines(evaluated), Files.readAllLines(ensemble.resolve(RunDirectory.TEST_HYPOTHESES)));
        String report = Files.readString(exp.resolve("report.md"));
        assertTrue(report.contains(String.format(java.util.Locale.ROOT, "(val BLEU: %.2f at 0.00, %.2f at 2.50)",
                result.validation().getFirst().bleu(), result.validation().getLast().bleu())), report);

        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertFalse(output.toString().contains("ensemble of pre:"), "nothing left to decode: " + output);
        Files.writeString(f, spec.replace("[0, 2.5]", "[1.5]"));
        output.reset();
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        assertEquals(4, output.toString().split("finished, skipped", -1).length - 1, "the powers do not change what a cell is: " + output);
        assertFalse(output.toString().contains("val BLEU"), "one power: nothing to choose on val: " + output);
        assertEquals(List.of(1.5), Ensembles.read(ensemble).searched());
        assertTrue(Ensembles.read(ensemble).validation().isEmpty());

        for (String[] bad : new String[][] {{"ensemble: true, ensemble-length-penalty", "ensemble-length-penalty", "ensemble: true as well"},
                                            {"beam: 3", "beam: 1", "beam: 2 or more"}, {"2.5]", "-1]", "0 or more"}}) {
            Files.writeString(f, spec.replace(bad[0], bad[1]));
            var e = assertThrows(IllegalArgumentException.class, () -> ExperimentSpec.read(f));
            assertTrue(e.getMessage().contains("tiny.yaml:7") && e.getMessage().contains(bad[2]), e.getMessage());
        }
    }

    @Test
    void runsEveryCellThenSkipsFinishedOnesAndRefusesAChangedSpec() throws Exception {
        ExperimentSpec spec = spec(30);
        ExperimentRunner runner = run(spec, dir.resolve("out"), 1, false);
        Path exp = dir.resolve("out/tiny");
        for (String f : List.of("runs.csv", "summary.csv", "report.md", "manifest.json", "test.ref", "plots/val_nll.png", "plots/val_bleu.svg",
                "runs/pre/seed-2/test.hyp", "runs/baseline/seed-1/cell.json", "runs/baseline/seed-1/train.log")) {
            assertTrue(Files.exists(exp.resolve(f)), f + " missing");
        }
        List<String> header = Files.readAllLines(exp.resolve("runs.csv")).getFirst().lines().toList();
        assertTrue(header.getFirst().startsWith("variant,seed,step,epoch,split,tokens,elapsed_s,lr,loss,objective,nll,perplexity,accuracy,bleu,chrf"),
                header.getFirst());
        List<RunLog.Row> rows = RunLog.read(exp.resolve("runs.csv"));
        assertEquals(4 * (6 + 2 + 1), rows.size(), "per cell: 6 training rows, 2 evaluations, 1 test");
        assertEquals(List.of("baseline", "pre"), rows.stream().map(RunLog.Row::run).distinct().toList());
        BufferedImage png = ImageIO.read(exp.resolve("plots/val_nll.png").toFile());
        assertEquals(Figures.WIDTH, png.getWidth());
        assertEquals(Figures.HEIGHT, png.getHeight());
        assertTrue(Files.readString(exp.resolve("report.md")).contains("| pre "), "report has the summary table");

        byte[] result = Files.readAllBytes(exp.resolve("runs/pre/seed-1/result.json"));
        output.reset();
        run(spec, dir.resolve("out"), 1, false);
        assertEquals(4, output.toString().split("finished, skipped", -1).length - 1, output.toString());
        assertEquals(new String(result), Files.readString(exp.resolve("runs/pre/seed-1/result.json")), "a finished cell is left alone");

        // The test section removed, with test.ref and an ensemble's test output (as ensemble: true leaves) from before.
        Files.createDirectories(exp.resolve("runs/pre/ensemble"));
        Files.copy(exp.resolve("runs/pre/seed-1/test.hyp"), exp.resolve("runs/pre/ensemble/test.hyp"));
        Files.writeString(dir.resolve("tiny.yaml"), TINY.formatted(30).replace("test: {size: 30}\n", ""));
        new ExperimentRunner(ExperimentSpec.read(dir.resolve("tiny.yaml")), dir.resolve("out"), terminal).summarize("./tt experiment tiny.yaml");
        assertFalse(Files.readString(exp.resolve("report.md")).contains("## Test scores"), "a spec without a test section scores no test.ref left from before");

        ExperimentSpec shorter = spec(25);  // fewer updates cannot be had from a run that made more
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ExperimentRunner(shorter, dir.resolve("out"), terminal).run(shorter.cells, new ExperimentRunner.Plan(JvmBackend::new, 2, 1, false)));
        assertTrue(e.getMessage().contains("the spec changed for 4 cell(s)") && e.getMessage().contains("steps: 30 -> 25")
                && e.getMessage().contains("--force"), e.getMessage());
        output.reset();
        runner = run(shorter, dir.resolve("out"), 1, true);
        assertTrue(output.toString().contains("--force: discarding baseline seed 1 (steps: 30 -> 25)"), output.toString());
        assertEquals(25, RunLog.read(exp.resolve("runs.csv")).stream().mapToInt(RunLog.Row::step).max().orElseThrow());
        assertEquals(4, runner.states().stream().filter(s -> s.status() == ExperimentRunner.Status.FINISHED).count());
    }

    /**
     * A finished experiment whose spec asks for more updates trains each cell on from its last
     * checkpoint to the numbers, test output and token-reduction scores of cells given the higher
     * steps from the start; more updates with a schedule that ends at steps (cosine) are a changed
     * spec, as is any other change beside them.
     */
    @Test
    void moreStepsTrainFinishedCellsOnToTheNumbersOfTheLongerRun() throws Exception {
        Path f = dir.resolve("tiny.yaml");
        String tiny = TINY.replace("test: {size: 30}", "test: {size: 30, prune-keep: 0.5}");
        Files.writeString(f, tiny.formatted(30));
        run(ExperimentSpec.read(f), dir.resolve("out"), 1, false);
        Files.writeString(f, tiny.formatted(60));
        ExperimentSpec longer = ExperimentSpec.read(f);
        output.reset();
        ExperimentRunner lengthened = run(longer, dir.resolve("out"), 1, false);
        assertEquals(4, output.toString().split("training on \\(steps: 30 -> 60, on from checkpoint step-000030\\)", -1).length - 1, output.toString());
        assertEquals(4, output.toString().split("under 2 token reductions", -1).length - 1, "the shorter run's are decoded again: " + output);
        assertEquals(4, lengthened.states().stream().filter(s -> s.status() == ExperimentRunner.Status.FINISHED).count());
        run(longer, dir.resolve("straight"), 1, false);
        for (ExperimentSpec.Cell c : longer.cells) {
            Path on = c.dir(dir.resolve("out/tiny")), straight = c.dir(dir.resolve("straight/tiny"));
            assertEquals(numbers(straight.resolve(RunDirectory.RUNS_CSV)), numbers(on.resolve(RunDirectory.RUNS_CSV)), c.label());
            assertEquals(Files.readString(straight.resolve(RunDirectory.TEST_HYPOTHESES)), Files.readString(on.resolve(RunDirectory.TEST_HYPOTHESES)));
            assertEquals(bleus(straight.resolve(TokenReductionEval.CSV)), bleus(on.resolve(TokenReductionEval.CSV)));
        }

        String cosine = "warmup: 10, schedule: cosine-warmup, lr: 0.001,";
        for (String[] c : new String[][] {{"cosine", cosine, cosine}, {"dropout", "warmup: 10, dropout: 0.2,", "warmup: 10, dropout: 0.3,"}}) {
            Path out = dir.resolve(c[0]);
            Files.writeString(f, tiny.replace("warmup: 10,", c[1]).formatted(30));
            run(ExperimentSpec.read(f), out, 1, false);
            Files.writeString(f, tiny.replace("warmup: 10,", c[2]).formatted(60));
            ExperimentSpec changed = ExperimentSpec.read(f);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> new ExperimentRunner(changed, out, terminal).run(changed.cells, new ExperimentRunner.Plan(JvmBackend::new, 2, 1, false)));
            assertTrue(e.getMessage().contains("the spec changed for 4 cell(s)") && e.getMessage().contains("steps: 30 -> 60"), c[0] + ": " + e.getMessage());
        }
    }

    private static List<String> bleus(Path tokenReductionCsv) throws IOException {
        return TokenReductionEval.readCsv(tokenReductionCsv).stream().map(r -> r.get("bleu")).toList();
    }

    @Test
    void cellsSideBySideGiveTheSameNumbersAsOneAfterAnother() throws Exception {
        ExperimentSpec spec = spec(30);
        run(spec, dir.resolve("one"), 1, false);
        run(spec, dir.resolve("two"), 2, false);
        assertEquals(Files.readString(dir.resolve("one/tiny/summary.csv")), Files.readString(dir.resolve("two/tiny/summary.csv")));
        assertEquals(numbers(dir.resolve("one/tiny/runs.csv")), numbers(dir.resolve("two/tiny/runs.csv")));
    }

    /** A child JVM running `tt experiment SPEC --out OUT --cell 0 --threads 2`. */
    private Process child(Path spec, Path out) throws IOException {
        return ChildJvm.start(dir.resolve("child.log"), "experiment", spec.toString(), "--out", out.toString(), "--cell", "0", "--threads", "2");
    }

    /** Waits until the cell's latest checkpoint is at least {@code step}; false if the child ended first or seems hung (minutes, as a loaded machine is slow). */
    static boolean awaitCheckpoint(Process p, Path cell, int step) throws Exception {
        Path checkpoints = cell.resolve("checkpoints");
        for (long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10); System.nanoTime() < deadline; Thread.sleep(20)) {
            if (!p.isAlive()) return false;
            if (Checkpoint.exists(checkpoints)) {
                String name = Files.readString(checkpoints.resolve(Checkpoint.LATEST)).strip();
                if (Integer.parseInt(name.substring("step-".length())) >= step) return true;
            }
        }
        return false;
    }

    @Test
    void aCellKilledAndThenStoppedResumesToTheNumbersOfAnUninterruptedRun() throws Exception {
        ExperimentSpec spec = spec(150);
        Path straight = dir.resolve("straight"), broken = dir.resolve("broken");
        ExperimentRunner runner = new ExperimentRunner(spec, straight, terminal);
        runner.run(List.of(spec.cells.getFirst()), new ExperimentRunner.Plan(JvmBackend::new, 2, 1, false));
        Path cell = spec.cells.getFirst().dir(broken.resolve("tiny"));

        Process p = child(dir.resolve("tiny.yaml"), broken);
        assertTrue(awaitCheckpoint(p, cell, 20), "the child did not reach update 20: " + Files.readString(dir.resolve("child.log")));
        p.destroyForcibly().waitFor();  // kill -9, possibly mid-checkpoint
        assertFalse(Files.exists(cell.resolve(RunDirectory.RESULT)), "killed before it finished");

        p = child(dir.resolve("tiny.yaml"), broken);
        assertTrue(awaitCheckpoint(p, cell, 60), "the resumed child did not reach update 60: " + Files.readString(dir.resolve("child.log")));
        p.destroy();  // SIGTERM: checkpoint at the current update, then exit
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String log = Files.readString(dir.resolve("child.log"));
        assertTrue(log.contains("stopped at update") && log.contains("checkpoint saved in"), log);
        assertFalse(Files.exists(cell.resolve(RunDirectory.RESULT)), "stopped before it finished");

        new ExperimentRunner(spec, broken, terminal).run(List.of(spec.cells.getFirst()), new ExperimentRunner.Plan(JvmBackend::new, 2, 1, false));
        assertTrue(output.toString().contains("resuming from checkpoint step-"), output.toString());
        Path straightCell = spec.cells.getFirst().dir(straight.resolve("tiny"));
        assertEquals(numbers(straightCell.resolve("runs.csv")), numbers(cell.resolve("runs.csv")));
        assertEquals(Files.readString(straightCell.resolve("test.hyp")), Files.readString(cell.resolve("test.hyp")));
    }
}
