package tt.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tt.kernels.Harness.*;

/**
 * Element-wise and gather/scatter kernels against float64 references, through StepGraph and the
 * JVM backend, at live sizes below the maxima and at nonzero view offsets. Tolerances: a kernel
 * that rounds once per element must be within 1e-7 relative (float32 rounds to 6e-8); sums are
 * checked relative to their largest magnitude.
 */
class ElementwiseKernelsTest {
    private final Random rnd = new Random(11);

    @Test
    void fillWritesTheWholeViewAndNothingElse() {
        FloatBuf x = floats("x", 37, rnd);
        float[] before = snapshot(x);
        run(new StepGraph("fill").add("x = 0.25", new Kernel.Fill(x, 0.25f)));
        double[] expected = new double[37];
        Arrays.fill(expected, 0.25);
        assertOutput("fill", before, expected, x, 0, 0);
    }

    // ---- bias ----

    static double[] biasAdd(int rows, int cols, double[] x, double[] bias) {
        double[] y = x.clone();
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) y[r * cols + c] += bias[c];
        return y;
    }

    static double[] columnSums(int rows, int cols, double[] dy) {
        double[] s = new double[cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) s[c] += dy[r * cols + c];
        return s;
    }

    @Test
    void biasAddAndBackward() {
        double[] x0 = nonzero(rnd, 12), dy0 = nonzero(rnd, 12);
        assertGradient("bias", b -> biasAdd(3, 4, x0, b), nonzero(rnd, 4), dy0, columnSums(3, 4, dy0));
        for (int[] shape : SHAPES) {
            Grid grid = Grid.of("bias", shape);
            int rows = grid.r(), cols = grid.c(), n = grid.n();
            FloatBuf bias = floats("bias", grid.cols().max(), rnd), x = floats("x", grid.maxN(), rnd);
            FloatBuf dy = floats("dy", grid.maxN(), rnd), dBias = floats("dBias", grid.cols().max(), rnd);
            double[] y = biasAdd(rows, cols, doubles(x, n), doubles(bias, cols));
            double[] dBiasAfter = plus(doubles(dBias, cols), columnSums(rows, cols, doubles(dy, n)));
            float[] xBefore = snapshot(x), dBiasBefore = snapshot(dBias);
            grid.graph().add("x += bias", new Kernel.BiasAdd(grid.rows(), grid.cols(), bias, x))
                    .add("dBias += sum dy", new Kernel.BiasBackward(grid.rows(), grid.cols(), dy, dBias));
            run(grid.graph());
            assertOutput("x + bias " + grid.at(), xBefore, y, x, 1e-7, 0);
            assertOutput("dBias " + grid.at(), dBiasBefore, dBiasAfter, dBias, 1e-6);
        }
    }

    // ---- embedding ----

    static double[] embed(int tokens, int dim, double scale, int[] ids, double[] table) {
        double[] out = new double[tokens * dim];
        for (int t = 0; t < tokens; t++) for (int c = 0; c < dim; c++) out[t * dim + c] = scale * table[ids[t] * dim + c];
        return out;
    }

    static double[] embedBackward(int tokens, int dim, double scale, int[] ids, double[] dOut, int vocab) {
        double[] dTable = new double[vocab * dim];
        for (int t = 0; t < tokens; t++) for (int c = 0; c < dim; c++) dTable[ids[t] * dim + c] += scale * dOut[t * dim + c];
        return dTable;
    }

    @Test
    void embeddingForwardAndBackwardWithRepeatedIds() {
        int vocab = 6;
        int[] smallIds = {2, 5, 2, 0, 2};
        double[] dy0 = nonzero(rnd, 5 * 3);
        assertGradient("embedding table", table -> embed(5, 3, 1.7, smallIds, table), nonzero(rnd, vocab * 3), dy0,
                embedBackward(5, 3, 1.7, smallIds, dy0, vocab));
        for (int[] shape : SHAPES) {
            Grid grid = Grid.of("embedding", shape);
            int tokens = grid.r(), dim = grid.c();
            int[] ids = rnd.ints(grid.rows().max(), 0, vocab).toArray();
            ids[tokens - 1] = ids[0];
            float scale = (float) Math.sqrt(dim);
            IntBuf idBuf = ints("ids", ids);
            FloatBuf table = floats("table", vocab * grid.cols().max(), rnd), out = floats("out", grid.maxN(), rnd);
            FloatBuf dOut = floats("dOut", grid.maxN(), rnd), dTable = floats("dTable", vocab * grid.cols().max(), rnd);
            double[] expected = embed(tokens, dim, scale, ids, doubles(table, vocab * dim));
            double[] dTableAfter = plus(doubles(dTable, vocab * dim), embedBackward(tokens, dim, scale, ids, doubles(dOut, grid.n()), vocab));
            float[] outBefore = snapshot(out), dTableBefore = snapshot(dTable);
            grid.graph().add("embed", new Kernel.EmbeddingForward(grid.rows(), grid.cols(), scale, idBuf, table, out))
                    .add("embed backward", new Kernel.EmbeddingBackward(grid.rows(), grid.cols(), scale, idBuf, dOut, dTable));
            run(grid.graph());
            assertOutput("embedding " + grid.at(), outBefore, expected, out, 1e-7, 0);
            assertOutput("dTable " + grid.at(), dTableBefore, dTableAfter, dTable, 1e-6);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void embeddingIdOutsideTheTableFailsNamingIt(int threads) {
        for (int bad : new int[] {6, -1}) {
            Dim tokens = Dim.fixed(4), dim = Dim.fixed(3);
            IntBuf ids = ints("ids", 1, 0, bad, 5);
            FloatBuf table = floats("table", 6 * 3, rnd), rows = floats("rows", 12, rnd);
            for (Kernel k : new Kernel[] {
                    new Kernel.EmbeddingForward(tokens, dim, 1f, ids, table, rows),
                    new Kernel.EmbeddingBackward(tokens, dim, 1f, ids, rows, table)}) {
                float[] tableBefore = snapshot(table);
                StepGraph g = new StepGraph("lookup").add("source embedding", k);
                RuntimeException e = assertThrows(RuntimeException.class, () -> run(g, threads));
                assertTrue(e.getMessage().contains("token id " + bad + " at position 2")
                        && e.getMessage().contains("'source embedding'"), e.getMessage());
                assertTrue(Arrays.equals(tableBefore, snapshot(table)), "a failed lookup must not scatter into the table");
            }
        }
    }

    // ---- positions, residuals, ReLU ----

    @Test
    void positionalAddRestartsEverySequenceFromItsFirstPosition() {
        for (int[] shape : SHAPES) {
            for (int from : new int[] {0, 2}) {  // whole sequences, and one position at a time (decoding)
                Grid grid = Grid.of("positions from " + from, shape);
                int rows = grid.r(), dim = grid.c(), seqLen = Math.min(rows, 3);
                Dim seq = live(grid.graph(), "seq", seqLen), first = live(grid.graph(), "first", from);
                FloatBuf table = floats("table", (first.max() + seq.max()) * grid.cols().max(), rnd), x = floats("x", grid.maxN(), rnd);
                double[] t = doubles(table), expected = doubles(x, grid.n());
                for (int r = 0; r < rows; r++) for (int c = 0; c < dim; c++) expected[r * dim + c] += t[(from + r % seqLen) * dim + c];
                float[] before = snapshot(x);
                run(grid.graph().add("x += pe", new Kernel.PositionalAdd(grid.rows(), seq, first, grid.cols(), table, x)));
                assertOutput("positional add " + grid.at(), before, expected, x, 1e-7, 0);
            }
        }
    }

    @Test
    void addIntoANewBufferAndInPlace() {
        for (int[] shape : SHAPES) {
            Grid grid = Grid.of("add", shape);
            FloatBuf a = floats("a", grid.maxN(), rnd), b = floats("b", grid.maxN(), rnd), out = floats("out", grid.maxN(), rnd);
            double[] sum = plus(doubles(a, grid.n()), doubles(b, grid.n()));
            float[] outBefore = snapshot(out), aBefore = snapshot(a);
            grid.graph().add("out = a + b", new Kernel.Add(grid.rows(), grid.cols(), a, b, out))
                    .add("a = a + b", new Kernel.Add(grid.rows(), grid.cols(), a, b, a));
            run(grid.graph());
            assertOutput("a + b " + grid.at(), outBefore, sum, out, 1e-7, 0);
            assertOutput("a += b " + grid.at(), aBefore, sum, a, 1e-7, 0);
        }
    }

    @Test
    void axpyAddsAScaledCopy() {
        float alpha = -0.7f;
        for (int[] shape : SHAPES) {
            Grid grid = Grid.of("axpy", shape);
            FloatBuf x = floats("x", grid.maxN(), rnd), y = floats("y", grid.maxN(), rnd);
            double[] expected = doubles(y, grid.n()), xs = doubles(x, grid.n());
            for (int i = 0; i < expected.length; i++) expected[i] += alpha * xs[i];
            float[] before = snapshot(y);
            run(grid.graph().add("y += alpha x", new Kernel.Axpy(grid.rows(), grid.cols(), alpha, x, y)));
            // two roundings (product, sum) of terms below 2 in magnitude
            assertOutput("axpy " + grid.at(), before, expected, y, 1e-7, 2.5e-7);
        }
    }

    static double[] relu(double[] x) { return Arrays.stream(x).map(v -> Math.max(v, 0)).toArray(); }

    static double[] reluBackward(double[] x, double[] dy) {
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
        return dx;
    }

    @Test
    void reluAndBackward() {
        double[] x0 = nonzero(rnd, 10), dy0 = nonzero(rnd, 10);
        assertGradient("relu", ElementwiseKernelsTest::relu, x0, dy0, reluBackward(x0, dy0));
        for (int[] shape : SHAPES) {
            Grid grid = Grid.of("relu", shape);
            FloatBuf x = floats("x", grid.maxN(), rnd), y = floats("y", grid.maxN(), rnd);
            FloatBuf dy = floats("dy", grid.maxN(), rnd), dx = floats("dx", grid.maxN(), rnd);
            double[] xs = doubles(x, grid.n());
            double[] dxAfter = plus(doubles(dx, grid.n()), reluBackward(xs, doubles(dy, grid.n())));
            float[] yBefore = snapshot(y), dxBefore = snapshot(dx);
            grid.graph().add("relu", new Kernel.Relu(grid.rows(), grid.cols(), x, y))
                    .add("relu backward", new Kernel.ReluBackward(grid.rows(), grid.cols(), y, dy, dx));
            run(grid.graph());
            assertOutput("relu " + grid.at(), yBefore, relu(xs), y, 0, 0);
            assertOutput("relu dx " + grid.at(), dxBefore, dxAfter, dx, 1e-7, 0);
        }
    }

    // ---- heads ----

    /** Token layout [batch, seq, heads*headDim] to head layout [batch, heads, seq, headDim], or back. */
    static double[] transposeHeads(int batch, int seq, int heads, int headDim, boolean toHeads, double[] in) {
        double[] out = new double[in.length];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seq; t++)
                for (int h = 0; h < heads; h++)
                    for (int d = 0; d < headDim; d++) {
                        int token = ((b * seq + t) * heads + h) * headDim + d, head = ((b * heads + h) * seq + t) * headDim + d;
                        if (toHeads) out[head] = in[token];
                        else out[token] = in[head];
                    }
        return out;
    }

    @Test
    void headTransposeBothDirectionsOverwritingAndAccumulating() {
        double[] x0 = nonzero(rnd, 2 * 3 * 2 * 2), dy0 = nonzero(rnd, x0.length);
        assertGradient("to heads", x -> transposeHeads(2, 3, 2, 2, true, x), x0, dy0, transposeHeads(2, 3, 2, 2, false, dy0));
        int[][] shapes = {{1, 1, 1, 1}, {2, 7, 3, 5}, {3, 5, 4, 16}, {1, 33, 2, 4}}; // batch, seq, heads, headDim
        for (int[] s : shapes) {
            for (boolean toHeads : new boolean[] {true, false}) {
                for (boolean accumulate : new boolean[] {false, true}) {
                    StepGraph g = new StepGraph("heads");
                    Dim batch = live(g, "batch", s[0]), seq = live(g, "seq", s[1]);
                    int heads = s[2], headDim = s[3], n = s[0] * s[1] * heads * headDim, max = batch.max() * seq.max() * heads * headDim;
                    FloatBuf in = floats("in", max, rnd), out = floats("out", max, rnd);
                    double[] expected = transposeHeads(s[0], s[1], heads, headDim, toHeads, doubles(in, n));
                    if (accumulate) expected = plus(expected, doubles(out, n));
                    float[] before = snapshot(out);
                    run(g.add("split heads", new Kernel.HeadTranspose(batch, seq, heads, headDim, toHeads, accumulate, in, out)));
                    // a move is exact; accumulating two floats in ±1 rounds once
                    assertOutput("heads " + Arrays.toString(s) + " toHeads=" + toHeads + " accumulate=" + accumulate,
                            before, expected, out, accumulate ? 1e-7 : 0, 0);
                }
            }
        }
    }

    // ---- decoding: caches of keys and values, beams reordered ----

    @Test
    void cacheWriteStoresEachRowAtThePositionAndNothingElse() {
        int[][] shapes = {{1, 1, 1}, {3, 10, 7}, {4, 64, 30}};  // rows, width, capacity
        for (int[] s : shapes) {
            for (int position : new int[] {0, s[2] / 2, s[2] - 1}) {
                int rows = s[0], width = s[1], capacity = s[2];
                StepGraph g = new StepGraph("cache write");
                Dim rowsDim = live(g, "rows", rows), positionDim = live(g, "position", position), capacityDim = live(g, "capacity", capacity);
                FloatBuf x = floats("x", rows * width, rnd), cache = floats("cache", rows * capacity * width, rnd);
                double[] expected = doubles(cache), xs = doubles(x);
                for (int r = 0; r < rows; r++) System.arraycopy(xs, r * width, expected, (r * capacity + position) * width, width);
                float[] before = snapshot(cache);
                run(g.add("cache", new Kernel.CacheWrite(rowsDim, width, positionDim, capacityDim, x, cache)));
                assertOutput("cache write " + Arrays.toString(s) + " at " + position, before, expected, cache, 0, 0);
            }
        }
    }

    @Test
    void gatherRowsTakesAnyIndexRepeatsAndPermutationsIncludedAndLeavesTheRowsTailsAlone() {
        int[][] indices = {{0}, {2, 0, 1}, {1, 1, 1, 0}, {3, 3, 0, 0, 2}};
        int stride = 11;
        for (int length : new int[] {stride, 4, 0}) {
            for (int[] index : indices) {
                int rows = index.length;
                StepGraph g = new StepGraph("gather");
                Dim rowsDim = live(g, "rows", rows), lengthDim = live(g, "length", length), strideDim = live(g, "stride", stride);
                FloatBuf data = floats("data", rows * stride, rnd), scratch = floats("scratch", rows * stride, rnd);
                double[] expected = doubles(data), before = doubles(data);
                for (int r = 0; r < rows; r++) System.arraycopy(before, index[r] * stride, expected, r * stride, length);
                float[] dataBefore = snapshot(data);
                run(g.add("gather", new Kernel.GatherRows(rowsDim, lengthDim, strideDim, ints("index", index), scratch, data)));
                assertOutput("gather rows " + Arrays.toString(index) + " length " + length, dataBefore, expected, data, 0, 0);
            }
        }
    }
}
