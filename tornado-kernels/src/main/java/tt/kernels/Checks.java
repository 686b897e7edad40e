package tt.kernels;

/** Argument checks for one call; every failure names the call, the buffer and what it needs. */
public final class Checks {
    private final String call;
    private final int[] sizes;

    /** {@code sizes} is the root array of the graph's sizes buffer, read for live dims. */
    Checks(String call, int[] sizes) {
        this.call = call;
        this.sizes = sizes;
    }

    public int size(Dim d) { return d.value(sizes); }

    public long product(Dim... dims) {
        long p = 1;
        for (Dim d : dims) p *= size(d);
        return p;
    }

    public void floats(FloatBuf b, long needed, String formula) { need(b, needed, formula); }

    /** Each buffer holds a [rows, cols] matrix: the shape of every element-wise kernel's operands. */
    public void matrices(Dim rows, Dim cols, FloatBuf... bufs) {
        long n = product(rows, cols);
        for (FloatBuf b : bufs) need(b, n, "rows*cols");
    }

    /** Each buffer holds one value per column (biases, gains) or per row (statistics): {@code formula} names which. */
    public void vectors(Dim d, String formula, FloatBuf... bufs) {
        for (FloatBuf b : bufs) need(b, size(d), formula);
    }

    public void ints(IntBuf b, long needed, String formula) { need(b, needed, formula); }

    public void multipleOf(Buf b, Dim width) {
        if (width.max() == 0 || b.length() % width.max() != 0) {
            fail("buffer '" + b.name() + "' has " + b.length() + " elements, not a whole number of rows of " + width);
        }
    }

    public void probability(float p) {
        if (!(p >= 0f && p < 1f)) fail("probability " + p + " is outside [0, 1)");
    }

    private void need(Buf b, long needed, String formula) {
        if (b == null) fail("a buffer is missing (null)");
        if (b.length() < needed) {
            fail("buffer '" + b.name() + "' has " + b.length() + " elements but needs " + formula + " = " + needed
                    + " at the live sizes");
        }
    }

    public void fail(String what) {
        throw new IllegalArgumentException(call + ": " + what);
    }
}
