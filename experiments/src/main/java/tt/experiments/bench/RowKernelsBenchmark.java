package tt.experiments.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import tt.kernels.Kernel;
import tt.kernels.jvm.LossKernels;
import tt.kernels.jvm.NormKernels;
import tt.kernels.jvm.Parallel;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The row kernels built on the vector exp and max, at a training step's shapes (4096 target
 * tokens of 128 sentences x 32): the label-smoothed loss fused with its log-softmax and gradient
 * over a vocabulary of 8000, and the attention softmax over 32 keys (4 heads), causal as in the
 * decoder's self-attention or not, with sentences of 20 to 32 tokens. Scores are calls per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class RowKernelsBenchmark {
    @Param({"1", "2"})
    public int threads;

    private static final int SENTENCES = 128, LEN = 32, ROWS = SENTENCES * LEN, VOCAB = 8000, HEADS = 4;
    private float[] logits, dLogits, rowLoss, stats, scores, probs;
    private int[] targets, keyLengths;
    private Parallel par;

    @Setup public void setup() {
        SplittableRandom rnd = new SplittableRandom(1);
        logits = random(rnd, ROWS * VOCAB, 4);
        dLogits = new float[ROWS * VOCAB];
        rowLoss = new float[ROWS];
        stats = new float[8];
        targets = rnd.ints(ROWS, 4, VOCAB).toArray();
        scores = random(rnd, SENTENCES * HEADS * LEN * LEN, 8);
        probs = new float[scores.length];
        keyLengths = rnd.ints(SENTENCES, 20, LEN + 1).toArray();
        par = new Parallel(threads);
    }

    @TearDown public void close() { par.close(); }

    @Benchmark public float[] smoothedLossAndGradient() {
        LossKernels.smoothedLossAndGradient(par, ROWS, VOCAB, SENTENCES, 0, 0.1f, true, Kernel.Reduction.BATCHMEAN, targets, 0,
                logits, 0, rowLoss, 0, stats, 0, dLogits, 0);
        return dLogits;
    }

    @Benchmark public float[] attentionSoftmax() {
        NormKernels.softmax(par, SENTENCES, HEADS, LEN, LEN, 0.17f, false, keyLengths, 0, scores, 0, probs, 0);
        return probs;
    }

    @Benchmark public float[] causalAttentionSoftmax() {
        NormKernels.softmax(par, SENTENCES, HEADS, LEN, LEN, 0.17f, true, keyLengths, 0, scores, 0, probs, 0);
        return probs;
    }

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }
}
