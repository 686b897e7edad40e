package tt.kernels;

/**
 * A named flat buffer, or a named view into one, allocated once at its largest size. Views share
 * their root's storage, so a model can keep all parameters in one root (one optimizer kernel, one
 * norm kernel) and still name each tensor. The host array is the JVM backend's device memory;
 * other backends mirror roots on the device and copy on upload/download.
 */
public abstract sealed class Buf permits FloatBuf, IntBuf {
    private final String name;
    private final int offset;
    private final int length;
    private final Buf root;

    Buf(String name, int offset, int length, Buf root) {
        if (length < 0) throw new IllegalArgumentException("buffer '" + name + "': negative length " + length);
        this.name = name;
        this.offset = offset;
        this.length = length;
        this.root = root == null ? this : root;
    }

    public final String name() { return name; }

    /** Elements in this view. */
    public final int length() { return length; }

    /** First element of this view inside its root's storage. */
    public final int offset() { return offset; }

    /** The buffer that owns the storage; a backend keeps one device copy per root. */
    public Buf root() { return root; }

    /** Whether both name the same elements of the same storage. */
    public final boolean sameRegion(Buf other) {
        return root == other.root && offset == other.offset && length == other.length;
    }

    /** Whether both share at least one element of storage. */
    public final boolean overlaps(Buf other) {
        return root == other.root && offset < other.offset + other.length && other.offset < offset + length;
    }

    final void checkView(String viewName, int viewOffset, int viewLength) {
        if (viewOffset < 0 || viewLength < 0 || viewOffset + (long) viewLength > length) {
            throw new IllegalArgumentException("view '" + viewName + "' [" + viewOffset + ", +" + viewLength
                    + ") does not fit in buffer '" + name + "' of length " + length);
        }
    }

    final int index(int i) {
        if (i < 0 || i >= length) throw new IndexOutOfBoundsException("buffer '" + name + "' index " + i + " of " + length);
        return offset + i;
    }

    final void checkCopyLength(int n) {
        if (n != length) throw new IllegalArgumentException("buffer '" + name + "' has " + length + " elements, got " + n);
    }

    @Override public String toString() { return getClass().getSimpleName() + "[" + name + ", " + length + "]"; }
}
