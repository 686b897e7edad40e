package tt.model;

import tt.kernels.FloatBuf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The four arenas of a model: parameters and their gradients (one layout, so Adam and clipping
 * are single kernels), activations kept for backward and their gradients (one layout, so one fill
 * zeroes every activation gradient before backward).
 */
final class Buffers {
    final Arena params, grads, acts, actGrads;
    private final List<Tensor> parameters = new ArrayList<>();

    private Buffers(Arena params, Arena grads, Arena acts, Arena actGrads) {
        this.params = params;
        this.grads = grads;
        this.acts = acts;
        this.actGrads = actGrads;
    }

    static Buffers measuring() {
        return new Buffers(Arena.measuring("params"), Arena.measuring("grads"), Arena.measuring("acts"), Arena.measuring("act_grads"));
    }

    /** Real arenas of exactly the sizes a measuring pass used. */
    static Buffers sizedLike(Buffers measured) {
        return new Buffers(Arena.sizedLike(measured.params), Arena.sizedLike(measured.grads),
                Arena.sizedLike(measured.acts), Arena.sizedLike(measured.actGrads));
    }

    Tensor parameter(String name, int... shape) {
        int n = 1;
        for (int s : shape) n = Math.multiplyExact(n, s);
        Tensor t = new Tensor(name, shape.clone(), params.floats(name, n), grads.floats(name, n));
        parameters.add(t);
        return t;
    }

    /** An activation kept for backward, with its gradient. */
    Tensor activation(String name, int length) {
        return new Tensor(name, new int[] {length}, acts.floats(name, length), actGrads.floats("d" + name, length));
    }

    /** Forward-only storage (layer-norm statistics, per-row losses): no gradient. */
    FloatBuf scratch(String name, int length) { return acts.floats(name, length); }

    List<Tensor> parameters() { return Collections.unmodifiableList(parameters); }

    /** A root the size of the parameters (an optimizer's moment), without storage in a measuring pass. */
    FloatBuf likeParameters(String name) {
        return params.measuring() ? FloatBuf.unallocated(name, params.used()) : FloatBuf.allocate(name, params.used());
    }

    /** Floats in all four arenas. */
    long floats() { return (long) params.used() + grads.used() + acts.used() + actGrads.used(); }
}
