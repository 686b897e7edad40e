package tt.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The live dimensions of one or more step graphs (batch, sequence lengths, the step counter) and
 * the small int buffer holding their values, uploaded with every execution. Graphs that share
 * buffers (a training step, its update, the inference passes) share one LiveSizes.
 */
public final class LiveSizes {
    private static final int CAPACITY = 64;

    private final IntBuf values;
    private final List<Dim> dims = new ArrayList<>();

    public LiveSizes(String name) {
        this.values = IntBuf.allocate(name, CAPACITY);
    }

    /**
     * A dimension whose value is set before each execution, at most {@code max}. It starts at 0:
     * products of live dims (batch * heads * queries * keys) are bounded by the batcher, not by
     * the product of maxima, so buffers are checked against the live values at every execution.
     */
    public Dim live(String dimName, int max) {
        if (dims.size() == CAPACITY) throw new IllegalStateException(values.name() + ": more than " + CAPACITY + " live dims");
        Dim d = new Dim(dimName, dims.size(), max);
        dims.add(d);
        return d;
    }

    /** Sets a live dimension for the next executions; fails if it is outside [0, max]. */
    public void set(Dim d, int value) {
        if (!d.isLive() || d.slot() >= dims.size() || dims.get(d.slot()) != d) {
            throw new IllegalArgumentException(values.name() + ": '" + d + "' is not one of these live dimensions");
        }
        if (value < 0 || value > d.max()) {
            throw new IllegalArgumentException(values.name() + ": live size '" + d.name() + "' = " + value
                    + " is outside [0, " + d.max() + "]; buffers were allocated for at most " + d.max());
        }
        values.set(d.slot(), value);
    }

    public int get(Dim d) { return d.value(values.array()); }

    public IntBuf buffer() { return values; }

}
