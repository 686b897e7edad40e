package tt.experiments.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import tt.kernels.jvm.ElementwiseKernels;
import tt.kernels.jvm.GemmKernels;

import java.util.SplittableRandom;

/**
 * A linear layer's forward with the FFN's ReLU, y = max(x W^T + b, 0), over a training step's 4096
 * tokens: the GEMM applying bias and ReLU as it stores (what the JVM backend runs), against the
 * GEMM followed by a bias pass and a ReLU pass (the same floats). Shapes in x out: tiny's first FFN
 * layer (128 x 512) and base's (512 x 2048). Scores are calls per second.
 */
public class LinearBenchmark extends KernelBenchmark {
    private static final int ROWS = 4096;
    @Param({"128x512", "512x2048"})
    public String shape;
    private int in, out;
    private float[] x, w, bias, y;
    private GemmKernels.Epilogue biasAndRelu;

    @Setup public void setup() {
        String[] d = shape.split("x");
        in = Integer.parseInt(d[0]);
        out = Integer.parseInt(d[1]);
        SplittableRandom rnd = new SplittableRandom(1);
        x = random(rnd, ROWS * in);
        w = random(rnd, out * in);
        bias = random(rnd, out);
        y = new float[ROWS * out];
        biasAndRelu = new GemmKernels.Epilogue(bias, 0, true);
    }

    @Benchmark public float[] epilogue() {
        GemmKernels.gemm(par, 1, ROWS, out, in, false, true, 1f, x, 0, w, 0, 0f, y, 0, biasAndRelu);
        return y;
    }

    @Benchmark public float[] passes() {
        GemmKernels.gemm(par, 1, ROWS, out, in, false, true, 1f, x, 0, w, 0, 0f, y, 0);
        ElementwiseKernels.biasAdd(par, ROWS, out, bias, 0, y, 0);
        ElementwiseKernels.relu(par, ROWS * out, y, 0, y, 0);
        return y;
    }
}
