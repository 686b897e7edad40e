package tt.model;

/**
 * One batch, padded to its own longest sentence: ids laid out [sentences, len] row-major, pad 0.
 * tgtIn = &lt;s&gt; y1 .. yn, tgtOut = y1 .. yn &lt;/s&gt;; lengths count real tokens of each.
 */
public record Batch(int sentences, int srcLen, int tgtLen, int[] srcIds, int[] tgtIn, int[] tgtOut,
                    int[] srcLengths, int[] tgtLengths) {

    public Batch {
        if (srcIds.length != sentences * srcLen || tgtIn.length != sentences * tgtLen || tgtOut.length != sentences * tgtLen
                || srcLengths.length != sentences || tgtLengths.length != sentences) {
            throw new IllegalArgumentException("batch arrays do not match " + sentences + " sentences x (" + srcLen + ", " + tgtLen + ")");
        }
    }

    /** Pads source and target token sequences (without specials) into a batch: target gets &lt;s&gt; and &lt;/s&gt;. */
    public static Batch of(int[][] sources, int[][] targets) {
        int n = sources.length, srcLen = 1, tgtLen = 1;
        for (int i = 0; i < n; i++) {
            srcLen = Math.max(srcLen, sources[i].length);
            tgtLen = Math.max(tgtLen, targets[i].length + 1);
        }
        int[] src = new int[n * srcLen], in = new int[n * tgtLen], out = new int[n * tgtLen];
        int[] srcLengths = new int[n], tgtLengths = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(sources[i], 0, src, i * srcLen, sources[i].length);
            srcLengths[i] = sources[i].length;
            int[] t = targets[i];
            in[i * tgtLen] = TransformerConfig.BOS;
            System.arraycopy(t, 0, in, i * tgtLen + 1, t.length);
            System.arraycopy(t, 0, out, i * tgtLen, t.length);
            out[i * tgtLen + t.length] = TransformerConfig.EOS;
            tgtLengths[i] = t.length + 1;
        }
        return new Batch(n, srcLen, tgtLen, src, in, out, srcLengths, tgtLengths);
    }

    /** Non-pad target tokens. */
    public int targetTokens() {
        int s = 0;
        for (int len : tgtLengths) s += len;
        return s;
    }
}
