package tt.kernels;

/**
 * A kernel dimension: either fixed when the graph is built, or live, read at execution time from
 * slot {@code slot} of the graph's sizes buffer so that a new batch shape never rebuilds the graph.
 * {@code max} is what buffers are sized and checked for.
 */
public record Dim(String name, int slot, int max) {

    public static Dim fixed(int n) {
        if (n < 0) throw new IllegalArgumentException("negative dimension " + n);
        return new Dim(Integer.toString(n), -1, n);
    }

    public boolean isLive() { return slot >= 0; }

    /** The value for this execution; {@code sizes} is the root array of the graph's sizes buffer. */
    public int value(int[] sizes) { return slot < 0 ? max : sizes[slot]; }

    @Override public String toString() { return isLive() ? name + "<=" + max : name; }
}
