package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;

/**
 * One dropout site. Its mask is a hash of (seed, step, site, index), so backward recomputes it and
 * every backend draws the same one. In inference passes the rate is 0 and the call is a copy.
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

    void forward(Pass p, Dim rows, Dim cols, FloatBuf x, FloatBuf y) {
        p.add(name, new Kernel.Dropout(rows, cols, p.dropout(rate), seed, step, site, x, y));
    }

    void backward(Pass p, Dim rows, Dim cols, FloatBuf dy, FloatBuf dx) {
        p.add(name + " backward", new Kernel.DropoutBackward(rows, cols, p.dropout(rate), seed, step, site, dy, dx));
    }
}
