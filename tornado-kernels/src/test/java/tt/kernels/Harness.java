package tt.kernels;

import tt.kernels.jvm.JvmBackend;

import java.util.Random;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared by the kernel tests: random buffers placed at a nonzero offset inside a larger root (so
 * stray writes show), live dims set below their maxima, graph runs, float64 comparisons and
 * central finite differences.
 */
final class Harness {
    /** (rows, cols) for every kernel: single elements, odd sizes, sizes past a vector width. */
    static final int[][] SHAPES = {{1, 1}, {7, 5}, {33, 64}, {5, 130}};
    /** Elements of the root before and after every test view. */
    static final int PAD = 3;
    /** How far every live dim's maximum lies above the value it is set to. */
    static final int SLACK = 3;

    private Harness() {}

    /** Uniform in ±[0.1, 1): never zero, never near zero (ReLU and finite differences stay away from kinks). */
    static double nonzero(Random rnd) {
        double v = 0.1 + 0.9 * rnd.nextDouble();
        return rnd.nextBoolean() ? v : -v;
    }

    static double[] nonzero(Random rnd, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = nonzero(rnd);
        return x;
    }

    /** A view of {@code length} random values at offset PAD of a root that is random everywhere. */
    static FloatBuf floats(String name, int length, Random rnd) {
        FloatBuf root = FloatBuf.allocate(name + ".root", length + 2 * PAD);
        for (int i = 0; i < root.length(); i++) root.set(i, (float) nonzero(rnd));
        return root.view(name, PAD, length);
    }

    /** A view holding {@code values} at offset PAD of a root padded with -7 (an id no kernel may read). */
    static IntBuf ints(String name, int... values) {
        IntBuf root = IntBuf.allocate(name + ".root", values.length + 2 * PAD);
        for (int i = 0; i < root.length(); i++) root.set(i, -7);
        IntBuf view = root.view(name, PAD, values.length);
        view.copyFrom(values);
        return view;
    }

    /** A live dim of {@code g} with maximum value + SLACK, set to {@code value}. */
    static Dim live(StepGraph g, String name, int value) {
        Dim d = g.live(name, value + SLACK);
        g.set(d, value);
        return d;
    }

    /** A graph whose live dims rows and cols are set to shape[0] and shape[1], SLACK below their maxima. */
    record Grid(StepGraph graph, Dim rows, Dim cols) {
        static Grid of(String name, int[] shape) {
            StepGraph g = new StepGraph(name);
            return new Grid(g, live(g, "rows", shape[0]), live(g, "cols", shape[1]));
        }

        int r() { return graph.sizes().get(rows); }

        int c() { return graph.sizes().get(cols); }

        /** Elements at the live sizes. */
        int n() { return r() * c(); }

        /** Elements at the maximum sizes: what buffers are allocated for. */
        int maxN() { return rows.max() * cols.max(); }

        String at() { return graph.name() + " at " + r() + "x" + c(); }
    }

    /** The first n elements of a view, widened to double. */
    static double[] doubles(FloatBuf b, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = b.get(i);
        return x;
    }

    static double[] doubles(FloatBuf b) { return doubles(b, b.length()); }

    /** A copy of the whole root behind a view, to prove later that only the live range changed. */
    static float[] snapshot(FloatBuf b) { return b.root().toArray(); }

    static void run(StepGraph g, int threads) {
        try (JvmBackend backend = new JvmBackend(threads)) {
            backend.compile(g).run();
        }
    }

    static void run(StepGraph g) { run(g, 2); }

    static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) m = Math.max(m, Math.abs(v));
        return m;
    }

    static double[] plus(double[] a, double[] b) {
        double[] s = new double[a.length];
        for (int i = 0; i < a.length; i++) s[i] = a[i] + b[i];
        return s;
    }

    /**
     * Asserts |actual - expected| <= atol + rtol * |expected| on the first expected.length
     * elements of {@code actual}, and that every other element of its root still equals
     * {@code rootBefore} bit for bit: nothing past the live sizes or outside the view was written.
     */
    static void assertOutput(String what, float[] rootBefore, double[] expected, FloatBuf actual, double rtol, double atol) {
        float[] now = actual.root().toArray();
        int start = actual.offset(), end = start + expected.length;
        for (int i = 0; i < expected.length; i++) {
            double a = now[start + i], e = expected[i];
            if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
                fail(what + "[" + i + "] = " + a + ", expected " + e + " (rtol " + rtol + ", atol " + atol + ")");
            }
        }
        for (int i = 0; i < now.length; i++) {
            if ((i < start || i >= end) && Float.floatToRawIntBits(now[i]) != Float.floatToRawIntBits(rootBefore[i])) {
                fail(what + ": root element " + i + " outside the live range [" + start + ", " + end + ") was written");
            }
        }
    }

    /** assertOutput with a tolerance relative to the largest expected magnitude: |a - e| <= tol * max|e|. */
    static void assertOutput(String what, float[] rootBefore, double[] expected, FloatBuf actual, double tol) {
        assertOutput(what, rootBefore, expected, actual, 0, tol * Math.max(maxAbs(expected), Double.MIN_NORMAL));
    }

    /** Central differences in float64 of L(x) = sum(dy * f(x)) with respect to x. */
    static double[] numericGradient(UnaryOperator<double[]> f, double[] x, double[] dy) {
        double h = 1e-6;
        double[] g = new double[x.length], xp = x.clone();
        for (int i = 0; i < x.length; i++) {
            xp[i] = x[i] + h;
            double up = dot(dy, f.apply(xp));
            xp[i] = x[i] - h;
            double down = dot(dy, f.apply(xp));
            xp[i] = x[i];
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /**
     * The float64 reference backward must be the gradient of the float64 reference forward:
     * agreement with central differences within 1e-6 of the largest gradient (h = 1e-6 leaves
     * truncation ~1e-12 and rounding ~1e-10 relative).
     */
    static void assertGradient(String what, UnaryOperator<double[]> forward, double[] x, double[] dy, double[] analytic) {
        double[] numeric = numericGradient(forward, x, dy);
        assertEquals(numeric.length, analytic.length, what + ": gradient length");
        double tol = 1e-6 * Math.max(maxAbs(numeric), 1e-3);
        for (int i = 0; i < numeric.length; i++) {
            assertEquals(numeric[i], analytic[i], tol, what + ": d/dx[" + i + "] reference vs finite differences");
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
