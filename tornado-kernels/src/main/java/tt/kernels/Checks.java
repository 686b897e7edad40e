package tt.kernels;

/** Argument checks for one call; every failure names the call, the buffer and what it needs. */
public final class Checks {
    /** Names the call in a failure; built only then, since every run checks every call. */
    private final java.util.function.Supplier<String> call;
    private final int[] sizes;
    /** Told of every buffer checked and the elements it needs, when a graph lists what its calls use. */
    private final java.util.function.ObjLongConsumer<Buf> uses;

    /** {@code sizes} is the root array of the graph's sizes buffer, read for live dims. */
    Checks(java.util.function.Supplier<String> call, int[] sizes) { this(call, sizes, (b, n) -> { }); }

    Checks(java.util.function.Supplier<String> call, int[] sizes, java.util.function.ObjLongConsumer<Buf> uses) {
        this.call = call;
        this.sizes = sizes;
        this.uses = uses;
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

    /** A buffer used whole, whatever the live sizes (a parameter root, a gradient root). */
    public void whole(Buf b) { need(b, b.length(), "its whole length"); }

    /** A table indexed by row: all of it may be used. */
    public void multipleOf(Buf b, Dim width) {
        if (width.max() == 0 || b.length() % width.max() != 0) {
            fail("buffer '" + b.name() + "' has " + b.length() + " elements, not a whole number of rows of " + width);
        }
        uses.accept(b, b.length());
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
        uses.accept(b, needed);
    }

    public void fail(String what) {
        throw new IllegalArgumentException(call.get() + ": " + what);
    }
}
