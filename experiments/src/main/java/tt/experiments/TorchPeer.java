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
 * The PyTorch peer (experiments/bench/torch_step.py) as a server process: it builds the same model
 * and batch once, then times as many steps as it is asked to, so that our rounds and its rounds
 * alternate on the same machine load.
 */
final class TorchPeer implements AutoCloseable {
    /** One round: our and PyTorch's milliseconds per step, and the load average after it. */
    record Round(String preset, int round, double oursMs, double torchMs, String load) {}

    /** Whether {@code python} has torch, and its version or what to do. */
    record Availability(boolean ok, String message) {}

    private static final Path SCRIPT = Project.root().resolve("experiments/bench/torch_step.py");

    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;

    private TorchPeer(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
    }

    static Availability check(String python) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch; print(torch.__version__)").redirectErrorStream(true).start();
            String version = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) return new Availability(true, "PyTorch " + version + " (" + python + ")");
        } catch (IOException e) {
            return new Availability(false, python + " not found: install Python 3 and `pip install torch`, or name one with --python");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Availability(false, "no torch for " + python + ": `pip install torch` (or name another Python with --python)");
    }

    static TorchPeer start(String python, String preset, int tokens, int len, int vocab, int threads, String device) throws IOException {
        Process p = new ProcessBuilder(python, SCRIPT.toString(), "--preset", preset, "--tokens", Integer.toString(tokens), "--len",
                Integer.toString(len), "--vocab", Integer.toString(vocab), "--threads", Integer.toString(threads), "--device", device)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        TorchPeer peer = new TorchPeer(p);
        String ready = peer.out.readLine();
        if (ready == null || !ready.startsWith("ready")) {
            peer.close();
            throw new IOException("the PyTorch peer did not start (" + SCRIPT + " said: " + ready + ")");
        }
        return peer;
    }

    double msPerStep(int steps) throws IOException {
        in.println("run " + steps);
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

    /** step-vs-torch.csv (every round) and a bar chart of each preset's medians, in {@code dir}. */
    static void write(List<Round> rounds, Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFile.write(dir.resolve("step-vs-torch.csv"), stream -> {
            CSVPrinter p = new CSVPrinter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), CSVFormat.DEFAULT.builder()
                    .setHeader("preset", "round", "ours_ms_per_step", "torch_ms_per_step", "torch_over_ours", "load_average_1_5_15").build());
            for (Round r : rounds) {
                p.printRecord(r.preset(), r.round(), String.format(Locale.ROOT, "%.1f", r.oursMs()), String.format(Locale.ROOT, "%.1f", r.torchMs()),
                        String.format(Locale.ROOT, "%.3f", r.torchMs() / r.oursMs()), r.load());
            }
            p.flush();
        });
        Map<String, double[]> medians = new LinkedHashMap<>();
        for (Round r : rounds) medians.putIfAbsent(r.preset(), null);
        List<String> presets = new ArrayList<>(medians.keySet());
        List<Double> ours = new ArrayList<>(), theirs = new ArrayList<>();
        for (String preset : presets) {
            ours.add(median(rounds.stream().filter(r -> r.preset().equals(preset)).mapToDouble(Round::oursMs).toArray()));
            theirs.add(median(rounds.stream().filter(r -> r.preset().equals(preset)).mapToDouble(Round::torchMs).toArray()));
        }
        CategoryChart chart = new CategoryChartBuilder().width(Figures.WIDTH).height(Figures.HEIGHT)
                .title("Training step, milliseconds (median of alternating rounds; lower is faster)").xAxisTitle("preset").yAxisTitle("ms per step").build();
        Figures.style(chart.getStyler());
        chart.addSeries("tornado-transformer (JVM)", presets, ours).setFillColor(Figures.color(0));
        chart.addSeries("PyTorch", presets, theirs).setFillColor(Figures.color(1));
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        Figures.save(chart, dir, "step-vs-torch");
    }
}
