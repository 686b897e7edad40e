package tt.experiments.bench;

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
import tt.kernels.jvm.Parallel;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What the JVM backend's kernel benchmarks share (JMH inherits these annotations): calls per
 * second on 1 and 2 threads of the backend's own pool, one fork with the Vector API.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class KernelBenchmark {
    @Param({"1", "2"})
    public int threads;

    protected Parallel par;

    @Setup public void startPool() { par = new Parallel(threads); }

    @TearDown public void stopPool() { par.close(); }

    /** n floats uniform in [-1, 1). */
    protected static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        return x;
    }
}
