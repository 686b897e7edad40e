package tt.experiments.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import tt.kernels.jvm.ElementwiseKernels;
import tt.kernels.jvm.NormKernels;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The kernels of one decoding step that are not GEMMs, at the shapes of decoding test2016 with the
 * tiny preset and beam 4 (400 rows, 4 heads of 32): attention of one query over cached keys, for
 * the cross-attention (25 source positions, all visible) and the self-attention (12 of 60 cached
 * positions filled), and beam search's reordering of a self-attention cache. Scores are calls per
 * second.
 */
public class DecodeKernelsBenchmark extends KernelBenchmark {
    /** rows x keys x capacity: the cross-attention's and the self-attention's. */
    @Param({"400x25x25", "400x12x60"})
    public String shape;

    private static final int HEADS = 4, HEAD_DIM = 32, WIDTH = HEADS * HEAD_DIM;
    private int rows, keys, capacity;
    private float[] q, kCache, vCache, keySizes, probs, context, scratch;
    private int[] keyLengths, parents;

    @Setup public void setup() {
        String[] p = shape.split("x");
        rows = Integer.parseInt(p[0]);
        keys = Integer.parseInt(p[1]);
        capacity = Integer.parseInt(p[2]);
        SplittableRandom rnd = new SplittableRandom(1);
        q = random(rnd, rows * WIDTH);
        kCache = random(rnd, rows * capacity * WIDTH);
        vCache = random(rnd, rows * capacity * WIDTH);
        keySizes = new float[rows * capacity];
        Arrays.fill(keySizes, 1f);  // single-token keys, as decoding without token merging has
        probs = new float[rows * HEADS * capacity];
        context = new float[rows * WIDTH];
        scratch = new float[rows * capacity * WIDTH];
        keyLengths = new int[rows];
        Arrays.fill(keyLengths, keys);
        parents = new int[rows];
        for (int r = 0; r < rows; r++) parents[r] = r / 4 * 4 + rnd.nextInt(4);  // beams of a sentence trade places
    }

    @Benchmark public float[] cachedAttention() {
        NormKernels.cachedAttention(par, rows, HEADS, HEAD_DIM, keys, capacity, 0.17f, keyLengths, 0, q, 0, kCache, 0, vCache, 0,
                keySizes, 0, probs, 0, context, 0);
        return context;
    }

    @Benchmark public float[] gatherRows() {
        ElementwiseKernels.gatherRows(par, rows, keys * WIDTH, capacity * WIDTH, parents, 0, scratch, 0, kCache, 0);
        return kCache;
    }
}
