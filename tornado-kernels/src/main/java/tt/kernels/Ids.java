package tt.kernels;

/**
 * Token and target ids index tables and rows; an id outside them would read another row without a
 * sound. The one check, and message, of every backend (the TornadoVM one checks its inputs on the host).
 */
public final class Ids {
    /** What the ids index, for the message. */
    public enum Kind { TOKENS, TARGETS }

    private Ids() {}

    /** Fails naming the first of {@code count} ids from {@code offset} that is not pad and not in [0, bound). */
    public static void check(Kind kind, int[] ids, int offset, int count, int bound, int padId) {
        for (int i = 0; i < count; i++) {
            int id = ids[offset + i];
            if (id != padId && (id < 0 || id >= bound)) {
                throw new IllegalArgumentException(kind == Kind.TARGETS
                        ? "target id " + id + " at row " + i + " is outside the vocabulary [0, " + bound + ")"
                        : "token id " + id + " at position " + i + " is outside the embedding table [0, " + bound + ")");
            }
        }
    }

    /** No token id is pad-exempt: pad has an embedding row too. */
    public static final int NO_PAD = Integer.MIN_VALUE;
}
