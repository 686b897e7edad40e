package tt.kernels;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static tt.kernels.Harness.*;

/**
 * Kernel.overwriting: on a target full of NaNs, the rewritten call leaves exactly what the
 * accumulating call leaves on a zeroed target (the same numbers, at the live sizes); it is refused
 * where it would be wrong (a slice of the target, an input overlapping it, a call that already overwrites).
 */
class OverwritingTest {
    private final Random rnd = new Random(41);

    @Test
    void overwritingEqualsZeroingThenAccumulating() {
        StepGraph g = new StepGraph("overwrite");
        Dim rows = live(g, "rows", 5), batch = live(g, "batch", 2), seq = live(g, "seq", 3);
        int heads = 2, headDim = 4, cols = heads * headDim;
        FloatBuf a = floats("a", rows.max() * 7, rnd), b = floats("b", 7 * cols, rnd);
        FloatBuf x = floats("x", batch.max() * seq.max() * cols, rnd);
        FloatBuf gemmOut = FloatBuf.allocate("gemm_out", rows.max() * cols);
        FloatBuf headsOut = FloatBuf.allocate("heads_out", x.length());
        FloatBuf dropOut = FloatBuf.allocate("drop_out", x.length());
        FloatBuf y = floats("y", x.length(), rnd), dy = floats("dy", x.length(), rnd);
        FloatBuf reluOut = FloatBuf.allocate("relu_out", x.length()), axpyOut = FloatBuf.allocate("axpy_out", x.length());
        FloatBuf gamma = floats("gamma", cols, rnd), mean = floats("mean", rows.max(), rnd), rstd = floats("rstd", rows.max(), rnd);
        FloatBuf normOut = FloatBuf.allocate("norm_out", rows.max() * cols), softmaxOut = FloatBuf.allocate("softmax_out", x.length());
        List<Kernel> accumulating = List.of(
                new Kernel.Gemm(Dim.fixed(1), rows, Dim.fixed(cols), Dim.fixed(7), false, false, 0.5f, a, b, 1f, gemmOut),
                new Kernel.HeadTranspose(batch, seq, heads, headDim, true, true, x, headsOut),
                new Kernel.DropoutBackward(batch, Dim.fixed(seq.max() * cols), 0.3f, 7, Dim.fixed(2), 1, x, dropOut),
                new Kernel.ReluBackward(batch, Dim.fixed(seq.max() * cols), y, dy, reluOut),
                new Kernel.Axpy(batch, Dim.fixed(seq.max() * cols), -0.5f, x, axpyOut),
                new Kernel.LayerNormBackward(rows, Dim.fixed(cols), floats("lnX", rows.max() * cols, rnd), gamma, mean, rstd,
                        floats("lnDy", rows.max() * cols, rnd), normOut,
                        floats("dGamma", cols, rnd), floats("dBeta", cols, rnd)),
                new Kernel.SoftmaxBackward(batch, heads, seq, Dim.fixed(headDim), 0.7f, x, y, softmaxOut));
        int n = 2 * seq.max() * cols;
        int[] live = {5 * cols, 2 * 3 * cols, n, n, n, 5 * cols, 2 * heads * 3 * headDim};
        for (int i = 0; i < accumulating.size(); i++) {
            Kernel k = accumulating.get(i);
            FloatBuf target = k instanceof Kernel.LayerNormBackward ln ? ln.dx() : k.floatBuffers().getLast();
            java.util.Arrays.fill(target.array(), 0f);
            run(new StepGraph("accumulate", g.sizes()).add("k", k));
            float[] expected = java.util.Arrays.copyOf(target.array(), live[i]);
            java.util.Arrays.fill(target.array(), Float.NaN);
            Kernel rewritten = k.overwriting(target);
            assertNotNull(rewritten, k.getClass().getSimpleName());
            assertNull(rewritten.overwriting(target), "an overwriting call has nothing left to rewrite");
            run(new StepGraph("overwrite", g.sizes()).add("k", rewritten));
            // Equal as numbers, delta 0: a dropped negative is -0 when written, +0 when added onto a zero.
            assertArrayEquals(expected, java.util.Arrays.copyOf(target.array(), live[i]), 0f, k.getClass().getSimpleName());
        }
    }

    @Test
    void refusedForASliceOrAnOverlappingInput() {
        FloatBuf arena = FloatBuf.allocate("arena", 64);
        FloatBuf c = arena.view("c", 0, 16), slice = arena.view("slice", 0, 8), overlapping = arena.view("in", 8, 16);
        Dim two = Dim.fixed(2), four = Dim.fixed(4), eight = Dim.fixed(8);
        assertNotNull(new Kernel.Gemm(Dim.fixed(1), four, four, two, false, false, 1f, arena.view("a", 32, 8), arena.view("b", 40, 8), 1f, c).overwriting(c));
        assertNull(new Kernel.Gemm(Dim.fixed(1), four, four, two, false, false, 1f, arena.view("a", 32, 8), arena.view("b", 40, 8), 1f, c).overwriting(slice));
        assertNull(new Kernel.Gemm(Dim.fixed(1), four, four, two, false, false, 1f, overlapping, arena.view("b", 40, 8), 1f, c).overwriting(c));
        assertNull(new Kernel.Gemm(Dim.fixed(1), four, four, two, false, false, 1f, arena.view("a", 32, 8), arena.view("b", 40, 8), 0.5f, c).overwriting(c));
        assertNull(new Kernel.HeadTranspose(two, four, 1, 2, true, true, overlapping, c).overwriting(c));
        assertNull(new Kernel.DropoutBackward(two, eight, 0.1f, 1, Dim.fixed(0), 0, overlapping, c).overwriting(c));
        assertNull(new Kernel.Fill(c, 0f).overwriting(c));
        assertNull(new Kernel.ReluBackward(two, eight, overlapping, arena.view("dy", 40, 16), c).overwriting(c));
        assertNull(new Kernel.Axpy(two, eight, 1f, overlapping, c).overwriting(c));
        assertNull(new Kernel.SoftmaxBackward(two, 1, two, four, 1f, arena.view("p", 32, 16), overlapping, c).overwriting(c));
    }
}
