package tt.kernels;

import org.junit.jupiter.api.Test;
import tt.kernels.Kernel.Reduction;
import tt.kernels.jvm.JvmBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tt.kernels.Harness.*;

/** Run-to-run and thread-count determinism of every kernel, and the errors bad graphs raise. */
class StepGraphTest {

    /**
     * One graph calling every kernel but Gemm (tested on its own) on random buffers drawn from
     * {@code seed}, at live sizes below the maxima and large enough that two and three threads
     * split every kernel.
     */
    private static final class EveryKernel {
        final StepGraph graph = new StepGraph("every kernel");
        final List<FloatBuf> bufs = new ArrayList<>();
        private final Random rnd;

        EveryKernel(long seed) {
            rnd = new Random(seed);
            int vocab = 130, batch = 4, seq = 75, heads = 2, headDim = 65, queries = 64, keys = 50;
            Dim rows = live(graph, "rows", batch * seq), cols = live(graph, "cols", heads * headDim);
            Dim nb = live(graph, "batch", batch), ns = live(graph, "seq", seq), step = live(graph, "step", 12);
            Dim nq = live(graph, "queries", queries), nk = live(graph, "keys", keys);
            int n = rows.max() * cols.max(), scores = nb.max() * heads * nq.max() * nk.max();
            IntBuf ids = ints("ids", rnd.ints(rows.max(), 0, vocab).toArray());
            IntBuf lengths = ints("keyLengths", rnd.ints(nb.max(), 1, keys + 1).toArray());
            FloatBuf x = f("x", n), y = f("y", n), dy = f("dy", n), dx = f("dx", n), bias = f("bias", cols.max());
            FloatBuf table = f("table", vocab * cols.max()), dTable = f("dTable", vocab * cols.max());
            FloatBuf s = f("scores", scores), p = f("probs", scores), dp = f("dProbs", scores), ds = f("dScores", scores);
            FloatBuf gamma = f("gamma", cols.max()), beta = f("beta", cols.max()), mean = f("mean", rows.max()), rstd = f("rstd", rows.max());
            FloatBuf lp = f("logProbs", n), rowLoss = f("rowLoss", rows.max()), stats = f("stats", Kernel.SmoothedLoss.STATS), norm = f("norm", 1);
            FloatBuf params = f("params", n), m = f("m", n), v = f("v", n);
            for (int i = 0; i < n; i++) v.set(i, Math.abs(v.get(i)));
            FloatBuf hyper = FloatBuf.of("hyper", 1e-3f, 0.1f, 0.02f, 1f);
            graph.add("fill", new Kernel.Fill(f("zeros", n), 0f))
                    .add("bias", new Kernel.BiasAdd(rows, cols, bias, f("xb", n)))
                    .add("bias backward", new Kernel.BiasBackward(rows, cols, dy, f("dBias", cols.max())))
                    .add("embed", new Kernel.EmbeddingForward(rows, cols, 2f, ids, table, f("emb", n)))
                    .add("embed backward", new Kernel.EmbeddingBackward(rows, cols, 2f, ids, dy, dTable))
                    .add("positions", new Kernel.PositionalAdd(rows, ns, Dim.fixed(0), cols, f("pe", ns.max() * cols.max()), f("xp", n)))
                    .add("add", new Kernel.Add(rows, cols, x, dy, f("sum", n)))
                    .add("axpy", new Kernel.Axpy(rows, cols, 0.3f, x, f("acc", n)))
                    .add("relu", new Kernel.Relu(rows, cols, x, y))
                    .add("relu backward", new Kernel.ReluBackward(rows, cols, y, dy, dx))
                    .add("dropout", new Kernel.Dropout(rows, cols, 0.1f, 7, step, 2, x, f("dropped", n)))
                    .add("dropout backward", new Kernel.DropoutBackward(rows, cols, 0.1f, 7, step, 2, dy, f("dDropped", n)))
                    .add("to heads", new Kernel.HeadTranspose(nb, ns, heads, headDim, true, false, x, f("heads", n)))
                    .add("from heads", new Kernel.HeadTranspose(nb, ns, heads, headDim, false, true, dy, f("tokens", n)))
                    .add("softmax", new Kernel.Softmax(nb, heads, nq, nk, 0.125f, true, lengths, s, p))
                    .add("softmax backward", new Kernel.SoftmaxBackward(nb, heads, nq, nk, 0.125f, p, dp, ds))
                    .add("norm", new Kernel.LayerNorm(rows, cols, 1e-5f, x, gamma, beta, f("normed", n), mean, rstd))
                    .add("norm backward", new Kernel.LayerNormBackward(rows, cols, x, gamma, mean, rstd, dy, f("dxNorm", n),
                            f("dGamma", cols.max()), f("dBeta", cols.max())))
                    .add("log probs", new Kernel.LogSoftmax(rows, cols, x, lp))
                    .add("loss", new Kernel.SmoothedLoss(rows, cols, nb, 0, 0.1f, true, Reduction.TOKEN, ids, lp, rowLoss, stats))
                    .add("loss backward", new Kernel.SmoothedLossBackward(rows, cols, nb, 0, 0.1f, Reduction.TOKEN, ids, lp, stats, f("dLogits", n)))
                    .add("grad norm", new Kernel.GlobalNorm(dx, norm))
                    .add("adam", new Kernel.Adam(params, dx, m, v, hyper, norm, 0.9f, 0.98f, 1e-9f, 0.01f, 1f));
        }

        private FloatBuf f(String name, int n) {
            FloatBuf b = floats(name, n, rnd);
            bufs.add(b);
            return b;
        }

        float[][] state() { return bufs.stream().map(Harness::snapshot).toArray(float[][]::new); }

        void restore(float[][] state) {
            for (int i = 0; i < bufs.size(); i++) bufs.get(i).root().copyFrom(state[i]);
        }
    }

    private static void assertSameState(String what, float[][] expected, EveryKernel actual) {
        float[][] now = actual.state();
        for (int i = 0; i < expected.length; i++) assertArrayEquals(expected[i], now[i], what + ": buffer " + actual.bufs.get(i).name());
    }

    @Test
    void everyKernelGivesBitIdenticalResultsOnOneTwoAndThreeThreads() {
        EveryKernel single = new EveryKernel(77);
        run(single.graph, 1);
        float[][] expected = single.state();
        for (int i = 0; i < expected.length; i++) {
            for (float v : expected[i]) assertTrue(Float.isFinite(v), "non-finite value in " + single.bufs.get(i).name());
        }
        for (int threads : new int[] {2, 3}) {
            EveryKernel many = new EveryKernel(77);
            run(many.graph, threads);
            assertSameState(threads + " threads vs 1", expected, many);
        }
    }

    @Test
    void aCompiledGraphRunTwiceFromTheSameStateGivesIdenticalResults() {
        EveryKernel every = new EveryKernel(78);
        float[][] initial = every.state();
        try (JvmBackend backend = new JvmBackend(2)) {
            Backend.Executable step = backend.compile(every.graph);
            step.run();
            float[][] first = every.state();
            every.restore(initial);
            step.run();
            assertSameState("second run", first, every);
        }
    }

    // ---- errors name what is wrong ----

    private static void assertMessage(Throwable e, String... parts) {
        for (String part : parts) assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
    }

    @Test
    void wrongBufferLengthFailsWhenAddedNamingTheCallAndTheBuffer() {
        FloatBuf a = FloatBuf.allocate("a", 6), shortB = FloatBuf.allocate("encoder.residual", 5);
        StepGraph g = new StepGraph("forward");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.add("layer 0 residual", new Kernel.Add(Dim.fixed(2), Dim.fixed(3), a, shortB, a)));
        assertMessage(e, "forward", "'layer 0 residual'", "Add", "'encoder.residual'", "5 elements", "rows*cols = 6");
        assertTrue(g.calls().isEmpty(), "a rejected call is not added");
    }

    @Test
    void bufferTooSmallForLiveSizesFailsAtRunNamingTheCallAndTheBuffer() {
        StepGraph g = new StepGraph("forward");
        Dim rows = g.live("rows", 10), cols = Dim.fixed(4);
        FloatBuf x = FloatBuf.allocate("x", 40), y = FloatBuf.allocate("relu.out", 20);
        g.add("ffn relu", new Kernel.Relu(rows, cols, x, y));
        g.set(rows, 5);
        run(g);
        g.set(rows, 6);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> run(g)), "'ffn relu'", "'relu.out'", "24");
    }

    @Test
    void liveSizeOutsideItsRangeNamesTheDim() {
        StepGraph g = new StepGraph("train");
        Dim batch = g.live("batch", 8);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.set(batch, 9)), "train", "'batch' = 9", "[0, 8]");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.set(batch, -1)), "'batch' = -1");
        Dim foreign = new StepGraph("other").live("tokens", 8);
        assertThrows(IllegalArgumentException.class, () -> new StepGraph("train").set(foreign, 1));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.set(Dim.fixed(3), 1)), "not one of these live dimensions");
    }

    @Test
    void viewNotFittingItsBufferNamesBoth() {
        FloatBuf weights = FloatBuf.allocate("weights", 10);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> weights.view("layer1.w", 8, 3)), "'layer1.w'", "[8, +3)", "'weights'", "10");
        assertThrows(IllegalArgumentException.class, () -> weights.view("before", -1, 2));
        FloatBuf inner = weights.view("inner", 2, 5);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> inner.view("deep", 4, 2)), "'deep'", "'inner'");
        IntBuf ids = IntBuf.allocate("ids", 4);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> ids.view("tail", 3, 2)), "'tail'", "'ids'");
    }

    @Test
    void otherBadCallsNameTheCall() {
        StepGraph g = new StepGraph("step");
        FloatBuf x = FloatBuf.allocate("x", 4);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.add("dropout", new Kernel.Dropout(
                Dim.fixed(1), Dim.fixed(4), 1f, 0, Dim.fixed(0), 0, x, x))), "'dropout'", "probability 1.0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.add("add", new Kernel.Add(
                Dim.fixed(1), Dim.fixed(4), x, null, x))), "'add'", "missing");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> g.add("nothing", null)), "'nothing'", "no kernel");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new JvmBackend(0)), "--threads", "0");
    }
}
