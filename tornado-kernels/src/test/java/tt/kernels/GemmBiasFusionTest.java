package tt.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static tt.kernels.Harness.*;

/**
 * The JVM backend runs a linear layer's product and the bias add right after it (y = x W^T, then
 * y += b) as one GEMM that adds the bias as it stores: the outputs must be the floats of the two
 * calls run apart, bit for bit, with live sizes below the maxima and K past a cache block.
 */
class GemmBiasFusionTest {
    private final Random rnd = new Random(43);

    @Test
    void fusedProductAndBiasEqualTheTwoCallsRunApart() {
        for (int k : new int[] {7, 300}) {
            StepGraph fused = new StepGraph("fused");
            Dim rows = live(fused, "rows", 37);
            Dim in = Dim.fixed(k), out = Dim.fixed(70);
            FloatBuf x = floats("x", rows.max() * k, rnd), w = floats("w", 70 * k, rnd), bias = floats("bias", 70, rnd);
            FloatBuf y = floats("y", rows.max() * 70, rnd), yApart = floats("y_apart", rows.max() * 70, rnd);
            fused.add("y = x W^T", new Kernel.Gemm(Dim.fixed(1), rows, out, in, false, true, 1f, x, w, 0f, y))
                    .add("y += b", new Kernel.BiasAdd(rows, out, bias, y));
            StepGraph apart = new StepGraph("apart", fused.sizes())
                    .add("y = x W^T", new Kernel.Gemm(Dim.fixed(1), rows, out, in, false, true, 1f, x, w, 0f, yApart))
                    .add("between: keeps the two calls apart", new Kernel.Fill(floats("other", 5, rnd), 1f))
                    .add("y += b", new Kernel.BiasAdd(rows, out, bias, yApart));
            run(fused);
            run(apart);
            float[] expected = new float[37 * 70], actual = new float[37 * 70];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = yApart.get(i);
                actual[i] = y.get(i);
            }
            assertArrayEquals(expected, actual, "k = " + k);
        }
    }
}
