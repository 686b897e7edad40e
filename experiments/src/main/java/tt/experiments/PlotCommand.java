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

/** Learning curves from runs.csv files: loss and BLEU against updates, one line per run and split, PNG and SVG. */
@Command(name = "plot", mixinStandardHelpOptions = true, description = "Plot runs.csv files: loss.png/.svg and bleu.png/.svg in --out.")
public final class PlotCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", description = "runs.csv files (or run directories holding one).")
    List<Path> inputs;

    @Option(names = "--out", required = true, description = "Directory for the plots.")
    Path out;

    @Override public Integer call() throws IOException {
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
}
