package tt.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * Inference-time token reduction in the encoder: after encoder layer {@code afterLayer}, each
 * sentence keeps {@link #kept} of its tokens, and the later encoder layers and every
 * cross-attention see only those.
 * <ul>
 *   <li>{@link Method#PRUNE}: the tokens that received the most attention in that layer's
 *       self-attention (summed over heads and queries) are kept, in their order; the rest are dropped.</li>
 *   <li>{@link Method#MERGE}: ToMe's bipartite soft matching (Bolya et al., 2023) on that layer's
 *       keys: tokens at even positions are matched to their most similar (cosine) token at an odd
 *       position, and the best-matched ones are merged into their match as size-weighted means;
 *       later attention adds log(size) to each key's score (proportional attention), so a merged
 *       token weighs as the tokens it stands for.</li>
 * </ul>
 * The choice is made on the host between two graphs (as beam search chooses its candidates), from
 * the layer's attention probabilities or keys; {@code CombineTokens} does the rest on the device.
 */
public record TokenReduction(Method method, int afterLayer, double keep) {
    public enum Method { PRUNE, MERGE }

    public TokenReduction {
        if (afterLayer < 1) throw new IllegalArgumentException("token reduction: the layer to reduce after must be 1 or more, got " + afterLayer);
        if (!(keep > 0 && keep <= 1)) throw new IllegalArgumentException("token reduction: the keep ratio must be in (0, 1], got " + keep);
    }

    /**
     * Tokens a sentence of {@code length} keeps: the ratio of them rounded, at least one; merging
     * removes at most the even-position half (each merge takes one even token into an odd one).
     */
    public int kept(int length) {
        int kept = Math.max(1, (int) Math.round(keep * length));
        return method == Method.MERGE ? Math.max(kept, length / 2) : Math.min(kept, length);
    }

    @Override public String toString() {
        return String.format(Locale.ROOT, "%s keep %s after layer %d", method.name().toLowerCase(Locale.ROOT), keep, afterLayer);
    }

    /**
     * Pruning's choice for one sentence of {@code length} tokens: dest[t] is token t's slot among
     * the kept ones (in position order), or -1. {@code received[t]} is the attention token t received.
     */
    static int[] prune(double[] received, int length, int kept) {
        Integer[] order = new Integer[length];
        for (int t = 0; t < length; t++) order[t] = t;
        Arrays.sort(order, (a, b) -> received[a] != received[b] ? Double.compare(received[b], received[a]) : Integer.compare(a, b));
        boolean[] keepIt = new boolean[length];
        for (int i = 0; i < kept; i++) keepIt[order[i]] = true;
        int[] dest = new int[length];
        for (int t = 0, slot = 0; t < length; t++) dest[t] = keepIt[t] ? slot++ : -1;
        return dest;
    }

    /**
     * ToMe's bipartite soft matching for one sentence: keys[t] are token t's keys; the
     * {@code length - kept} even-position tokens most similar (cosine) to some odd-position token
     * merge into it. dest[t] is t's slot, the surviving tokens numbered in position order.
     */
    static int[] merge(float[][] keys, int length, int kept) {
        int merges = length - kept;
        int[] match = new int[length];
        double[] similarity = new double[length];
        Integer[] evens = new Integer[(length + 1) / 2];
        for (int a = 0; a < length; a += 2) {
            evens[a / 2] = a;
            match[a] = -1;
            similarity[a] = Double.NEGATIVE_INFINITY;
            for (int b = 1; b < length; b += 2) {
                double s = cosine(keys[a], keys[b]);
                if (s > similarity[a]) {
                    similarity[a] = s;
                    match[a] = b;
                }
            }
        }
        Arrays.sort(evens, (a, b) -> similarity[a] != similarity[b] ? Double.compare(similarity[b], similarity[a]) : Integer.compare(a, b));
        boolean[] merged = new boolean[length];
        for (int i = 0; i < merges && i < evens.length && match[evens[i]] >= 0; i++) merged[evens[i]] = true;
        int[] dest = new int[length];
        for (int t = 0, slot = 0; t < length; t++) dest[t] = merged[t] ? -1 : slot++;
        for (int t = 0; t < length; t++) if (merged[t]) dest[t] = dest[match[t]];
        return dest;
    }

    private static double cosine(float[] x, float[] y) {
        double dot = 0, xx = 0, yy = 0;
        for (int i = 0; i < x.length; i++) {
            dot += (double) x[i] * y[i];
            xx += (double) x[i] * x[i];
            yy += (double) y[i] * y[i];
        }
        return dot / Math.sqrt(Math.max(xx * yy, 1e-30));
    }
}
