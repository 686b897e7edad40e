package tt.kernels.tornado;

import tt.kernels.Buf;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One TornadoVM array per buffer root: the object TornadoVM tracks on the device, and the
 * off-heap staging copy that host arrays ({@link FloatBuf#array()}) are copied through.
 */
final class DeviceBuffers {
    private final Map<Buf, TornadoNativeArray> arrays = new LinkedHashMap<>();

    /** Registers a root; true if it is new. */
    boolean register(Buf root) {
        if (arrays.containsKey(root)) return false;
        int n = Math.max(1, root.length());  // TornadoVM allocates no empty buffers
        arrays.put(root, root instanceof FloatBuf ? new FloatArray(n) : new IntArray(n));
        return true;
    }

    boolean contains(Buf root) { return arrays.containsKey(root); }

    List<Buf> roots() { return new ArrayList<>(arrays.keySet()); }

    TornadoNativeArray array(Buf root) {
        TornadoNativeArray a = arrays.get(root);
        if (a == null) throw new IllegalStateException("buffer '" + root.name() + "' is not on the device");
        return a;
    }

    FloatArray floats(FloatBuf b) { return (FloatArray) array(b.root()); }

    IntArray ints(IntBuf b) { return (IntArray) array(b.root()); }

    /** Host array into the staging copy, before a transfer to the device. */
    void stage(Buf root) {
        MemorySegment segment = array(root).getSegment();
        switch (root) {
            case FloatBuf f -> MemorySegment.copy(f.array(), 0, segment, ValueLayout.JAVA_FLOAT, 0, f.length());
            case IntBuf i -> MemorySegment.copy(i.array(), 0, segment, ValueLayout.JAVA_INT, 0, i.length());
        }
    }

    /** Staging copy into the host array, after a transfer from the device. */
    void unstage(Buf root) {
        MemorySegment segment = array(root).getSegment();
        switch (root) {
            case FloatBuf f -> MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, 0, f.array(), 0, f.length());
            case IntBuf i -> MemorySegment.copy(segment, ValueLayout.JAVA_INT, 0, i.array(), 0, i.length());
        }
    }
}
