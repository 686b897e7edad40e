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

    @Override public Integer call() {
        try (Backend backend = backendOptions.open()) {
            System.out.println("backend: " + backend.name() + " (" + backend.device() + ")");
            for (String s : shapes) {
                String[] p = s.toLowerCase().split("x");
                if (p.length != 4) throw new IllegalArgumentException("--gemm " + s + ": expected batch x m x n x k, e.g. 1x2048x256x1024");
                int batch = Integer.parseInt(p[0]), m = Integer.parseInt(p[1]), n = Integer.parseInt(p[2]), k = Integer.parseInt(p[3]);
                double gflops = gemmGflops(backend, batch, m, n, k, false, transB, warmup, seconds);
                System.out.printf("gemm %s%s: %.1f GFLOP/s%n", s, transB ? " (A*B^T)" : "", gflops);
            }
        }
        return 0;
    }

    /** Best-of-runs GFLOP/s of one GEMM call run repeatedly for about {@code seconds}, after {@code warmup} untimed seconds. */
    static double gemmGflops(Backend backend, int batch, int m, int n, int k, boolean transA, boolean transB,
                             double warmup, double seconds) {
        SplittableRandom rnd = new SplittableRandom(1);
        FloatBuf a = QuickstartCommand.random("a", batch * m * k, rnd), b = QuickstartCommand.random("b", batch * k * n, rnd);
        FloatBuf c = FloatBuf.allocate("c", batch * m * n);
        StepGraph g = new StepGraph("bench");
        g.add("gemm", new Kernel.Gemm(Dim.fixed(batch), Dim.fixed(m), Dim.fixed(n), Dim.fixed(k), transA, transB, 1f, a, b, 0f, c));
        Backend.Executable exe = backend.compile(g);
        for (long end = System.nanoTime() + (long) (warmup * 1e9); System.nanoTime() < end; ) exe.run();
        double flops = 2.0 * batch * m * n * k, best = Double.MAX_VALUE;
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
