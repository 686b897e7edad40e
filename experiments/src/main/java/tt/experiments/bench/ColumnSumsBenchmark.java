package tt.experiments.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import tt.kernels.jvm.ElementwiseKernels;

import java.util.SplittableRandom;

/**
 * The bias gradient, dBias += column sums of dy, over a training step's 4096 tokens at the
 * presets' widths (tiny's d_model 128, base's 512 and its FFN's 2048). Scores are calls per second.
 */
public class ColumnSumsBenchmark extends KernelBenchmark {
    private static final int ROWS = 4096;
    @Param({"128", "512", "2048"})
    public int cols;
    private float[] dy, dBias;

    @Setup public void setup() {
        dy = random(new SplittableRandom(1), ROWS * cols);
        dBias = new float[cols];
    }

    @Benchmark public float[] biasBackward() {
        ElementwiseKernels.biasBackward(par, ROWS, cols, dy, 0, dBias, 0);
        return dBias;
    }
}
