package tt.experiments;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Learning curves from runs.csv files: loss and BLEU against updates, one line per run and split, PNG and SVG. */
@Command(name = "plot", description = "Plot runs.csv files: loss.png/.svg and bleu.png/.svg in --out.")
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
        Map<String, List<CSVRecord>> runs = new LinkedHashMap<>();
        for (Path in : inputs) {
            Path csv = Files.isDirectory(in) ? in.resolve("runs.csv") : in;
            if (!Files.exists(csv)) throw new IOException(csv + ": no such file; give runs.csv files or run directories");
            try (CSVParser p = CSVParser.parse(csv, StandardCharsets.UTF_8, CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
                for (CSVRecord r : p) runs.computeIfAbsent(r.get("run") + " seed " + r.get("seed"), k -> new ArrayList<>()).add(r);
            }
        }
        Files.createDirectories(out);
        save(chart("Loss per target token (train: training objective, val: NLL)", "token_loss", runs, List.of("train", "val")), out, "loss");
        save(chart("Validation BLEU (sacreBLEU 13a)", "bleu", runs, List.of("val")), out, "bleu");
    }

    private static XYChart chart(String title, String column, Map<String, List<CSVRecord>> runs, List<String> splits) {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("update").yAxisTitle(column).build();
        for (var run : runs.entrySet()) {
            for (String split : splits) {
                List<Double> x = new ArrayList<>(), y = new ArrayList<>();
                for (CSVRecord r : run.getValue()) {
                    if (!r.get("split").equals(split) || r.get(column).isEmpty()) continue;
                    x.add(Double.parseDouble(r.get("step")));
                    y.add(Double.parseDouble(r.get(column)));
                }
                if (!x.isEmpty()) chart.addSeries(run.getKey() + " " + split, x, y).setMarker(split.equals("val") ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            }
        }
        return chart;
    }

    private static void save(XYChart chart, Path out, String name) throws IOException {
        BitmapEncoder.saveBitmap(chart, out.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(chart, out.resolve(name).toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }
}
