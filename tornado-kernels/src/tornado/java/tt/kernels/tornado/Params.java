package tt.kernels.tornado;

import tt.kernels.Buf;
import tt.kernels.Dim;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a task's parameter array {@code p} (see {@link Group}) by the names of its kernel's
 * layout: an interface of int constants beside the kernel method, such as
 * {@link GemmKernels.GemmParams}, by which names the kernel reads the same slots on the device. A
 * slot named after a buffer holds that buffer's offset in its root. Device code can read only
 * constants, so the layout cannot be an object that checks itself; the checks are here instead: a
 * layout's constants must number its slots 0..n-1 once each, and every slot must be set exactly
 * once, so a mistake fails when the call is bound instead of computing wrong numbers on the device.
 *
 * <p>Encoding: a {@link Dim} is stored as its slot in the live sizes when live, and as
 * {@code -1 - value} when fixed (the device decodes it with {@link Group#dim}); offsets and integer
 * settings are stored as themselves.
 */
final class Params {
    private static final ClassValue<List<String>> SLOT_NAMES = new ClassValue<>() {
        @Override protected List<String> computeValue(Class<?> layout) { return slotNames(layout); }
    };

    private final Class<?> layout;
    private final List<String> names;
    private final int[] values;
    private final boolean[] set;

    Params(Class<?> layout) {
        this.layout = layout;
        this.names = SLOT_NAMES.get(layout);
        this.values = new int[names.size()];
        this.set = new boolean[names.size()];
    }

    Params dim(int slot, Dim d) { return set(slot, d.isLive() ? d.slot() : -1 - d.max()); }

    Params offset(int slot, Buf b) { return set(slot, b.offset()); }

    Params set(int slot, int value) {
        if (slot < 0 || slot >= values.length) throw new IllegalArgumentException(layout.getSimpleName() + " has no slot " + slot);
        if (set[slot]) throw new IllegalStateException(name(slot) + " set twice");
        set[slot] = true;
        values[slot] = value;
        return this;
    }

    /** The device array; every slot must have been set. */
    IntArray array() {
        for (int s = 0; s < set.length; s++) {
            if (!set[s]) throw new IllegalStateException(name(s) + " not set");
        }
        return IntArray.fromArray(values);
    }

    private String name(int slot) { return layout.getSimpleName() + "." + names.get(slot); }

    /** The layout's constant names by slot. */
    private static List<String> slotNames(Class<?> layout) {
        Field[] fields = layout.getDeclaredFields();
        String[] names = new String[fields.length];
        for (Field f : fields) {
            int slot;
            try {
                slot = f.getType() == int.class && Modifier.isStatic(f.getModifiers()) ? f.getInt(null) : -1;
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot read " + f, e);
            }
            if (slot < 0 || slot >= names.length || names[slot] != null) {
                throw new IllegalStateException(layout.getSimpleName() + ": its int constants must number the slots 0.."
                        + (names.length - 1) + " once each; " + f.getName() + " does not (" + Arrays.toString(names) + ")");
            }
            names[slot] = f.getName();
        }
        return List.of(names);
    }
}
