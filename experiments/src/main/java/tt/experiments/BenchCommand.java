package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tt.kernels.Backend;
import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;
import tt.kernels.KernelCost;
import tt.kernels.StepGraph;
import tt.kernels.jvm.JvmBackend;
import tt.model.AdamConfig;
import tt.model.BatchLimits;
import tt.model.Schedule;
import tt.model.Trainer;
import tt.model.Transformer;
import tt.model.TransformerConfig;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/** Whole-call timings through the step graph; JMH (./tt jmh) is the careful per-kernel measurement. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Time whole training steps, test-set decoding or single GEMMs through a backend.",
        subcommands = {BenchCommand.Step.class, BenchDecodeCommand.class, BenchCommand.Gemm.class})
public final class BenchCommand implements Runnable {

    @Override public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "step", mixinStandardHelpOptions = true, description = {
            "Training steps of presets at a fixed token batch: tokens/s and GEMM GFLOP/s.",
            "With --vs-torch, the same step in PyTorch (experiments/bench/torch_step.py) in alternating rounds."})
    static final class Step implements Callable<Integer> {
        @Mixin BackendOptions backendOptions;

        @Option(names = "--preset", split = ",", defaultValue = "tiny,small", description = "Presets (default: ${DEFAULT-VALUE}).")
        List<String> presets;

        @Option(names = "--tokens", defaultValue = "4096", description = "Padded tokens per side per batch (default: ${DEFAULT-VALUE}).")
        int tokens;

        @Option(names = "--len", defaultValue = "32", description = "Sentence length, source and target (default: ${DEFAULT-VALUE}).")
        int len;

        @Option(names = "--vocab", defaultValue = "8000", description = "Shared vocabulary size (default: ${DEFAULT-VALUE}).")
        int vocab;

        @Option(names = "--steps", defaultValue = "5", description = "Timed steps (per round with --vs-torch) (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--warmup", defaultValue = "10", description = "Untimed steps first, for at least this many seconds and 2 steps: "
                + "kernels called once a step (loss, gradient norm, Adam) run slowly until the JIT has compiled them (default: ${DEFAULT-VALUE}).")
        double warmup;

        @Option(names = "--profile", description = "Also print where the step's time goes: a roofline table per kernel type, against "
                + "this machine's GEMM and memory limits measured in the same run (jvm backend).")
        boolean profile;

        @Mixin TorchPeerOptions peerOptions;

        @Option(names = "--rounds", defaultValue = "5", description = "With --vs-torch: rounds of --steps steps each side (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Override public Integer call() throws java.io.IOException {
            if (len < 2) throw new IllegalArgumentException("--len must be at least 2 (a token and </s>), got " + len);
            if (tokens < len) throw new IllegalArgumentException("--tokens " + tokens + " cannot hold one sentence of --len " + len);
            if (vocab < 16) throw new IllegalArgumentException("--vocab must be at least 16, got " + vocab);
            if (steps < 1 || rounds < 1) throw new IllegalArgumentException("--steps and --rounds must be at least 1");
            if (!(warmup >= 0)) throw new IllegalArgumentException("--warmup must be 0 or more seconds, got " + warmup);
            TorchPeer.Availability torch = peerOptions.peer();
            try (Backend backend = backendOptions.open()) {
                System.out.println("backend: " + backend.name() + " (" + backend.device() + "), load average " + TorchPeer.loadAverage());
                peaks = profile ? Roofline.measure(backend) : null;
                if (torch != null) {
                    System.out.println("versus: " + torch.message() + ", " + backendOptions.threadCount() + " threads, device " + peerOptions.torchDevice);
                    List<TorchPeer.Round> all = new ArrayList<>();
                    for (String preset : presets) all.addAll(versus(backend, preset));
                    peerOptions.write(all, "step-vs-torch", "preset", "Training step", "ms_per_step");
                } else {
                    System.out.println("preset,tokens_per_batch,sentences,len,vocab,params,ms_per_step,tokens_per_s,gemm_gflop_per_step,gemm_gflop_per_s");
                    for (String preset : presets) measure(backend, preset);
                }
            }
            return 0;
        }

        /** A preset's model and batch, ready to step. */
        private record Prepared(Transformer model, Trainer trainer, Batch batch) {
            double secondsPerStep(int steps) {
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) trainer.step(batch);
                return (System.nanoTime() - t0) * 1e-9 / steps;
            }
        }

        private Prepared prepare(Backend backend, String preset) {
            int sentences = Math.max(1, tokens / len);
            TransformerConfig config = TransformerConfig.preset(preset, vocab).toBuilder().maxLen(Math.max(256, len)).build();
            Transformer model = Transformer.create(config, new BatchLimits(sentences * len, sentences, len), AdamConfig.paper(), 1);
            Trainer trainer = new Trainer(model, backend, new Schedule.Noam(config.dModel(), 4000, 1.0));
            trainer.initialize(1);
            SplittableRandom rnd = new SplittableRandom(1);
            List<EncodedPair> pairs = new ArrayList<>();
            for (int i = 0; i < sentences; i++) {
                pairs.add(new EncodedPair(i, rnd.ints(len - 1, 4, vocab).toArray(), rnd.ints(len - 1, 4, vocab).toArray()));
            }
            Batch batch = Batch.of(pairs);
            long until = System.nanoTime() + (long) (warmup * 1e9);
            for (int i = 0; i < 2 || System.nanoTime() < until; i++) trainer.step(batch);
            return new Prepared(model, trainer, batch);
        }

        private Roofline.Peaks peaks;

        private void measure(Backend backend, String preset) {
            Prepared p = prepare(backend, preset);
            if (peaks != null) ((JvmBackend) backend).startProfiling();
            double seconds = p.secondsPerStep(steps);
            if (peaks != null) Roofline.print(System.err, ((JvmBackend) backend).profile(), seconds * 1e3 * steps, steps, "step", peaks);
            double gflop = (gemmFlops(p.model.trainStep) + gemmFlops(p.model.optimizer.update)) * 1e-9;
            int sentences = p.batch.size();
            System.out.printf("%s,%d,%d,%d,%d,%d,%.1f,%.0f,%.2f,%.1f%n", preset, sentences * len, sentences, len, vocab,
                    p.model.parameterCount(), seconds * 1e3, 2.0 * sentences * len / seconds, gflop, gflop / seconds);
        }

        /** Rounds of ours, then the peer's, then ours...: each side's median over the rounds, and PyTorch's time over ours. */
        private List<TorchPeer.Round> versus(Backend backend, String preset) throws java.io.IOException {
            Prepared p = prepare(backend, preset);
            List<TorchPeer.Round> rounds = new ArrayList<>();
            List<String> args = List.of("--preset", preset, "--tokens", Integer.toString(tokens), "--len", Integer.toString(len),
                    "--vocab", Integer.toString(vocab), "--threads", Integer.toString(backendOptions.threadCount()), "--device", peerOptions.torchDevice);
            try (TorchPeer peer = TorchPeer.start(peerOptions.python, "torch_step.py", args)) {
                // An untimed round each first: our JIT finishes compiling (it would otherwise steal a core from the peer's first round).
                p.secondsPerStep(steps);
                peer.ms("run " + steps);
                for (int r = 1; r <= this.rounds; r++) {
                    double ours = p.secondsPerStep(steps) * 1e3, theirs = peer.ms("run " + steps);
                    rounds.add(new TorchPeer.Round(preset, r, ours, theirs, TorchPeer.loadAverage()));
                    System.out.printf(java.util.Locale.ROOT, "%s round %d: ours %.1f ms/step, PyTorch %.1f ms/step, PyTorch/ours %.2f%n",
                            preset, r, ours, theirs, theirs / ours);
                }
            }
            double ours = TorchPeer.median(rounds.stream().mapToDouble(TorchPeer.Round::oursMs).toArray());
            double theirs = TorchPeer.median(rounds.stream().mapToDouble(TorchPeer.Round::torchMs).toArray());
            System.out.printf(java.util.Locale.ROOT, "%s: median ours %.1f ms/step, PyTorch %.1f ms/step: ours is %.2fx PyTorch's speed%n",
                    preset, ours, theirs, theirs / ours);
            return rounds;
        }
    }

    /** 2*m*n*k summed over the graph's GEMM calls at the current live sizes. */
    static double gemmFlops(StepGraph graph) {
        int[] sizes = graph.sizes().buffer().array();
        return graph.calls().stream().filter(c -> c.kernel() instanceof Kernel.Gemm).mapToDouble(c -> KernelCost.flops(c.kernel(), sizes)).sum();
    }

    @Command(name = "gemm", mixinStandardHelpOptions = true, description = "One GEMM call, best of repeated runs, in GFLOP/s.")
    static final class Gemm implements Callable<Integer> {
        @Mixin BackendOptions backendOptions;

        @Option(names = "--shapes", split = ",", defaultValue = "1x2048x256x1024,1x2048x1024x256,1x2048x512x2048,64x32x64x32",
                description = "Shapes batch x m x n x k (default: ${DEFAULT-VALUE}).")
        List<String> shapes;

        @Option(names = "--transA", description = "Multiply A transposed (A^T*B, as in a weight gradient).")
        boolean transA;

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
                 Backend blas = vsNative ? backendOptions.nativeBlas(backendOptions.threadCount(), "--vs-native") : null) {
                System.out.println("backend: " + backend.name() + " (" + backend.device() + ")");
                if (blas != null) System.out.println("versus: " + blas.device());
                for (String s : shapes) {
                    String[] p = s.toLowerCase().split("x");
                    if (p.length != 4) throw new IllegalArgumentException("--shapes " + s + ": expected batch x m x n x k, e.g. 1x2048x256x1024");
                    int batch, m, n, k;
                    try {
                        batch = Integer.parseInt(p[0]);
                        m = Integer.parseInt(p[1]);
                        n = Integer.parseInt(p[2]);
                        k = Integer.parseInt(p[3]);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--shapes " + s + ": expected four whole numbers, batch x m x n x k");
                    }
                    if (batch < 1 || m < 1 || n < 1 || k < 1) throw new IllegalArgumentException("--shapes " + s + ": every size must be at least 1");
                    String what = "gemm " + s + " (" + (transA ? "A^T" : "A") + "*" + (transB ? "B^T" : "B") + ")";
                    TimedKernel mine = timedGemm(backend, batch, m, n, k, transA, transB);
                    mine.run(warmup);
                    if (blas == null) {
                        System.out.printf("%s: %.1f GFLOP/s%n", what, mine.bestGigaRate(seconds));
                        continue;
                    }
                    TimedKernel theirs = timedGemm(blas, batch, m, n, k, transA, transB);
                    theirs.run(warmup);
                    double g = 0, gBlas = 0;
                    for (int r = 0; r < ROUNDS; r++) {
                        g = Math.max(g, mine.bestGigaRate(seconds / ROUNDS));
                        gBlas = Math.max(gBlas, theirs.bestGigaRate(seconds / ROUNDS));
                    }
                    System.out.printf("%s: %.1f GFLOP/s, OpenBLAS %.1f GFLOP/s, ratio %.2f%n", what, g, gBlas, g / gBlas);
                }
            }
            return 0;
        }
    }

    /** One GEMM on random operands, compiled once on a backend. */
    static TimedKernel timedGemm(Backend backend, int batch, int m, int n, int k, boolean transA, boolean transB) {
        SplittableRandom rnd = new SplittableRandom(1);
        FloatBuf a = random("a", batch * m * k, rnd), b = random("b", batch * k * n, rnd);
        FloatBuf c = FloatBuf.allocate("c", batch * m * n);
        return new TimedKernel(backend, new Kernel.Gemm(Dim.fixed(batch), Dim.fixed(m), Dim.fixed(n), Dim.fixed(k), transA, transB,
                1f, a, b, 0f, c), 2.0 * batch * m * n * k);
    }

    /** One kernel call compiled once on a backend, doing {@code work} (FLOPs, bytes) per call. */
    static final class TimedKernel {
        private final Backend.Executable exe;
        private final double work;

        TimedKernel(Backend backend, Kernel kernel, double work) {
            StepGraph g = new StepGraph("bench");
            g.add("timed", kernel);
            exe = backend.compile(g);
            this.work = work;
        }

        /** Untimed runs, e.g. while the JIT compiles the Vector API code (slow until then). */
        void run(double seconds) {
            for (long end = System.nanoTime() + (long) (seconds * 1e9); System.nanoTime() < end; ) exe.run();
        }

        /** Work per second, in billions, of the fastest of the calls made in about {@code seconds} (at least 3). */
        double bestGigaRate(double seconds) {
            double best = Double.MAX_VALUE;
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            int runs = 0;
            do {
                long t0 = System.nanoTime();
                exe.run();
                best = Math.min(best, (System.nanoTime() - t0) * 1e-9);
                runs++;
            } while (System.nanoTime() < deadline || runs < 3);
            return work / best / 1e9;
        }
    }

    static FloatBuf random(String name, int n, SplittableRandom rnd) {
        FloatBuf x = FloatBuf.allocate(name, n);
        for (int i = 0; i < n; i++) x.set(i, (float) (rnd.nextDouble() * 2 - 1));
        return x;
    }
}
