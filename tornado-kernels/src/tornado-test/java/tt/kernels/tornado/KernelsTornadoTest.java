package tt.kernels.tornado;

import org.junit.jupiter.api.Test;
import tt.kernels.Backend;
import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;
import tt.kernels.Kernel;
import tt.kernels.Kernel.Reduction;
import tt.kernels.StepGraph;
import tt.kernels.jvm.JvmBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel on the TornadoVM backend against the JVM backend: one step graph holding each
 * kernel once (several for GEMM's transposes and the loss variants), over random views at odd
 * offsets of a few roots, run at two sets of live sizes below the maxima (no recompilation in
 * between). Shapes are not multiples of the GEMM blocks (64 x 64, 16 deep) or the work-group sizes
 * (32, 128, 256).
 * Errors are |tornado - jvm| / max(1, |jvm|) elementwise.
 */
class KernelsTornadoTest {
    /** Element-wise kernels: the same float operations in the same order, up to fast-math exp and division. */
    static final float ELEMENTWISE = 1e-5f;
    /** GEMM and reductions: the same products, summed in a different order. */
    static final float REDUCTION = 1e-4f;

    @Test
    void everyKernelMatchesTheJvmBackendAtTwoBatchShapes() {
        Case onJvm = new Case(11), onTornado = new Case(11);
        try (Backend jvm = new JvmBackend(2); TornadoBackend tornado = new TornadoBackend("0:0")) {
            Backend.Executable jvmRun = jvm.compile(onJvm.graph), tornadoRun = tornado.compile(onTornado.graph);
            double[] worst = new double[onJvm.outputs.size()];
            for (int[] shape : new int[][] {{2, 7, 13, 29, 8, 3, 65}, {3, 9, 21, 37, 11, 4, 70}}) {
                onJvm.setSizes(shape);
                onTornado.setSizes(shape);
                jvmRun.run();
                tornadoRun.run();
                tornado.download(onTornado.out);
                for (int o = 0; o < worst.length; o++) {
                    Output expected = onJvm.outputs.get(o), actual = onTornado.outputs.get(o);
                    worst[o] = Math.max(worst[o], maxError(expected.buf, actual.buf));
                    if (expected.exactZeros) assertEquals(zeros(expected.buf), zeros(actual.buf), expected.name + ": dropped elements differ");
                }
            }
            System.out.println("TornadoVM vs JVM, max |error| / max(1, |jvm|), on " + tornado.device() + ":");
            for (int o = 0; o < worst.length; o++) {
                Output out = onJvm.outputs.get(o);
                System.out.printf(Locale.ROOT, "  %-28s %.2e (tolerance %.0e)%n", out.name, worst[o], out.tolerance);
                assertTrue(worst[o] <= out.tolerance, out.name + ": max error " + worst[o] + " > " + out.tolerance);
            }
            if (Integer.getInteger("tornado.tvm.maxbytecodesize", 4096) <= 4096) {
                assertTrue(tornado.taskGraphs(onTornado.graph) > 1, "the graph should exceed one task graph's bytecode");
            }
        }
    }

    private record Output(String name, FloatBuf buf, float tolerance, boolean exactZeros) {}

    /** The test graph over three roots; built twice from one seed, it holds the same numbers. */
    private static final class Case {
        final StepGraph graph = new StepGraph("kernels");
        final Dim batch = graph.live("batch", 3), seq = graph.live("seq", 9), m = graph.live("m", 21),
                rows = graph.live("rows", 40), keys = graph.live("keys", 11), step = graph.live("step", 100),
                tall = graph.live("tall", 70), position = graph.live("position", 10);
        final FloatBuf in = FloatBuf.allocate("in", 100_000), out = FloatBuf.allocate("out", 110_000);
        final IntBuf ints = IntBuf.allocate("ints", 200);
        final List<Output> outputs = new ArrayList<>();
        private final SplittableRandom rnd;
        private int inUsed, outUsed, intsUsed;

        Case(long seed) {
            rnd = new SplittableRandom(seed);
            Dim one = Dim.fixed(1), cols = Dim.fixed(37), vocab = Dim.fixed(300), width = Dim.fixed(13);
            Dim n = Dim.fixed(19), k = Dim.fixed(35);
            int heads = 2, headDim = 5, tableRows = 17;

            add(new Kernel.Fill(output("fill", 50, ELEMENTWISE), 0.25f));
            FloatBuf a = input(3 * 21 * 35), b = input(3 * 35 * 19);
            add(new Kernel.Gemm(batch, m, n, k, false, false, 1f, a, b, 0f, output("gemm", 3 * 21 * 19, REDUCTION)));
            add(new Kernel.Gemm(batch, m, n, k, false, true, 0.5f, a, b, 1f, output("gemm B^T, beta 1", 3 * 21 * 19, REDUCTION)));
            add(new Kernel.Gemm(batch, m, n, k, true, false, 1f, a, b, 1f, output("gemm A^T, beta 1", 3 * 21 * 19, REDUCTION)));
            add(new Kernel.Gemm(one, m, n, k, true, true, -1f, a, b, 0f, output("gemm A^T B^T", 21 * 19, REDUCTION)));
            // Several GEMM blocks (64 x 64) each way.
            Dim wide = Dim.fixed(67), depth = Dim.fixed(20);
            FloatBuf tallA = input(70 * 20), wideB = input(67 * 20);
            add(new Kernel.Gemm(one, tall, wide, depth, false, true, 1f, tallA, wideB, 0f, output("gemm 70x67, B^T", 70 * 67, REDUCTION)));
            add(new Kernel.Gemm(one, tall, wide, depth, true, false, 1f, tallA, wideB, 1f, output("gemm 70x67, A^T", 70 * 67, REDUCTION)));

            add(new Kernel.BiasAdd(rows, cols, input(37), output("bias add", 40 * 37, ELEMENTWISE)));
            add(new Kernel.BiasBackward(rows, cols, input(40 * 37), output("bias backward", 37, REDUCTION)));
            IntBuf ids = ints(40, 0, tableRows);
            add(new Kernel.EmbeddingForward(rows, width, 1.7f, ids, input(tableRows * 13), output("embedding", 40 * 13, ELEMENTWISE)));
            add(new Kernel.EmbeddingBackward(rows, width, 1.7f, ids, input(40 * 13), output("embedding backward", tableRows * 13, ELEMENTWISE)));
            add(new Kernel.PositionalAdd(rows, seq, Dim.fixed(0), width, input(9 * 13), output("positional add", 40 * 13, ELEMENTWISE)));
            add(new Kernel.PositionalAdd(rows, seq, position, width, input(19 * 13), output("positional add from", 40 * 13, ELEMENTWISE)));
            add(new Kernel.Add(rows, cols, input(40 * 37), input(40 * 37), output("add", 40 * 37, ELEMENTWISE)));
            add(new Kernel.Axpy(rows, cols, -0.3f, input(40 * 37), output("axpy", 40 * 37, ELEMENTWISE)));
            add(new Kernel.Axpy(rows, cols, -0.3f, false, input(40 * 37), output("axpy, overwriting", 40 * 37, ELEMENTWISE)));
            add(new Kernel.Relu(rows, cols, input(40 * 37), output("relu", 40 * 37, ELEMENTWISE)));
            add(new Kernel.ReluBackward(rows, cols, input(40 * 37), input(40 * 37), output("relu backward", 40 * 37, ELEMENTWISE)));
            add(new Kernel.ReluBackward(rows, cols, false, input(40 * 37), input(40 * 37),
                    output("relu backward, overwriting", 40 * 37, ELEMENTWISE)));
            add(new Kernel.Dropout(rows, cols, 0.1f, 7, step, 2, input(40 * 37), dropped("dropout")));
            add(new Kernel.DropoutBackward(rows, cols, 0.1f, 7, step, 2, input(40 * 37), dropped("dropout backward")));
            add(new Kernel.HeadTranspose(batch, seq, heads, headDim, true, false, input(270), output("split heads", 270, ELEMENTWISE)));
            add(new Kernel.HeadTranspose(batch, seq, heads, headDim, false, true, input(270), output("merge heads, add", 270, ELEMENTWISE)));

            int scores = 3 * heads * 9 * 11;
            IntBuf keyLengths = ints(3, 1, 12);
            FloatBuf s = input(scores);
            add(new Kernel.Softmax(batch, heads, seq, keys, 0.8f, false, keyLengths, s, output("softmax", scores, REDUCTION)));
            add(new Kernel.Softmax(batch, heads, seq, keys, 0.8f, true, keyLengths, s, output("softmax causal", scores, REDUCTION)));
            add(new Kernel.SoftmaxBackward(batch, heads, seq, keys, 0.8f, input(scores), input(scores),
                    output("softmax backward", scores, REDUCTION)));
            add(new Kernel.SoftmaxBackward(batch, heads, seq, keys, 0.8f, false, input(scores), input(scores),
                    output("softmax backward, overwriting", scores, REDUCTION)));
            // Decoding: batch rows, caches of `keys` positions, `seq` of them visible, writing at `position`.
            int cache = 3 * heads * 11 * headDim;
            add(new Kernel.CacheWrite(batch, heads * headDim, position, keys, input(3 * heads * headDim), output("cache write", cache, ELEMENTWISE)));
            add(new Kernel.CachedAttention(batch, heads, headDim, seq, keys, 0.8f, keyLengths, input(3 * heads * headDim), input(cache),
                    input(cache), tokenCounts(3 * 11), output("cached attention probs", 3 * heads * 11, REDUCTION),
                    output("cached attention context", 3 * heads * headDim, REDUCTION)));
            add(new Kernel.KeySizeBias(batch, heads, seq, keys, 0.8f, tokenCounts(3 * 11), output("key size bias", scores, ELEMENTWISE)));
            // Token reduction: 9 tokens per sentence into 7 slots (-1 drops a token), sizes of merged tokens above 1.
            add(new Kernel.CombineTokens(batch, seq, Dim.fixed(7), 13, ints(3 * 9, -1, 7), tokenCounts(3 * 9), input(3 * 9 * 13),
                    output("combined token sizes", 3 * 7, ELEMENTWISE), output("combined tokens", 3 * 7 * 13, REDUCTION)));
            add(new Kernel.GatherRows(batch, m, cols, ints(3, 0, 2), output("gather rows scratch", 3 * 21, ELEMENTWISE),
                    output("gather rows", 3 * 37, ELEMENTWISE)));
            add(new Kernel.LayerNorm(rows, cols, 1e-5f, input(40 * 37), input(37), input(37),
                    output("layer norm", 40 * 37, REDUCTION), output("layer norm mean", 40, REDUCTION), output("layer norm rstd", 40, REDUCTION)));
            add(new Kernel.LayerNormBackward(rows, cols, input(40 * 37), input(37), input(40), input(40), input(40 * 37),
                    output("layer norm backward dx", 40 * 37, REDUCTION), output("layer norm dgamma", 37, REDUCTION),
                    output("layer norm dbeta", 37, REDUCTION)));
            add(new Kernel.LayerNormBackward(rows, cols, false, input(40 * 37), input(37), input(40), input(40), input(40 * 37),
                    output("layer norm backward dx, overwriting", 40 * 37, REDUCTION), output("layer norm dgamma 2", 37, REDUCTION),
                    output("layer norm dbeta 2", 37, REDUCTION)));
            add(new Kernel.LogSoftmax(rows, vocab, input(40 * 300), output("log softmax", 40 * 300, REDUCTION)));

            IntBuf targets = ints(40, 0, 300);
            FloatBuf logProbs = input(40 * 300);
            for (int r = 0; r < 40; r++) {
                if (r % 5 == 0) targets.set(r, 0);  // pad rows
                if (r % 3 == 0) targets.set(r, argmax(logProbs, r * 300, 300));  // rows predicted right
            }
            add(new Kernel.SmoothedLoss(rows, vocab, batch, 0, 0.1f, true, Reduction.BATCHMEAN, targets, logProbs, output("kl loss rows", 40, REDUCTION),
                    output("kl loss stats", Kernel.SmoothedLoss.STATS, REDUCTION)));
            add(new Kernel.SmoothedLoss(rows, vocab, batch, 0, 0.1f, false, Reduction.MEAN, targets, logProbs, output("cross-entropy rows", 40, REDUCTION),
                    output("cross-entropy stats", Kernel.SmoothedLoss.STATS, REDUCTION)));
            FloatBuf stats = input(Kernel.SmoothedLoss.STATS);
            stats.copyFrom(new float[] {10f, 25f, 3f, 12f, 0.4f});
            add(new Kernel.SmoothedLossBackward(rows, vocab, batch, 0, 0.1f, Reduction.TOKEN, targets, logProbs, stats,
                    output("loss backward, token", 40 * 300, ELEMENTWISE)));
            add(new Kernel.SmoothedLossBackward(rows, vocab, batch, 0, 0.1f, Reduction.BATCHMEAN, targets, logProbs, stats,
                    output("loss backward, batchmean", 40 * 300, ELEMENTWISE)));
            FloatBuf logits = output("fused loss dlogits, in place", 40 * 300, REDUCTION);  // random logits, then their gradient
            add(new Kernel.SmoothedLossAndGradient(rows, vocab, batch, 0, 0.1f, true, Reduction.TOKEN, targets, logits,
                    output("fused loss rows", 40, REDUCTION), output("fused loss stats", Kernel.SmoothedLoss.STATS, REDUCTION), logits));

            add(new Kernel.GlobalNorm(input(20_000), output("global norm", 1, REDUCTION)));
            FloatBuf v = output("adam v", 1000, ELEMENTWISE);
            for (int i = 0; i < v.length(); i++) v.set(i, Math.abs(v.get(i)));
            FloatBuf hyper = input(4), norm = input(1);
            hyper.copyFrom(new float[] {1e-2f, 0.1f, 0.02f, 0.5f});
            norm.set(0, 3f);
            add(new Kernel.Adam(output("adam params", 1000, ELEMENTWISE), input(1000), output("adam m", 1000, ELEMENTWISE), v,
                    hyper, norm, 0.9f, 0.98f, 1e-9f, 0.01f, 1f));
        }

        void setSizes(int[] s) {
            graph.set(batch, s[0]);
            graph.set(seq, s[1]);
            graph.set(m, s[2]);
            graph.set(rows, s[3]);
            graph.set(keys, s[4]);
            graph.set(step, s[5]);
            graph.set(tall, s[6]);
            graph.set(position, s[1] - 2);
        }

        private void add(Kernel kernel) { graph.add(kernel.getClass().getSimpleName(), kernel); }

        /** A random view of the input root, three elements after the previous one. */
        private FloatBuf input(int n) {
            FloatBuf view = in.view("in" + inUsed, inUsed + 3, n);
            inUsed += n + 3;
            for (int i = 0; i < n; i++) view.set(i, (float) rnd.nextDouble(-1, 1));
            return view;
        }

        /** A view of the input root holding how many tokens each key stands for: whole numbers 1 to 4. */
        private FloatBuf tokenCounts(int n) {
            FloatBuf view = input(n);
            for (int i = 0; i < n; i++) view.set(i, 1 + rnd.nextInt(4));
            return view;
        }

        /** A random view of the output root (backward kernels add into it), compared after each run. */
        private FloatBuf output(String name, int n, float tolerance) { return output(name, n, tolerance, false); }

        private FloatBuf dropped(String name) { return output(name, 40 * 37, ELEMENTWISE, true); }

        private FloatBuf output(String name, int n, float tolerance, boolean exactZeros) {
            FloatBuf view = out.view(name, outUsed + 5, n);
            outUsed += n + 5;
            for (int i = 0; i < n; i++) view.set(i, (float) rnd.nextDouble(-1, 1));
            outputs.add(new Output(name, view, tolerance, exactZeros));
            return view;
        }

        private IntBuf ints(int n, int from, int to) {
            IntBuf view = ints.view("ints" + intsUsed, intsUsed + 1, n);
            intsUsed += n + 1;
            for (int i = 0; i < n; i++) view.set(i, rnd.nextInt(from, to));
            return view;
        }
    }

    static double maxError(FloatBuf expected, FloatBuf actual) {
        double worst = 0;
        for (int i = 0; i < expected.length(); i++) {
            double e = expected.get(i), a = actual.get(i);
            worst = Math.max(worst, Double.isNaN(a) != Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.abs(a - e) / Math.max(1, Math.abs(e)));
        }
        return worst;
    }

    private static int argmax(FloatBuf b, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (b.get(from + i) > b.get(from + best)) best = i;
        return best;
    }

    private static List<Integer> zeros(FloatBuf b) {
        List<Integer> z = new ArrayList<>();
        for (int i = 0; i < b.length(); i++) if (b.get(i) == 0f) z.add(i);
        return z;
    }
}
