package tt.experiments;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import tt.model.io.AtomicFile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A PyTorch peer (experiments/bench/torch_step.py, torch_decode.py) as a server process: it builds
 * the same model and work once, then times the work each time it is asked to, so that our rounds
 * and its rounds alternate on the same machine load.
 */
final class TorchPeer implements AutoCloseable {
    /** One round of a case (a preset, a search): our and PyTorch's milliseconds, and the load average after it. */
    record Round(String label, int round, double oursMs, double torchMs, String load) {}

    /** Whether {@code python} has torch, and its version or what to do. */
    record Availability(boolean ok, String message) {}

    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;

    private TorchPeer(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
    }

    /** Whether {@code python} imports torch and every one of {@code alsoNeeded} (e.g. safetensors). */
    static Availability check(String python, String... alsoNeeded) {
        List<String> modules = new ArrayList<>(List.of("torch"));
        modules.addAll(List.of(alsoNeeded));
        try {
            Process p = new ProcessBuilder(python, "-c", "import " + String.join(", ", modules) + "; print(torch.__version__)")
                    .redirectErrorStream(true).start();
            String version = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) return new Availability(true, "PyTorch " + version + " (" + python + ")");
        } catch (IOException e) {
            return new Availability(false, python + " not found: install Python 3 and `pip install " + String.join(" ", modules)
                    + "`, or name one with --python");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Availability(false, python + " cannot import " + String.join(" and ", modules) + ": `pip install " + String.join(" ", modules)
                + "` (or name another Python with --python)");
    }

    /** Starts experiments/bench/{@code script} with {@code args} and waits for its "ready". */
    static TorchPeer start(String python, String script, List<String> args) throws IOException {
        Path path = Project.root().resolve("experiments/bench").resolve(script);
        List<String> command = new ArrayList<>(List.of(python, path.toString()));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        TorchPeer peer = new TorchPeer(p);
        String ready = peer.out.readLine();
        if (ready == null || !ready.startsWith("ready")) {
            peer.close();
            throw new IOException("the PyTorch peer did not start (" + path + " said: " + ready + ")");
        }
        return peer;
    }

    /** Sends a request ("run 5", "run") and returns the milliseconds the peer answers with. */
    double ms(String request) throws IOException {
        in.println(request);
        String line = out.readLine();
        if (line == null || !line.startsWith("ms ")) throw new IOException("the PyTorch peer stopped answering (" + line + ")");
        return Double.parseDouble(line.substring(3));
    }

    @Override public void close() {
        in.println("quit");
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The 1, 5 and 15 minute load averages, as uptime prints them: what else was running. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return String.format(Locale.ROOT, "%.2f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * {@code stem}.csv (every round) and a bar chart of each case's medians, {@code stem}.png/.svg, in
     * {@code dir}; {@code title} says what was timed, {@code unit} in what.
     */
    static void write(List<Round> rounds, Path dir, String stem, String caseColumn, String title, String unit) throws IOException {
        Files.createDirectories(dir);
        AtomicFile.write(dir.resolve(stem + ".csv"), stream -> {
            CSVPrinter p = new CSVPrinter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), CSVFormat.DEFAULT.builder()
                    .setHeader(caseColumn, "round", "ours_" + unit, "torch_" + unit, "torch_over_ours", "load_average_1_5_15").build());
            for (Round r : rounds) {
                p.printRecord(r.label(), r.round(), String.format(Locale.ROOT, "%.1f", r.oursMs()), String.format(Locale.ROOT, "%.1f", r.torchMs()),
                        String.format(Locale.ROOT, "%.3f", r.torchMs() / r.oursMs()), r.load());
            }
            p.flush();
        });
        Map<String, double[]> medians = new LinkedHashMap<>();
        for (Round r : rounds) medians.putIfAbsent(r.label(), null);
        List<String> labels = new ArrayList<>(medians.keySet());
        List<Double> ours = new ArrayList<>(), theirs = new ArrayList<>();
        for (String label : labels) {
            ours.add(median(rounds.stream().filter(r -> r.label().equals(label)).mapToDouble(Round::oursMs).toArray()));
            theirs.add(median(rounds.stream().filter(r -> r.label().equals(label)).mapToDouble(Round::torchMs).toArray()));
        }
        CategoryChart chart = new CategoryChartBuilder().width(Figures.WIDTH).height(Figures.HEIGHT)
                .title(title + " (median of alternating rounds; lower is faster)").xAxisTitle(caseColumn).yAxisTitle(unit.replace('_', ' ')).build();
        Figures.style(chart.getStyler());
        chart.addSeries("tornado-transformer (JVM)", labels, ours).setFillColor(Figures.color(0));
        chart.addSeries("PyTorch", labels, theirs).setFillColor(Figures.color(1));
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        Figures.save(chart, dir, stem);
    }
}
