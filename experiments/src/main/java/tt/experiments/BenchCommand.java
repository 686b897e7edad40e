package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tt.kernels.Backend;
import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/** Quick whole-call timings; JMH benchmarks (tt.experiments.bench) are the careful measurement. */
@Command(name = "bench", description = "Time kernels through the step graph (quick; use JMH for careful numbers).")
public final class BenchCommand implements Callable<Integer> {
    @Mixin BackendOptions backendOptions;

    @Option(names = "--gemm", split = ",", defaultValue = "1x2048x256x1024,1x2048x1024x256,1x2048x512x2048,64x32x64x32",
            description = "GEMM shapes batch x m x n x k, comma separated (default: ${DEFAULT-VALUE}).")
    List<String> shapes;

    @Option(names = "--transB", description = "Multiply by B transposed (A*B^T).")
    boolean transB;

    @Option(names = "--seconds", defaultValue = "2", description = "Time per shape (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed seconds per shape first: Vector API code is slow until the JIT compiles it (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--vs-native", description = "Also time each GEMM on the system OpenBLAS, alternating with the "
            + "selected backend in short rounds so both see the same machine load, and print the ratio.")
    boolean vsNative;

    /** Rounds per shape with --vs-native; each side gets seconds / ROUNDS per round. */
    private static final int ROUNDS = 5;

    @Override public Integer call() {
        try (Backend backend = backendOptions.open();
             Backend blas = vsNative ? BackendOptions.nativeBlas(backendOptions.threadCount(), "--vs-native") : null) {
            System.out.println("backend: " + backend.name() + " (" + backend.device() + ")");
            if (blas != null) System.out.println("versus: " + blas.device());
            for (String s : shapes) {
                String[] p = s.toLowerCase().split("x");
                if (p.length != 4) throw new IllegalArgumentException("--gemm " + s + ": expected batch x m x n x k, e.g. 1x2048x256x1024");
                int batch = Integer.parseInt(p[0]), m = Integer.parseInt(p[1]), n = Integer.parseInt(p[2]), k = Integer.parseInt(p[3]);
                String what = "gemm " + s + (transB ? " (A*B^T)" : "");
                TimedGemm mine = new TimedGemm(backend, batch, m, n, k, false, transB);
                mine.run(warmup);
                if (blas == null) {
                    System.out.printf("%s: %.1f GFLOP/s%n", what, mine.bestGflops(seconds));
                    continue;
                }
                TimedGemm theirs = new TimedGemm(blas, batch, m, n, k, false, transB);
                theirs.run(warmup);
                double g = 0, gBlas = 0;
                for (int r = 0; r < ROUNDS; r++) {
                    g = Math.max(g, mine.bestGflops(seconds / ROUNDS));
                    gBlas = Math.max(gBlas, theirs.bestGflops(seconds / ROUNDS));
                }
                System.out.printf("%s: %.1f GFLOP/s, OpenBLAS %.1f GFLOP/s, ratio %.2f%n", what, g, gBlas, g / gBlas);
            }
        }
        return 0;
    }

    /** Best-of-runs GFLOP/s of one GEMM call run repeatedly for about {@code seconds}, after {@code warmup} untimed seconds. */
    static double gemmGflops(Backend backend, int batch, int m, int n, int k, boolean transA, boolean transB,
                             double warmup, double seconds) {
        TimedGemm gemm = new TimedGemm(backend, batch, m, n, k, transA, transB);
        gemm.run(warmup);
        return gemm.bestGflops(seconds);
    }

    /** One GEMM on random operands, compiled once on a backend. */
    private static final class TimedGemm {
        private final Backend.Executable exe;
        private final double flops;

        TimedGemm(Backend backend, int batch, int m, int n, int k, boolean transA, boolean transB) {
            SplittableRandom rnd = new SplittableRandom(1);
            FloatBuf a = QuickstartCommand.random("a", batch * m * k, rnd), b = QuickstartCommand.random("b", batch * k * n, rnd);
            FloatBuf c = FloatBuf.allocate("c", batch * m * n);
            StepGraph g = new StepGraph("bench");
            g.add("gemm", new Kernel.Gemm(Dim.fixed(batch), Dim.fixed(m), Dim.fixed(n), Dim.fixed(k), transA, transB, 1f, a, b, 0f, c));
            exe = backend.compile(g);
            flops = 2.0 * batch * m * n * k;
        }

        /** Untimed runs, e.g. while the JIT compiles the Vector API code (slow until then). */
        void run(double seconds) {
            for (long end = System.nanoTime() + (long) (seconds * 1e9); System.nanoTime() < end; ) exe.run();
        }

        /** GFLOP/s of the fastest of the calls made in about {@code seconds} (at least 3). */
        double bestGflops(double seconds) {
            double best = Double.MAX_VALUE;
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            int runs = 0;
            do {
                long t0 = System.nanoTime();
                exe.run();
                best = Math.min(best, (System.nanoTime() - t0) * 1e-9);
                runs++;
            } while (System.nanoTime() < deadline || runs < 3);
            return flops / best / 1e9;
        }
    }
}
