package tt.model;

import tt.kernels.FloatBuf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The four arenas of a model: parameters and their gradients (one layout, so Adam and clipping
 * are single kernels), activations kept for backward, and their gradients, which share storage
 * where their lives in the training step do not overlap ({@link GradientPlan}).
 */
final class Buffers {
    final Arena params, grads, acts, actGrads;
    private final List<Tensor> parameters = new ArrayList<>();
    private final java.util.Map<String, int[]> shapes = new java.util.HashMap<>();

    private Buffers(Arena params, Arena grads, Arena acts, Arena actGrads) {
        this.params = params;
        this.grads = grads;
        this.acts = acts;
        this.actGrads = actGrads;
    }

    static Buffers measuring() {
        return new Buffers(Arena.measuring("params"), Arena.measuring("grads"), Arena.measuring("acts"), Arena.measuring("act_grads"));
    }

    /** Real arenas of exactly the sizes a measuring pass used, the activation gradients where {@code plan} puts them. */
    static Buffers sizedLike(Buffers measured, GradientPlan plan) {
        return new Buffers(Arena.sizedLike(measured.params), Arena.sizedLike(measured.grads),
                Arena.sizedLike(measured.acts), Arena.planned(measured.actGrads, plan));
    }

    Tensor parameter(String name, int... shape) {
        Tensor t = new Tensor(name, shape.clone(), params.floats(name, elements(shape)), grads.floats("d" + name, elements(shape)));
        parameters.add(t);
        return declare(t);
    }

    /** An activation kept for backward, with its gradient; {@code shape} at the largest batch, e.g. [max tokens, d_model]. */
    Tensor activation(String name, int... shape) {
        return declare(new Tensor(name, shape.clone(), acts.floats(name, elements(shape)), actGrads.floats("d" + name, elements(shape))));
    }

    /**
     * An activation a kernel writes in place over {@code over}'s value (a view under its own name,
     * the same storage), with a gradient of its own: for a function whose backward needs only its
     * output (ReLU), so the input need not be kept.
     */
    Tensor activationOver(Tensor over, String name) {
        FloatBuf value = over.value().view(name, 0, over.value().length());
        return declare(new Tensor(name, over.shape().clone(), value, actGrads.floats("d" + name, over.value().length())));
    }

    /** Another name for all of a scratch buffer's storage, with its shape: what a kernel writes there in place. */
    FloatBuf alias(FloatBuf over, String name) {
        shapes.put(name, shapes.get(over.name()));
        return over.view(name, 0, over.length());
    }

    /** Forward-only storage (layer-norm statistics, per-row losses): no gradient. */
    FloatBuf scratch(String name, int... shape) {
        FloatBuf b = acts.floats(name, elements(shape));
        shapes.put(name, shape.clone());
        return b;
    }

    /** The shape a buffer was declared with where it was allocated (its gradient's too), or null for roots and views of none. */
    int[] shapeOf(String bufferName) { return shapes.get(bufferName); }

    /** Records a tensor's shape under its buffers' names (for slices of a declared tensor, say). */
    Tensor declare(Tensor t) {
        shapes.put(t.value().name(), t.shape());
        shapes.put(t.grad().name(), t.shape());
        return t;
    }

    private static int elements(int[] shape) {
        int n = 1;
        for (int s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    List<Tensor> parameters() { return Collections.unmodifiableList(parameters); }

    /** A root the size of the parameters (an optimizer's moment), without storage in a measuring pass. */
    FloatBuf likeParameters(String name) {
        return params.measuring() ? FloatBuf.unallocated(name, params.used()) : FloatBuf.allocate(name, params.used());
    }

    /** Floats in all four arenas. */
    long floats() { return (long) params.used() + grads.used() + acts.used() + actGrads.used(); }
}
