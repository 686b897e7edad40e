package tt.model.data;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToIntFunction;
import tt.model.text.Tokenizer;

/**
 * A padded batch of {@code size} pairs, row-major, as one of the {@link Layout}s lays them out.
 * {@code source} [size * sourceLength] feeds an encoder, {@code targetIn} [size * targetLength] a
 * decoder, and {@code targetOut} holds what each position must predict (&lt;pad&gt; where nothing
 * is predicted). Rows are padded with &lt;pad&gt; to the batch's own longest row.
 * {@code sourceLengths} and {@code targetLengths} count each row's tokens before padding; {@code ids}
 * are the pairs' ids.
 */
public record Batch(int size, int sourceLength, int targetLength, int[] source, int[] targetIn, int[] targetOut,
                    int[] sourceLengths, int[] targetLengths, int[] ids) {

    /** How a pair becomes a batch row, one layout per model architecture. */
    public enum Layout {
        /**
         * Encoder-decoder: the source then &lt;/s&gt; into the encoder; &lt;s&gt; then the target into
         * the decoder, which predicts the target then &lt;/s&gt;.
         */
        PAIRS,
        /**
         * Encoder-only, one prediction per position (tagging): the source then &lt;/s&gt; into the
         * encoder, which predicts the target then &lt;/s&gt; at the same positions (the target is as
         * long as the source; &lt;pad&gt; in it predicts nothing, as at unmasked tokens of a
         * masked-token objective). The targets lie in targetIn/targetOut as long as the source.
         */
        TAGGED,
        /**
         * Decoder-only: one sequence &lt;s&gt;, the source and &lt;/s&gt; (left out when the source is
         * empty), then the target; the next token is predicted at every position, but counted only
         * from the last source token on, so the loss is the target's and its &lt;/s&gt;'s given the
         * source (a language model when the source is empty, translation with the source as prompt).
         */
        SEQUENCES;

        /** The positions a pair takes in a row of this layout, &lt;s&gt; or &lt;/s&gt; included. */
        public int positions(EncodedPair p) {
            return switch (this) {
                case PAIRS -> Math.max(p.source().length, p.target().length) + 1;
                case TAGGED -> p.source().length + 1;
                case SEQUENCES -> prompt(p.source()).length + p.target().length;
            };
        }

        /** Pads these pairs into one batch. */
        public Batch batch(List<EncodedPair> pairs) {
            return switch (this) {
                case PAIRS -> pairs(pairs);
                case TAGGED -> tagged(pairs);
                case SEQUENCES -> sequences(pairs);
            };
        }

        /** What a decoder-only model reads before its first prediction: &lt;s&gt;, then the source and &lt;/s&gt; if there is one. */
        public static int[] prompt(int[] source) {
            int[] prompt = new int[source.length == 0 ? 1 : source.length + 2];
            prompt[0] = Tokenizer.BOS;
            System.arraycopy(source, 0, prompt, 1, source.length);
            if (source.length > 0) prompt[prompt.length - 1] = Tokenizer.EOS;
            return prompt;
        }
    }

    /** Pads these pairs into one encoder-decoder batch ({@link Layout#PAIRS}). */
    public static Batch of(List<EncodedPair> pairs) { return Layout.PAIRS.batch(pairs); }

    private static Batch pairs(List<EncodedPair> pairs) {
        int size = pairs.size();
        int[] sourceLengths = lengths(pairs, p -> p.source().length + 1), targetLengths = lengths(pairs, p -> p.target().length + 1);
        int ts = max(sourceLengths), tt = max(targetLengths);
        int[] source = padded(size * ts), targetIn = padded(size * tt), targetOut = padded(size * tt);
        for (int b = 0; b < size; b++) {
            int[] s = pairs.get(b).source(), t = pairs.get(b).target();
            System.arraycopy(s, 0, source, b * ts, s.length);
            source[b * ts + s.length] = Tokenizer.EOS;
            targetIn[b * tt] = Tokenizer.BOS;
            System.arraycopy(t, 0, targetIn, b * tt + 1, t.length);
            System.arraycopy(t, 0, targetOut, b * tt, t.length);
            targetOut[b * tt + t.length] = Tokenizer.EOS;
        }
        return new Batch(size, ts, tt, source, targetIn, targetOut, sourceLengths, targetLengths, ids(pairs));
    }

    private static Batch tagged(List<EncodedPair> pairs) {
        for (EncodedPair p : pairs) {
            if (p.target().length != p.source().length) {
                throw new IllegalArgumentException("pair " + p.id() + ": an encoder-only model predicts one token per source token, but its target has "
                        + p.target().length + " tokens and its source " + p.source().length);
            }
        }
        Batch b = pairs(pairs);  // the source rows as for an encoder-decoder; the targets shift to the source's positions
        int[] targetOut = padded(b.size * b.sourceLength);
        for (int r = 0; r < b.size; r++) System.arraycopy(b.targetOut, r * b.targetLength, targetOut, r * b.sourceLength, b.sourceLengths[r]);
        return new Batch(b.size, b.sourceLength, b.sourceLength, b.source, targetOut.clone(), targetOut, b.sourceLengths, b.sourceLengths.clone(), b.ids);
    }

    private static Batch sequences(List<EncodedPair> pairs) {
        int size = pairs.size();
        int[] targetLengths = lengths(pairs, Layout.SEQUENCES::positions);
        int tt = max(targetLengths);
        int[] targetIn = padded(size * tt), targetOut = padded(size * tt);
        for (int b = 0; b < size; b++) {
            int[] prompt = Layout.prompt(pairs.get(b).source()), t = pairs.get(b).target();
            System.arraycopy(prompt, 0, targetIn, b * tt, prompt.length);
            System.arraycopy(t, 0, targetIn, b * tt + prompt.length, t.length);
            // The prediction at the prompt's last token is the target's first; the prompt's own tokens predict nothing.
            System.arraycopy(t, 0, targetOut, b * tt + prompt.length - 1, t.length);
            targetOut[b * tt + prompt.length - 1 + t.length] = Tokenizer.EOS;
        }
        return new Batch(size, 0, tt, new int[0], targetIn, targetOut, new int[size], targetLengths, ids(pairs));
    }

    private static int[] lengths(List<EncodedPair> pairs, ToIntFunction<EncodedPair> length) {
        return pairs.stream().mapToInt(length).toArray();
    }

    private static int max(int[] lengths) { return Arrays.stream(lengths).max().orElse(0); }

    private static int[] padded(int n) {
        int[] a = new int[n];
        Arrays.fill(a, Tokenizer.PAD);
        return a;
    }

    private static int[] ids(List<EncodedPair> pairs) { return pairs.stream().mapToInt(EncodedPair::id).toArray(); }

    /** Cells the batch occupies, padding included: size * max(sourceLength, targetLength). */
    public int paddedTokens() { return size * Math.max(sourceLength, targetLength); }
}
