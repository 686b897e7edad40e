package tt.kernels;

import java.util.Arrays;

/** Float storage: parameters, gradients, optimizer moments, activations, scratch. */
public final class FloatBuf extends Buf {
    private final float[] data;

    private FloatBuf(String name, float[] data, int offset, int length, FloatBuf root) {
        super(name, offset, length, root);
        this.data = data;
    }

    public static FloatBuf allocate(String name, int length) {
        return new FloatBuf(name, new float[Math.max(length, 0)], 0, length, null);
    }

    /**
     * A buffer with a name and length but no storage, for sizing passes that lay out views before
     * the real root is allocated. Reading or writing it fails.
     */
    public static FloatBuf unallocated(String name, int length) {
        return new FloatBuf(name, null, 0, length, null);
    }

    public static FloatBuf of(String name, float... values) {
        return new FloatBuf(name, values.clone(), 0, values.length, null);
    }

    /** A named window [offset, offset+length) of this buffer, sharing its storage. */
    public FloatBuf view(String viewName, int viewOffset, int viewLength) {
        checkView(viewName, viewOffset, viewLength);
        return new FloatBuf(viewName, data, offset() + viewOffset, viewLength, root());
    }

    @Override public FloatBuf root() { return (FloatBuf) super.root(); }

    /** The root's backing array; this view starts at {@link #offset()}. */
    public float[] array() { return data; }

    public float get(int i) { return data[index(i)]; }

    public void set(int i, float v) { data[index(i)] = v; }

    public void fill(float v) { Arrays.fill(data, offset(), offset() + length(), v); }

    public void copyFrom(float[] src) {
        checkCopyLength(src.length);
        System.arraycopy(src, 0, data, offset(), length());
    }

    public float[] toArray() { return Arrays.copyOfRange(data, offset(), offset() + length()); }
}
