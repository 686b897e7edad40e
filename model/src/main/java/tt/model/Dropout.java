package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;

/**
 * One dropout site. Its mask is a hash of (seed, step, site, index), so backward recomputes it and
 * every backend draws the same one. Inference passes have no dropout: the identity, so no call.
 */
final class Dropout {
    private final String name;
    private final float rate;
    private final int seed, site;
    private final Dim step;

    Dropout(String name, float rate, int seed, int site, Dim step) {
        this.name = name;
        this.rate = rate;
        this.seed = seed;
        this.site = site;
        this.step = step;
    }

    /** y = dropout(x) in a training pass, and y is what to read next; otherwise nothing runs and x is. */
    FloatBuf forward(Pass p, Dim rows, Dim cols, FloatBuf x, FloatBuf y) {
        if (!p.training()) return x;
        p.add(name, new Kernel.Dropout(rows, cols, rate, seed, step, site, x, y));
        return y;
    }

    void backward(Pass p, Dim rows, Dim cols, FloatBuf dy, FloatBuf dx) {
        p.add(name + " backward", new Kernel.DropoutBackward(rows, cols, rate, seed, step, site, dy, dx));
    }
}
