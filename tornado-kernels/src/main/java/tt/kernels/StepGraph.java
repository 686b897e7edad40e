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

    private final String name;
    private final LiveSizes sizes;
    private final List<Call> calls = new ArrayList<>();
    private final Set<Buf> inputs = new LinkedHashSet<>();
    private final Set<Buf> outputs = new LinkedHashSet<>();

    /** A graph with live sizes of its own. */
    public StepGraph(String name) {
        this(name, new LiveSizes(name + ".sizes"));
    }

    /** A graph whose live dims are shared with other graphs over the same buffers. */
    public StepGraph(String name, LiveSizes sizes) {
        this.name = name;
        this.sizes = sizes;
        inputs.add(sizes.buffer());
    }

    public String name() { return name; }

    public LiveSizes sizes() { return sizes; }

    /** Shorthand for {@code sizes().live(name, max)}. */
    public Dim live(String dimName, int max) { return sizes.live(dimName, max); }

    /** Shorthand for {@code sizes().set(d, value)}. */
    public void set(Dim d, int value) { sizes.set(d, value); }

    /** Appends a call after checking its buffers against the fixed sizes (live ones are checked at run). */
    public StepGraph add(String label, Kernel kernel) {
        if (kernel == null) throw new IllegalArgumentException(name + ": call #" + calls.size() + " '" + label + "' has no kernel");
        Call call = new Call(calls.size(), label, kernel);
        kernel.check(new Checks(() -> name + " " + call.describe(), sizes.buffer().array()));
        calls.add(call);
        return this;
    }

    /** Checks every call against the current live sizes; backends call this before each execution. */
    public void checkLiveSizes() {
        int[] live = sizes.buffer().array();
        for (Call call : calls) call.kernel().check(new Checks(() -> name + " " + call.describe(), live));
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

    /** A buffer a call touches and how many of its elements it uses at the live sizes. */
    public record Use(Buf buffer, long elements) {}

    /** What {@code call} touches at the current live sizes, in its kernel's order (read off its checks). */
    public List<Use> uses(Call call) {
        List<Use> uses = new ArrayList<>();
        call.kernel().check(new Checks(() -> name + " " + call.describe(), sizes.buffer().array(), (b, n) -> uses.add(new Use(b, n))));
        return uses;
    }

    public Set<Buf> inputs() { return Collections.unmodifiableSet(inputs); }

    public Set<Buf> outputs() { return Collections.unmodifiableSet(outputs); }
}
