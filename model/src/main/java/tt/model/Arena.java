package tt.model;

import tt.kernels.FloatBuf;

/**
 * Hands out consecutive named views of one root buffer, so that one kernel can zero, clip or
 * update all of them. A measuring arena hands out storage-less views to learn the total size;
 * the model is then laid out again over a real root of exactly that size.
 */
final class Arena {
    private final String name;
    private final FloatBuf root;
    /** Where a planned arena puts each buffer (null: one after another). */
    private final GradientPlan plan;
    /** What it handed out, in order, by name. */
    private final java.util.SequencedMap<String, FloatBuf> handedOut = new java.util.LinkedHashMap<>();
    private int used;

    private Arena(String name, FloatBuf root, GradientPlan plan) {
        this.name = name;
        this.root = root;
        this.plan = plan;
    }

    private Arena(String name, FloatBuf root) { this(name, root, null); }

    static Arena measuring(String name) { return new Arena(name, null); }

    static Arena allocate(String name, int floats) { return new Arena(name, FloatBuf.allocate(name, floats)); }

    /** An arena with the same name sized for everything {@code measured} handed out. */
    static Arena sizedLike(Arena measured) { return allocate(measured.name, measured.used); }

    /** An arena for what {@code measured} handed out, each buffer where {@code plan} puts it (buffers sharing storage). */
    static Arena planned(Arena measured, GradientPlan plan) {
        return new Arena(measured.name, FloatBuf.allocate(measured.name, plan.floats()), plan);
    }

    FloatBuf floats(String viewName, int length) {
        FloatBuf view = root == null ? FloatBuf.unallocated(viewName, length)
                : root.view(viewName, plan != null ? plan.offset(viewName, length) : used, length);
        used = plan != null ? plan.floats() : Math.addExact(used, length);
        handedOut.put(viewName, view);
        return view;
    }

    /** The buffers handed out so far, in order. */
    java.util.List<FloatBuf> handedOut() { return java.util.List.copyOf(handedOut.values()); }

    /** The buffer handed out under {@code name}. */
    FloatBuf view(String name) { return handedOut.get(name); }

    int used() { return used; }

    boolean measuring() { return root == null; }

    /** The whole arena; a measuring arena answers with a storage-less buffer of the size so far. */
    FloatBuf root() { return root != null ? root : FloatBuf.unallocated(name, used); }
}
