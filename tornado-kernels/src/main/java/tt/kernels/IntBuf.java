package tt.kernels;

import java.util.Arrays;

/** Int storage: token ids, sequence lengths, live sizes, counters. */
public final class IntBuf extends Buf {
    private final int[] data;

    private IntBuf(String name, int[] data, int offset, int length, IntBuf root) {
        super(name, offset, length, root);
        this.data = data;
    }

    public static IntBuf allocate(String name, int length) {
        return new IntBuf(name, new int[Math.max(length, 0)], 0, length, null);
    }

    public static IntBuf of(String name, int... values) {
        return new IntBuf(name, values.clone(), 0, values.length, null);
    }

    public IntBuf view(String viewName, int viewOffset, int viewLength) {
        checkView(viewName, viewOffset, viewLength);
        return new IntBuf(viewName, data, offset() + viewOffset, viewLength, root());
    }

    @Override public IntBuf root() { return (IntBuf) super.root(); }

    public int[] array() { return data; }

    public int get(int i) { return data[index(i)]; }

    public void set(int i, int v) { data[index(i)] = v; }

    public void copyFrom(int[] src) {
        checkCopyLength(src.length);
        System.arraycopy(src, 0, data, offset(), length());
    }

    public int[] toArray() { return Arrays.copyOfRange(data, offset(), offset() + length()); }
}
