package tt.model.data;

import java.util.Arrays;
import java.util.List;
import tt.model.text.Tokenizer;

/**
 * A padded batch of {@code size} sentence pairs, row-major. Row b of {@code source}
 * [size * sourceLength] is the pair's source tokens then </s>; of {@code targetIn}
 * [size * targetLength] it is <s> then the target tokens (the decoder input); of {@code targetOut}
 * the target tokens then </s> (what the decoder must predict). Rows are padded with <pad> to the
 * batch's own longest row. {@code sourceLengths} and {@code targetLengths} count each row's tokens
 * before padding; {@code ids} are the pairs' ids.
 */
public record Batch(int size, int sourceLength, int targetLength, int[] source, int[] targetIn, int[] targetOut,
                    int[] sourceLengths, int[] targetLengths, int[] ids) {

    /** Pads these pairs into one batch. */
    public static Batch of(List<EncodedPair> pairs) {
        int size = pairs.size();
        int[] sourceLengths = pairs.stream().mapToInt(p -> p.source().length + 1).toArray();
        int[] targetLengths = pairs.stream().mapToInt(p -> p.target().length + 1).toArray();
        int ts = Arrays.stream(sourceLengths).max().orElse(0), tt = Arrays.stream(targetLengths).max().orElse(0);
        int[] source = new int[size * ts], targetIn = new int[size * tt], targetOut = new int[size * tt];
        Arrays.fill(source, Tokenizer.PAD);
        Arrays.fill(targetIn, Tokenizer.PAD);
        Arrays.fill(targetOut, Tokenizer.PAD);
        for (int b = 0; b < size; b++) {
            int[] s = pairs.get(b).source(), t = pairs.get(b).target();
            System.arraycopy(s, 0, source, b * ts, s.length);
            source[b * ts + s.length] = Tokenizer.EOS;
            targetIn[b * tt] = Tokenizer.BOS;
            System.arraycopy(t, 0, targetIn, b * tt + 1, t.length);
            System.arraycopy(t, 0, targetOut, b * tt, t.length);
            targetOut[b * tt + t.length] = Tokenizer.EOS;
        }
        return new Batch(size, ts, tt, source, targetIn, targetOut, sourceLengths, targetLengths,
                pairs.stream().mapToInt(EncodedPair::id).toArray());
    }

    /** Cells the batch occupies, padding included: size * max(sourceLength, targetLength). */
    public int paddedTokens() { return size * Math.max(sourceLength, targetLength); }
}
