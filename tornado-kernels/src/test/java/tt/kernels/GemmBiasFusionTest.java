package tt.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static tt.kernels.Harness.*;

/**
 * The JVM backend runs a linear layer's product, the bias add right after it and a ReLU in place
 * after that (y = x W^T; y += b; y = max(y, 0)) as one GEMM that applies them as it stores: the
 * outputs must be the floats of the calls run apart, bit for bit, with live sizes below the
 * maxima and K past a cache block.
 */
class GemmBiasFusionTest {
    private final Random rnd = new Random(43);

    @Test
    void fusedProductBiasAndReluEqualTheCallsRunApart() {
        for (int k : new int[] {7, 300}) {
            for (boolean relu : new boolean[] {false, true}) {
                StepGraph fused = new StepGraph("fused");
                Dim rows = live(fused, "rows", 37);
                Dim in = Dim.fixed(k), out = Dim.fixed(70);
                FloatBuf x = floats("x", rows.max() * k, rnd), w = floats("w", 70 * k, rnd), bias = floats("bias", 70, rnd);
                FloatBuf y = floats("y", rows.max() * 70, rnd), yApart = floats("y_apart", rows.max() * 70, rnd);
                linear(fused, rows, out, in, x, w, bias, y, relu, false);
                StepGraph apart = new StepGraph("apart", fused.sizes());
                linear(apart, rows, out, in, x, w, bias, yApart, relu, true);
                run(fused);
                run(apart);
                float[] expected = new float[37 * 70], actual = new float[37 * 70];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = yApart.get(i);
                    actual[i] = y.get(i);
                }
                assertArrayEquals(expected, actual, "k = " + k + ", relu = " + relu);
            }
        }
    }

    /** A linear layer's forward calls, as the model adds them; {@code apart}: with unrelated calls between, which keep them from fusing. */
    private void linear(StepGraph g, Dim rows, Dim out, Dim in, FloatBuf x, FloatBuf w, FloatBuf bias, FloatBuf y,
                        boolean relu, boolean apart) {
        g.add("y = x W^T", new Kernel.Gemm(Dim.fixed(1), rows, out, in, false, true, 1f, x, w, 0f, y));
        if (apart) g.add("between", new Kernel.Fill(floats("other", 5, rnd), 1f));
        g.add("y += b", new Kernel.BiasAdd(rows, out, bias, y));
        if (apart) g.add("between", new Kernel.Fill(floats("other", 5, rnd), 1f));
        if (relu) g.add("relu, in place", new Kernel.Relu(rows, out, y, y.view("relu", 0, y.length())));
    }
}
