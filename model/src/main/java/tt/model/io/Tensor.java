package tt.model.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/** An array with a row-major shape, as one tensor of a safetensors file: F32, I32 or I64. */
public sealed interface Tensor {
    int[] shape();

    DType dtype();

    /** The data array viewed as memory in native byte order. */
    MemorySegment memory();

    /** Receives a tensor's bytes a chunk at a time. */
    @FunctionalInterface
    interface ByteSink {
        void accept(byte[] bytes, int length) throws java.io.IOException;
    }

    /** Hands the data to {@code sink} as little-endian bytes (the file layout), in chunks of {@code chunk}, a multiple of 8 bytes. */
    default void littleEndian(byte[] chunk, ByteSink sink) throws java.io.IOException {
        MemorySegment data = memory(), buffer = MemorySegment.ofArray(chunk);
        for (long pos = 0; pos < data.byteSize(); pos += chunk.length) {
            int len = (int) Math.min(chunk.length, data.byteSize() - pos);
            MemorySegment.copy(data, dtype().nativeLayout, pos, buffer, dtype().fileLayout, 0, len / dtype().bytes());
            sink.accept(chunk, len);
        }
    }

    /** Element types, with their safetensors names and their layout in the file (little-endian, any alignment). */
    enum DType {
        F32(ValueLayout.JAVA_FLOAT), I32(ValueLayout.JAVA_INT), I64(ValueLayout.JAVA_LONG);

        final ValueLayout nativeLayout, fileLayout;

        DType(ValueLayout nativeLayout) {
            this.nativeLayout = nativeLayout;
            this.fileLayout = nativeLayout.withOrder(ByteOrder.LITTLE_ENDIAN).withByteAlignment(1);
        }

        public int bytes() { return (int) nativeLayout.byteSize(); }

        /** A tensor of this type whose elements are copied from little-endian {@code file} bytes. */
        Tensor read(int[] shape, MemorySegment file) {
            int n = elementCount(shape);
            Tensor t = switch (this) {
                case F32 -> new F32(shape, new float[n]);
                case I32 -> new I32(shape, new int[n]);
                case I64 -> new I64(shape, new long[n]);
            };
            MemorySegment.copy(file, fileLayout, 0, t.memory(), nativeLayout, 0, n);
            return t;
        }
    }

    record F32(int[] shape, float[] data) implements Tensor {
        public F32 { checkLength(shape, data.length); }
        public DType dtype() { return DType.F32; }
        public MemorySegment memory() { return MemorySegment.ofArray(data); }
    }

    record I32(int[] shape, int[] data) implements Tensor {
        public I32 { checkLength(shape, data.length); }
        public DType dtype() { return DType.I32; }
        public MemorySegment memory() { return MemorySegment.ofArray(data); }
    }

    record I64(int[] shape, long[] data) implements Tensor {
        public I64 { checkLength(shape, data.length); }
        public DType dtype() { return DType.I64; }
        public MemorySegment memory() { return MemorySegment.ofArray(data); }
    }

    /** The product of the dimensions; it must fit a Java array. */
    static int elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements for one Java array");
        }
        return (int) n;
    }

    private static void checkLength(int[] shape, int length) {
        if (elementCount(shape) != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + elementCount(shape) + " elements, data has " + length);
        }
    }
}
