package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tt.kernels.Backend;
import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;

import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/** The main job on the embedded default: a GEMM self-check against float64, then GEMM throughput. */
@Command(name = "quickstart", description = "Self-check the JVM kernels and measure GEMM throughput (no data needed).")
public final class QuickstartCommand implements Callable<Integer> {
    @Mixin BackendOptions backendOptions;

    @Override public Integer call() {
        try (Backend backend = backendOptions.open()) {
            System.out.println("backend: " + backend.name() + " (" + backend.device() + ")");
            int[][] shapes = {{1, 37, 53, 29}, {1, 256, 256, 256}, {64, 32, 64, 32}};
            boolean ok = true;
            for (int[] s : shapes) ok &= selfCheck(backend, s[0], s[1], s[2], s[3]);
            for (int[] s : new int[][] {{1, 2048, 256, 1024}, {1, 2048, 1024, 256}, {64, 32, 64, 32}}) {
                double gflops = BenchCommand.gemmGflops(backend, s[0], s[1], s[2], s[3], false, false, 1.0, 1.0);
                System.out.printf("gemm batch=%d m=%d n=%d k=%d: %.1f GFLOP/s%n", s[0], s[1], s[2], s[3], gflops);
            }
            return ok ? 0 : 1;
        }
    }

    private static boolean selfCheck(Backend backend, int batch, int m, int n, int k) {
        SplittableRandom rnd = new SplittableRandom(42);
        FloatBuf a = random("a", batch * m * k, rnd), b = random("b", batch * k * n, rnd);
        FloatBuf c = FloatBuf.allocate("c", batch * m * n);
        StepGraph g = new StepGraph("selfcheck");
        g.add("c = a b", new Kernel.Gemm(Dim.fixed(batch), Dim.fixed(m), Dim.fixed(n), Dim.fixed(k), false, false,
                1f, a, b, 0f, c));
        backend.compile(g).run();
        backend.download(c);
        double maxRel = 0;
        for (int bt = 0; bt < batch; bt++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double ref = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        double t = (double) a.get(bt * m * k + i * k + p) * b.get(bt * k * n + p * n + j);
                        ref += t;
                        mag += Math.abs(t);
                    }
                    maxRel = Math.max(maxRel, Math.abs(c.get(bt * m * n + i * n + j) - ref) / (mag + 1e-30));
                }
            }
        }
        boolean ok = maxRel < 1e-5;
        System.out.printf("gemm self-check batch=%d m=%d n=%d k=%d: max error / sum|terms| = %.2e %s%n",
                batch, m, n, k, maxRel, ok ? "ok" : "FAILED");
        return ok;
    }

    static FloatBuf random(String name, int n, SplittableRandom rnd) {
        FloatBuf x = FloatBuf.allocate(name, n);
        for (int i = 0; i < n; i++) x.set(i, (float) (rnd.nextDouble() * 2 - 1));
        return x;
    }
}
