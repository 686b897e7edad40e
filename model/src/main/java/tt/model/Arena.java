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
    private int used;

    private Arena(String name, FloatBuf root) {
        this.name = name;
        this.root = root;
    }

    static Arena measuring(String name) { return new Arena(name, null); }

    static Arena allocate(String name, int floats) { return new Arena(name, FloatBuf.allocate(name, floats)); }

    /** An arena with the same name sized for everything {@code measured} handed out. */
    static Arena sizedLike(Arena measured) { return allocate(measured.name, measured.used); }

    FloatBuf floats(String viewName, int length) {
        FloatBuf view = root == null ? FloatBuf.unallocated(viewName, length) : root.view(viewName, used, length);
        used = Math.addExact(used, length);
        return view;
    }

    int used() { return used; }

    boolean measuring() { return root == null; }

    /** The whole arena; a measuring arena answers with a storage-less buffer of the size so far. */
    FloatBuf root() { return root != null ? root : FloatBuf.unallocated(name, used); }
}
