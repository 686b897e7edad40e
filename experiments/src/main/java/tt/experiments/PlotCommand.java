package tt.experiments;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;

/**
 * Figures, PNG and SVG: learning curves from runs.csv files (loss and BLEU against updates, one line
 * per run and split), and the paper's building blocks drawn from the code that trains with them:
 * learning-rate schedules, the sinusoidal positional encodings, the label-smoothed target.
 */
@Command(name = "plot", mixinStandardHelpOptions = true, subcommands = {PlotCommand.Schedules.class, PlotCommand.Positional.class,
        PlotCommand.Smoothing.class}, description = {"Plot runs.csv files: loss.png/.svg and bleu.png/.svg in --out.",
        "Or: tt plot schedule | positional | smoothing --out DIR (see their --help)."})
public final class PlotCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", description = "runs.csv files (or run directories holding one).")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--out", description = "Directory for the plots.")
    Path out;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
        if (inputs.isEmpty() || out == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give runs.csv files (or run directories) and --out DIR,"
                    + " or a figure: tt plot schedule | positional | smoothing --out DIR");
        }
        plot(inputs, out);
        System.out.println("wrote " + out.resolve("loss.png") + ", " + out.resolve("bleu.png") + " and their .svg");
        return 0;
    }

    /** Writes loss and BLEU curves of the given runs.csv files (or run directories) into {@code out}. */
    static void plot(List<Path> inputs, Path out) throws IOException {
        Map<String, List<RunLog.Row>> runs = new LinkedHashMap<>();
        for (Path in : inputs) {
            Path csv = Files.isDirectory(in) ? in.resolve(RunDirectory.RUNS_CSV) : in;
            if (!Files.exists(csv)) throw new IOException(csv + ": no such file; give runs.csv files or run directories");
            for (RunLog.Row r : RunLog.read(csv)) runs.computeIfAbsent(r.run() + " seed " + r.seed(), k -> new ArrayList<>()).add(r);
        }
        Figures.save(chart("Negative log-likelihood per target token", "NLL", runs, RunLog.Row::nll, List.of("train", "val")), out, "loss");
        Figures.save(chart("Validation BLEU (sacreBLEU 13a)", "BLEU", runs, RunLog.Row::bleu, List.of("val")), out, "bleu");
    }

    private static XYChart chart(String title, String yTitle, Map<String, List<RunLog.Row>> runs, ToDoubleFunction<RunLog.Row> value,
                                 List<String> splits) {
        XYChart chart = Figures.lines(title, "update", yTitle);
        double low = Double.POSITIVE_INFINITY, high = Double.NEGATIVE_INFINITY;
        int i = 0;
        for (var run : runs.entrySet()) {
            java.awt.Color color = Figures.color(i++);
            for (String split : splits) {
                List<Double> x = new ArrayList<>(), y = new ArrayList<>();
                for (RunLog.Row r : run.getValue()) {
                    if (!r.split().equals(split) || Double.isNaN(value.applyAsDouble(r))) continue;
                    x.add((double) r.step());
                    y.add(value.applyAsDouble(r));
                    low = Math.min(low, y.getLast());
                    high = Math.max(high, y.getLast());
                }
                if (x.isEmpty()) continue;
                XYSeries series = chart.addSeries(run.getKey() + " " + split, x, y);
                series.setLineColor(color);
                series.setMarkerColor(color);
                series.setMarker(split.equals("val") ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
                if (!split.equals("val")) series.setLineStyle(new java.awt.BasicStroke(1.2f));
            }
        }
        if (low <= high) chart.getStyler().setYAxisDecimalPattern(Figures.decimals(low, high));
        return chart;
    }

    /** The schedules training uses (Schedule.parse), as lr against update. */
    @Command(name = "schedule", mixinStandardHelpOptions = true, description = "Learning-rate schedules: noam for several d_model and warmups, cosine-warmup, constant.")
    static final class Schedules implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "Directory for schedule.png/.svg.") Path out;
        @Option(names = "--steps", defaultValue = "20000", description = "Updates on the x axis (default: ${DEFAULT-VALUE}).") int steps;

        @Override public Integer call() throws IOException {
            if (steps < 10) throw new IllegalArgumentException("--steps must be at least 10, got " + steps);
            XYChart chart = Figures.lines("Learning-rate schedules (tt.model.Schedule)", "update", "learning rate");
            String[][] schedules = {{"noam", "1", "4000", "512"}, {"noam", "1", "8000", "512"}, {"noam", "1", "4000", "256"},
                    {"noam", "2", "4000", "256"}, {"cosine-warmup", "7e-4", "4000", "512"}, {"constant", "3e-4", "0", "512"}};
            int i = 0;
            double high = 0;
            for (String[] s : schedules) {
                tt.model.Schedule schedule = tt.model.Schedule.parse(s[0], Double.parseDouble(s[1]), Integer.parseInt(s[2]), steps, Integer.parseInt(s[3]));
                List<Double> x = new ArrayList<>(), y = new ArrayList<>();
                for (int t = 0; t <= steps; t += Math.max(1, steps / 400)) {
                    x.add((double) t);
                    y.add(schedule.lr(t));
                    high = Math.max(high, y.getLast());
                }
                String label = switch (s[0]) {
                    case "noam" -> "noam, factor " + s[1] + ", warmup " + s[2] + ", d_model " + s[3];
                    case "cosine-warmup" -> "cosine-warmup, peak " + s[1] + ", warmup " + s[2];
                    default -> "constant " + s[1];
                };
                XYSeries series = chart.addSeries(label, x, y);
                series.setMarker(SeriesMarkers.NONE);
                series.setLineColor(Figures.color(i++));
                series.setLineStyle(new java.awt.BasicStroke(2f));
            }
            chart.getStyler().setYAxisDecimalPattern("0.0000");
            chart.getStyler().setXAxisDecimalPattern("#,##0");
            Figures.save(chart, out, "schedule");
            System.out.println("wrote " + out.resolve("schedule.png") + " and .svg");
            return 0;
        }
    }

    /** The sinusoidal positional encodings the embeddings add (Embedding.sinusoidalTable), position x dimension. */
    @Command(name = "positional", mixinStandardHelpOptions = true, description = "The sinusoidal positional encodings as a heat map, position x dimension.")
    static final class Positional implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "Directory for positional.png/.svg.") Path out;
        @Option(names = "--positions", defaultValue = "100", description = "Positions (default: ${DEFAULT-VALUE}).") int positions;
        @Option(names = "--d-model", defaultValue = "512", description = "Dimensions (default: ${DEFAULT-VALUE}).") int dModel;

        @Override public Integer call() throws IOException {
            if (positions < 2 || dModel < 2) throw new IllegalArgumentException("--positions and --d-model must be at least 2");
            float[] table = tt.model.Embedding.sinusoidalTable(positions, dModel).toArray();
            double[][] values = new double[positions][dModel];
            for (int p = 0; p < positions; p++) for (int d = 0; d < dModel; d++) values[p][d] = table[p * dModel + d];
            var chart = Figures.heatmap("Sinusoidal positional encoding, d_model " + dModel, "dimension", "position",
                    sparseLabels(dModel), sparseLabels(positions), values, -1, 1, Figures.DIVERGING, Figures.WIDTH, Figures.HEIGHT);
            Figures.save(chart, out, "positional");
            System.out.println("wrote " + out.resolve("positional.png") + " and .svg");
            return 0;
        }
    }

    /** The label-smoothed target distribution of the loss (Losses.targetProbability) for a toy vocabulary. */
    @Command(name = "smoothing", mixinStandardHelpOptions = true, description = "The label-smoothed target distribution for a toy vocabulary, pad column and pad rows zero.")
    static final class Smoothing implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "Directory for smoothing.png/.svg.") Path out;
        @Option(names = "--epsilon", defaultValue = "0.1", description = "Label smoothing (default: ${DEFAULT-VALUE}).") float epsilon;
        @Option(names = "--vocab", defaultValue = "8", description = "Toy vocabulary, pad included (default: ${DEFAULT-VALUE}).") int vocab;

        @Override public Integer call() throws IOException {
            if (vocab < 4 || !(epsilon >= 0 && epsilon < 1)) throw new IllegalArgumentException("--vocab must be at least 4 and --epsilon in [0, 1)");
            int pad = tt.model.TransformerConfig.PAD;
            int[] targets = {2, 1, vocab - 1, pad, 3};  // a pad row among them: all zero
            double[][] q = new double[targets.length][vocab];
            for (int r = 0; r < targets.length; r++) {
                for (int c = 0; c < vocab; c++) q[r][c] = tt.kernels.Losses.targetProbability(c, targets[r], pad, vocab, epsilon);
            }
            List<String> columns = new ArrayList<>(), rows = new ArrayList<>();
            for (int c = 0; c < vocab; c++) columns.add(c == pad ? "<pad>" : "token " + c);
            for (int t : targets) rows.add(t == pad ? "target <pad>" : "target " + t);
            var chart = Figures.heatmap("Label-smoothed target, epsilon " + epsilon + ", vocabulary " + vocab, "class", "row",
                    columns, rows, q, 0, 1, Figures.SEQUENTIAL, Figures.WIDTH, Figures.HEIGHT);
            chart.getStyler().setShowValue(true).setHeatMapValueDecimalPattern("0.000");
            Figures.save(chart, out, "smoothing");
            System.out.println("wrote " + out.resolve("smoothing.png") + " and .svg");
            return 0;
        }
    }

    /** 0, 1, ... with only every tenth or so labelled, so a long axis stays readable. */
    static List<String> sparseLabels(int n) {
        int every = n <= 20 ? 1 : n <= 100 ? 10 : n <= 300 ? 50 : 100;
        List<String> labels = new ArrayList<>(n);
        for (int i = 0; i < n; i++) labels.add(i % every == 0 ? Integer.toString(i) : " ".repeat(1 + i % every));
        return labels;
    }
}
