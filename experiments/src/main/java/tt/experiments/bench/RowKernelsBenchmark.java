package tt.experiments.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import tt.kernels.Kernel;
import tt.kernels.jvm.LossKernels;
import tt.kernels.jvm.NormKernels;

import java.util.SplittableRandom;

/**
 * The row kernels built on the vector exp and max, at a training step's shapes (4096 target
 * tokens of 128 sentences x 32): the label-smoothed loss fused with its log-softmax and gradient
 * over a vocabulary of 8000, and the attention softmax over 32 keys (4 heads), causal as in the
 * decoder's self-attention or not, with sentences of 20 to 32 tokens. Scores are calls per second.
 */
public class RowKernelsBenchmark extends KernelBenchmark {
    private static final int SENTENCES = 128, LEN = 32, ROWS = SENTENCES * LEN, VOCAB = 8000, HEADS = 4;
    private float[] logits, dLogits, rowLoss, stats, scores, probs;
    private int[] targets, keyLengths;

    @Setup public void setup() {
        SplittableRandom rnd = new SplittableRandom(1);
        logits = gaussian(rnd, ROWS * VOCAB, 4);
        dLogits = new float[ROWS * VOCAB];
        rowLoss = new float[ROWS];
        stats = new float[8];
        targets = rnd.ints(ROWS, 4, VOCAB).toArray();
        scores = gaussian(rnd, SENTENCES * HEADS * LEN * LEN, 8);
        probs = new float[scores.length];
        keyLengths = rnd.ints(SENTENCES, 20, LEN + 1).toArray();
    }

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

    private static float[] gaussian(SplittableRandom rnd, int n, double sd) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * sd);
        return a;
    }
}
