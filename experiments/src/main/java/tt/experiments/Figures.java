package tt.experiments;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tt.experiments.ExperimentSpec.Variant;
import tt.experiments.RunLog.Row;
import tt.experiments.Statistics.Spread;
import tt.experiments.Summary.Finished;
import tt.experiments.Summary.Metric;
import tt.model.io.AtomicFile;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Figures for papers, through XChart: white background, a colour-blind-safe palette, readable
 * ticks with as many decimals as the range needs, legends that name variants; PNG and SVG.
 */
final class Figures {
    /** Okabe and Ito's palette, distinguishable with any colour vision. */
    private static final Color[] PALETTE = {new Color(0, 114, 178), new Color(213, 94, 0), new Color(0, 158, 115),
            new Color(204, 121, 167), new Color(230, 159, 0), new Color(86, 180, 233), new Color(240, 228, 66), Color.BLACK};
    static final int WIDTH = 900, HEIGHT = 560;

    private Figures() {}

    static Color color(int i) { return PALETTE[i % PALETTE.length]; }

    static XYChart lines(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
        return chart;
    }

    static <S extends AxesChartStyler> void style(S s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLegendBackgroundColor(Color.WHITE);
        s.setLegendBorderColor(Color.LIGHT_GRAY);
        s.setPlotBorderColor(Color.GRAY);
        s.setPlotGridLinesColor(new Color(225, 225, 225));
        s.setChartTitleBoxVisible(false);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAntiAlias(true);
        s.setChartPadding(12);
    }

    /** Tick labels with the decimals the data's range needs: 1.25, 12.5, 125, never 35.6404. */
    static String decimals(double low, double high) {
        double range = Math.abs(high - low);
        return range >= 20 ? "#,##0" : range >= 2 ? "0.0" : range >= 0.2 ? "0.00" : "0.000";
    }

    /**
     * One metric of validation rows against updates: per variant, the seeds' mean as a line and
     * their min to max as a band of the same colour (at the steps every finished seed logged).
     */
    static XYChart seedBands(Summary s, String title, String yTitle, ToDoubleFunction<Row> value) {
        XYChart chart = lines(title, "update", yTitle);
        double low = Double.POSITIVE_INFINITY, high = Double.NEGATIVE_INFINITY;
        int i = 0;
        for (Variant v : s.spec.variants) {
            List<Finished> seeds = s.of(v);
            Color c = color(i++);
            if (seeds.isEmpty()) continue;
            TreeMap<Integer, List<Double>> byStep = new TreeMap<>();
            for (Finished f : seeds) {
                for (Row r : f.rows()) {
                    double y = value.applyAsDouble(r);
                    if (r.split().equals("val") && !Double.isNaN(y)) byStep.computeIfAbsent(r.step(), k -> new ArrayList<>()).add(y);
                }
            }
            byStep.values().removeIf(ys -> ys.size() < seeds.size());
            if (byStep.isEmpty()) continue;
            List<Double> x = new ArrayList<>(), mean = new ArrayList<>(), bandX = new ArrayList<>(), bandY = new ArrayList<>();
            List<Double> lows = new ArrayList<>();
            for (var e : byStep.entrySet()) {
                Spread sp = Spread.of(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
                x.add((double) e.getKey());
                mean.add(sp.mean());
                bandX.add((double) e.getKey());
                bandY.add(sp.max());
                lows.add(sp.min());
                low = Math.min(low, sp.min());
                high = Math.max(high, sp.max());
            }
            if (seeds.size() > 1) {
                for (int k = x.size() - 1; k >= 0; k--) {
                    bandX.add(x.get(k));
                    bandY.add(lows.get(k));
                }
                XYSeries band = chart.addSeries(v.name() + " (min-max)", bandX, bandY);
                band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
                band.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 50));
                band.setLineColor(new Color(0, 0, 0, 0));
                band.setMarker(SeriesMarkers.NONE);
                band.setShowInLegend(false);
            }
            String label = v.name() + (v == s.spec.baseline && !v.name().equals("baseline") ? " (baseline)" : "") + ", " + seeds.size()
                    + (seeds.size() == 1 ? " seed" : " seeds");
            XYSeries line = chart.addSeries(label, x, mean);
            line.setLineColor(c);
            line.setMarkerColor(c);
            line.setMarker(SeriesMarkers.CIRCLE);
            line.setLineStyle(new BasicStroke(2.2f));
        }
        if (low <= high) chart.getStyler().setYAxisDecimalPattern(decimals(low, high));
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        return chart;
    }

    /** A bar per variant: the metric's mean over seeds, with the 95% t interval of the mean as error bars. */
    static CategoryChart summaryBars(Summary s, Metric m) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title(m.label() + " by variant: mean over seeds, 95% interval").xAxisTitle("variant").yAxisTitle(m.label()).build();
        style(chart.getStyler());
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(s.lines.size() > 4 ? 30 : 0);
        chart.getStyler().setErrorBarsColor(Color.DARK_GRAY);
        chart.getStyler().setOverlapped(true);
        double low = 0, high = Double.NEGATIVE_INFINITY;
        List<String> names = s.lines.stream().map(l -> l.variant().name()).toList();
        for (int i = 0; i < s.lines.size(); i++) {
            Spread sp = s.lines.get(i).stats().get(m).spread();
            if (sp.n() == 0 || Double.isNaN(sp.mean())) continue;
            double h = Double.isNaN(sp.halfWidth95()) ? 0 : sp.halfWidth95();
            List<Double> means = new ArrayList<>(), errors = new ArrayList<>();
            for (int j = 0; j < names.size(); j++) {
                means.add(j == i ? sp.mean() : 0.0);
                errors.add(j == i ? h : 0.0);
            }
            chart.addSeries(names.get(i), names, means, errors).setFillColor(color(i));
            low = Math.min(low, sp.mean() - h);
            high = Math.max(high, sp.mean() + h);
        }
        if (high == Double.NEGATIVE_INFINITY) return null;
        chart.getStyler().setYAxisDecimalPattern(decimals(low, high));
        return chart;
    }

    /** White, through light blue, to dark blue: probabilities from 0 up (sequential, grey-scale safe). */
    static final Color[] SEQUENTIAL = {Color.WHITE, new Color(198, 219, 239), new Color(107, 174, 214), new Color(33, 113, 181), new Color(8, 48, 107)};
    /** Blue, white, red: values around zero (the positional encodings' sines and cosines). */
    static final Color[] DIVERGING = {new Color(33, 102, 172), new Color(146, 197, 222), Color.WHITE, new Color(244, 165, 130), new Color(178, 24, 43)};

    /**
     * A heat map of {@code values[row][column]} with labelled axes and a colour bar from
     * {@code min} to {@code max}, row 0 at the top (as a matrix reads); a blank label leaves its
     * tick unlabelled (for long axes).
     */
    static HeatMapChart heatmap(String title, String xTitle, String yTitle, List<String> columns, List<String> rows, double[][] values,
                                double min, double max, Color[] colours, int width, int height) {
        HeatMapChart chart = new HeatMapChartBuilder().width(width).height(height).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(chart.getStyler());
        chart.getStyler().setRangeColors(colours).setMin(min).setMax(max).setShowValue(false).setDrawBorder(false).setPiecewise(false);
        chart.getStyler().setPlotContentSize(1.0);
        List<Number[]> cells = new ArrayList<>();
        int n = rows.size();
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < columns.size(); c++) cells.add(new Number[] {c, n - 1 - r, values[r][c]});
        }
        chart.addSeries(title, columns, rows.reversed(), cells);
        return chart;
    }

    /**
     * Writes charts of one size side by side as NAME.png and NAME.svg: one row for up to three,
     * two columns for four, four columns beyond.
     */
    static void saveGrid(List<? extends Chart<?, ?>> charts, Path dir, String name) throws IOException {
        int n = charts.size(), cols = n <= 3 ? n : n == 4 ? 2 : 4, rows = (n + cols - 1) / cols;
        int w = charts.getFirst().getWidth(), h = charts.getFirst().getHeight();
        Files.createDirectories(dir);
        AtomicFile.write(dir.resolve(name + ".png"), out -> BitmapEncoder.saveBitmap(charts, rows, cols, out, BitmapEncoder.BitmapFormat.PNG));
        de.erichseifert.vectorgraphics2d.VectorGraphics2D g = new de.erichseifert.vectorgraphics2d.VectorGraphics2D();
        for (int i = 0; i < n; i++) {
            java.awt.Graphics2D panel = (java.awt.Graphics2D) g.create((i % cols) * w, (i / cols) * h, w, h);
            charts.get(i).paint(panel, w, h);
            panel.dispose();
        }
        var svg = new de.erichseifert.vectorgraphics2d.svg.SVGProcessor()
                .getDocument(g.getCommands(), new de.erichseifert.vectorgraphics2d.util.PageSize(cols * w, rows * h));
        AtomicFile.write(dir.resolve(name + ".svg"), svg::writeTo);
    }

    /** Writes NAME.png (WIDTH x HEIGHT pixels) and NAME.svg into {@code dir}, each replaced atomically. */
    static void save(Chart<?, ?> chart, Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        AtomicFile.write(dir.resolve(name + ".png"), out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
        AtomicFile.write(dir.resolve(name + ".svg"), out -> VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG));
    }
}
