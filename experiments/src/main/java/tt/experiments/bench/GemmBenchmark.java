package tt.experiments.bench;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import tt.kernels.jvm.GemmKernels;
import tt.kernels.jvm.NativeBlas;
import tt.kernels.jvm.Parallel;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The JVM backend's GEMM against OpenBLAS (through FFM) in the same run: C = A*op(B), beta = 0.
 * Scores are calls per second; {@link #table} turns a CSV of them into GFLOP/s. OpenBLAS runs the
 * kernel its CPU detection picks (printed at setup); OPENBLAS_CORETYPE in the environment overrides it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
@Warmup(iterations = 8, time = 1) // C2 takes seconds to compile the Vector API kernels; until then they run boxed
@Measurement(iterations = 5, time = 1)
public class GemmBenchmark {
    /** [batch x] m x n x k: the Transformer's projection shapes and a batch of attention heads. */
    @Param({"2048x256x1024", "2048x1024x256", "2048x512x2048", "64x32x64x32", "512x32x32x64"})
    public String shape;
    /** op(A) op(B): N as stored, T transposed; A^T B is a weight gradient's product (dW = dY^T X). */
    @Param({"NN", "NT", "TN"})
    public String op;
    @Param({"java", "openblas"})
    public String impl;
    @Param({"1", "2"})
    public int threads;

    private int batch, m, n, k;
    private boolean transA, transB;
    private float[] a, b, c;
    private Parallel par;

    @Setup public void setup() {
        int[] d = dims(shape);
        batch = d[0]; m = d[1]; n = d[2]; k = d[3];
        if (!op.matches("[NT][NT]")) throw new IllegalArgumentException("op " + op + ": expected NN, NT, TN or TT");
        transA = op.charAt(0) == 'T';
        transB = op.charAt(1) == 'T';
        SplittableRandom rnd = new SplittableRandom(1);
        a = KernelBenchmark.random(rnd, batch * m * k);
        b = KernelBenchmark.random(rnd, batch * k * n);
        c = new float[batch * m * n];
        switch (impl) {
            case "java" -> par = new Parallel(threads);
            case "openblas" -> {
                if (!NativeBlas.isAvailable()) throw new IllegalStateException(NativeBlas.description());
                NativeBlas.setThreads(threads);
                System.out.println("\nOpenBLAS: " + NativeBlas.description());
            }
            default -> throw new IllegalArgumentException("impl " + impl + ": expected java or openblas");
        }
    }

    @TearDown public void close() {
        if (par != null) par.close();
    }

    @Benchmark public float[] gemm() {
        if (par != null) GemmKernels.gemm(par, batch, m, n, k, transA, transB, 1f, a, 0, b, 0, 0f, c, 0);
        else NativeBlas.gemm(batch, m, n, k, transA, transB, 1f, a, 0, b, 0, 0f, c, 0);
        return c;
    }

    /** Markdown table of GFLOP/s per shape, op and threads, java beside openblas (when run), from a JMH CSV (-rf csv). */
    public static String table(Path csv) throws IOException {
        Map<String, double[]> rows = new LinkedHashMap<>(); // "shape|op|threads" -> {java, openblas} GFLOP/s, in run order
        try (Reader in = Files.newBufferedReader(csv)) {
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(in)) {
                if (!r.get("Benchmark").endsWith("GemmBenchmark.gemm")) continue;
                String s = r.get("Param: shape");
                int[] d = dims(s);
                double gflops = Double.parseDouble(r.get("Score")) * 2.0 * d[0] * d[1] * d[2] * d[3] / 1e9;
                double[] row = rows.computeIfAbsent(String.join("|", s, r.get("Param: op"), r.get("Param: threads")),
                        key -> new double[] {Double.NaN, Double.NaN});
                row[r.get("Param: impl").equals("java") ? 0 : 1] = gflops;
            }
        }
        StringBuilder t = new StringBuilder("| shape (batch x m x n x k) | op(A) op(B) | threads | java GFLOP/s | openblas GFLOP/s | java / openblas |\n")
                .append("|---|---|---|---|---|---|\n");
        rows.forEach((key, g) -> {
            String[] p = key.split("\\|");
            t.append(String.format("| %s | %s | %s | %s | %s | %s |%n", p[0], p[1], p[2], figure("%.1f", g[0]), figure("%.1f", g[1]),
                    figure("%.2f", g[0] / g[1])));
        });
        return t.toString();
    }

    /** A number, or "-" for an implementation the run left out. */
    private static String figure(String format, double x) { return Double.isNaN(x) ? "-" : String.format(java.util.Locale.ROOT, format, x); }

    /** {batch, m, n, k} of "m x n x k" or "batch x m x n x k". */
    static int[] dims(String shape) {
        String[] p = shape.toLowerCase().split("x");
        if (p.length < 3 || p.length > 4) throw new IllegalArgumentException("shape " + shape + ": expected [batch x] m x n x k");
        int[] d = {1, 0, 0, 0};
        for (int i = 0; i < p.length; i++) d[i + 4 - p.length] = Integer.parseInt(p[i].trim());
        return d;
    }
}
