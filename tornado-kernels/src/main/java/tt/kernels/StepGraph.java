package tt.kernels;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A fixed, ordered list of kernel calls over buffers, built once and then compiled by a backend
 * and executed many times. Shapes that change from step to step (batch, sequence lengths, the step
 * counter) are live {@link Dim}s whose values sit in the small {@link #sizes()} buffer.
 * {@link #inputs()} are uploaded before every execution and {@link #outputs()} downloaded after it;
 * every other buffer stays on the device.
 */
public final class StepGraph {
    /** One call: its position, a label saying what it computes, and the kernel. */
    public record Call(int index, String label, Kernel kernel) {
        public String describe() {
            return "call #" + index + " '" + label + "' (" + kernel.getClass().getSimpleName() + ")";
        }
    }

    private static final int MAX_LIVE_DIMS = 64;

    private final String name;
    private final IntBuf sizes;
    private final List<Dim> liveDims = new ArrayList<>();
    private final List<Call> calls = new ArrayList<>();
    private final Set<Buf> inputs = new LinkedHashSet<>();
    private final Set<Buf> outputs = new LinkedHashSet<>();

    public StepGraph(String name) {
        this.name = name;
        this.sizes = IntBuf.allocate(name + ".sizes", MAX_LIVE_DIMS);
        inputs.add(sizes);
    }

    public String name() { return name; }

    /**
     * A dimension whose value is set before each execution, at most {@code max}. It starts at 0:
     * products of live dims (batch * heads * queries * keys) are bounded by the batcher, not by
     * the product of maxima, so buffers are checked against the live sizes at every execution.
     */
    public Dim live(String dimName, int max) {
        if (liveDims.size() == MAX_LIVE_DIMS) throw new IllegalStateException(name + ": more than " + MAX_LIVE_DIMS + " live dims");
        Dim d = new Dim(dimName, liveDims.size(), max);
        liveDims.add(d);
        return d;
    }

    /** Sets a live dimension for the next executions; fails if it is outside [0, max]. */
    public void set(Dim d, int value) {
        if (!d.isLive() || d.slot() >= liveDims.size() || liveDims.get(d.slot()) != d) {
            throw new IllegalArgumentException(name + ": '" + d + "' is not a live dimension of this graph");
        }
        if (value < 0 || value > d.max()) {
            throw new IllegalArgumentException(name + ": live size '" + d.name() + "' = " + value
                    + " is outside [0, " + d.max() + "]; the graph was built for at most " + d.max());
        }
        sizes.set(d.slot(), value);
    }

    public int get(Dim d) { return d.value(sizes.array()); }

    public IntBuf sizes() { return sizes; }

    /** Appends a call after checking its buffers against the fixed sizes (live ones are checked at run). */
    public StepGraph add(String label, Kernel kernel) {
        if (kernel == null) throw new IllegalArgumentException(name + ": call #" + calls.size() + " '" + label + "' has no kernel");
        Call call = new Call(calls.size(), label, kernel);
        kernel.check(new Checks(name + " " + call.describe(), sizes.array()));
        calls.add(call);
        return this;
    }

    /** Checks every call against the current live sizes; backends call this before each execution. */
    public void checkLiveSizes() {
        int[] live = sizes.array();
        for (Call call : calls) call.kernel().check(new Checks(name + " " + call.describe(), live));
    }

    public StepGraph inputs(Buf... bufs) {
        Collections.addAll(inputs, bufs);
        return this;
    }

    public StepGraph outputs(Buf... bufs) {
        Collections.addAll(outputs, bufs);
        return this;
    }

    public List<Call> calls() { return Collections.unmodifiableList(calls); }

    public List<Dim> liveDims() { return Collections.unmodifiableList(liveDims); }

    public Set<Buf> inputs() { return Collections.unmodifiableSet(inputs); }

    public Set<Buf> outputs() { return Collections.unmodifiableSet(outputs); }
}
