package tt.experiments;

import tt.kernels.Backend;
import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;
import tt.kernels.KernelTime;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Where a profiled run's time went, per kernel type, against the two limits of this machine measured
 * in the same run on the same backend and threads: the GEMM's best rate on a large square product
 * (compute) and the element-wise add's best rate on operands far larger than the caches (memory).
 * A kernel type's limit is the time its FLOPs and bytes ({@link tt.kernels.KernelCost}) would take
 * at those rates, whichever is longer; "of limit" is that time over the time it took.
 */
final class Roofline {
    /** The machine's limits: GFLOP/s of a 1024^3 GEMM, GB/s of c = a + b over 3 x 32 MiB. */
    record Peaks(double gflops, double gbs) {}

    private Roofline() {}

    /** The limits, on the backend whose kernels a profile times: the jvm backend's. */
    static Peaks measure(Backend backend) {
        if (!(backend instanceof tt.kernels.jvm.JvmBackend)) {
            throw new IllegalArgumentException("--profile times the jvm backend's kernels; drop it or use --backend jvm");
        }
        BenchCommand.TimedKernel gemm = BenchCommand.timedGemm(backend, 1, 1024, 1024, 1024, false, false);
        int n = 8 << 20;
        SplittableRandom rnd = new SplittableRandom(1);
        FloatBuf a = BenchCommand.random("a", n, rnd), b = BenchCommand.random("b", n, rnd), c = FloatBuf.allocate("c", n);
        BenchCommand.TimedKernel add = new BenchCommand.TimedKernel(backend,
                new Kernel.Add(Dim.fixed(1), Dim.fixed(n), a, b, c), 3.0 * Float.BYTES * n);
        gemm.run(1.5);  // the JIT compiles the Vector API code first
        add.run(0.5);
        return new Peaks(gemm.bestGigaRate(1.0), add.bestGigaRate(1.0));
    }

    /**
     * The table per kernel type, largest time first, with times divided by {@code per} (e.g. steps)
     * and a last row for what no kernel accounts for in {@code totalMs} (host work, dispatch); then
     * the GEMMs alone, one row per shape ("batch x m x n x k", transposes of A and B).
     */
    static void print(PrintStream out, Map<String, KernelTime> profile, double totalMs, int per, String perUnit, Peaks peaks) {
        out.printf(Locale.ROOT, "limits measured now: GEMM %.1f GFLOP/s, memory %.1f GB/s%n", peaks.gflops(), peaks.gbs());
        Map<String, KernelTime> byType = new TreeMap<>();
        profile.forEach((key, t) -> byType.computeIfAbsent(key.split(" ", 2)[0], type -> new KernelTime()).add(t));
        double kernelsMs = table(out, "kernel", byType, totalMs, per, perUnit, peaks);
        out.printf(Locale.ROOT, "| (host, dispatch) | | %.1f | %.1f%% | | | | |%n", (totalMs - kernelsMs) / per,
                100 * (totalMs - kernelsMs) / totalMs);
        Map<String, KernelTime> gemms = new TreeMap<>();
        profile.forEach((key, t) -> { if (key.startsWith("Gemm ")) gemms.put(key.substring(5), t); });
        if (gemms.size() > 1) {
            out.println();
            table(out, "GEMM batch x m x n x k, op(A) op(B)", gemms, totalMs, per, perUnit, peaks);
        }
    }

    /** One table's rows, largest time first; returns their total milliseconds. */
    private static double table(PrintStream out, String what, Map<String, KernelTime> rows, double totalMs, int per, String perUnit,
                                Peaks peaks) {
        out.printf(Locale.ROOT, "| %s | calls/%s | ms/%s | share | GFLOP/s | GB/s | bound | of limit |%n", what, perUnit, perUnit);
        out.println("|---|---|---|---|---|---|---|---|");
        List<Map.Entry<String, KernelTime>> sorted = new ArrayList<>(rows.entrySet());
        sorted.sort((x, y) -> Long.compare(y.getValue().nanos(), x.getValue().nanos()));
        double sumMs = 0;
        for (Map.Entry<String, KernelTime> e : sorted) {
            KernelTime t = e.getValue();
            double seconds = t.nanos() * 1e-9, ms = seconds * 1e3;
            sumMs += ms;
            double computeS = t.flops() / (peaks.gflops() * 1e9), memoryS = t.bytes() / (peaks.gbs() * 1e9);
            out.printf(Locale.ROOT, "| %s | %.0f | %.1f | %.1f%% | %.1f | %.1f | %s | %.0f%% |%n", e.getKey(), (double) t.calls() / per,
                    ms / per, 100 * ms / totalMs, t.flops() / seconds * 1e-9, t.bytes() / seconds * 1e-9,
                    computeS >= memoryS ? "compute" : "memory", 100 * Math.max(computeS, memoryS) / seconds);
        }
        return sumMs;
    }
}
