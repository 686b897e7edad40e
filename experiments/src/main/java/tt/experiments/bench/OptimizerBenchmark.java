package tt.experiments.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import tt.kernels.jvm.OptimizerKernels;

import java.util.SplittableRandom;

/**
 * The optimizer's once-a-step passes over every parameter: the global gradient norm (for clipping)
 * and the Adam update, at the tiny and small presets' parameter counts. Scores are calls per second.
 */
public class OptimizerBenchmark extends KernelBenchmark {
    /** Parameters of the tiny and the small preset at vocabulary 8000. */
    @Param({"2349056", "7577600"})
    public int parameters;
    private float[] p, g, m, v;
    private final float[] hyper = {1e-3f, 0.1f, 0.02f, 1f};  // lr, 1 - beta1^t, 1 - beta2^t, gradient scale

    @Setup public void setup() {
        SplittableRandom rnd = new SplittableRandom(1);
        p = random(rnd, parameters);
        g = random(rnd, parameters);
        m = random(rnd, parameters);
        v = new float[parameters];
        for (int i = 0; i < parameters; i++) v[i] = Math.abs(g[i]) * 1e-3f;
    }

    @Benchmark public float globalNorm() {
        return OptimizerKernels.globalNorm(par, g, 0, parameters);
    }

    @Benchmark public float[] adam() {
        OptimizerKernels.adam(par, parameters, p, 0, g, 0, m, 0, v, 0, hyper, 0, 1f, 0.9f, 0.98f, 1e-9f, 0f, 0f);
        return p;
    }
}
