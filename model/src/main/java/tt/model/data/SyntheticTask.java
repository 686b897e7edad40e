package tt.model.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import tt.model.text.Tokenizer;
import tt.model.text.WordTokenizer;

/**
 * A sequence task generated from a seed, needing no files: {@code count} source sequences of
 * {@code symbols} distinct symbols, each of a length drawn uniformly from [minLength, maxLength],
 * whose target is the source copied, reversed or sorted. Symbol k has token id 4 + k (after the
 * specials) and is written as the word "k", so {@link #tokenizer()} encodes {@link #corpus()}
 * to exactly {@link #pairs()}.
 */
public record SyntheticTask(Kind kind, int symbols, int minLength, int maxLength, int count, long seed) {
    public enum Kind { COPY, REVERSE, SORT }

    public static final int FIRST_SYMBOL = Tokenizer.SPECIALS.size();

    public SyntheticTask {
        if (symbols < 1) throw new IllegalArgumentException("synthetic task: symbols must be >= 1, got " + symbols);
        if (minLength < 1 || maxLength < minLength) {
            throw new IllegalArgumentException("synthetic task: lengths must satisfy 1 <= min <= max, got " + minLength + ".." + maxLength);
        }
        if (count < 0) throw new IllegalArgumentException("synthetic task: count must be >= 0, got " + count);
    }

    /** The UvA deep learning tutorial's setting: 10 symbols, sequences of length 16. */
    public static SyntheticTask of(Kind kind, int count, long seed) { return new SyntheticTask(kind, 10, 16, 16, count, seed); }

    public int vocabSize() { return FIRST_SYMBOL + symbols; }

    /** The sequences as token ids; the pair's id is its index. */
    public List<EncodedPair> pairs() {
        var random = new SplittableRandom(seed);
        List<EncodedPair> pairs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int[] source = new int[random.nextInt(minLength, maxLength + 1)];
            for (int t = 0; t < source.length; t++) source[t] = random.nextInt(FIRST_SYMBOL, vocabSize());
            pairs.add(new EncodedPair(i, source, target(source)));
        }
        return pairs;
    }

    private int[] target(int[] source) {
        return switch (kind) {
            case COPY -> source.clone();
            case REVERSE -> IntStream.range(0, source.length).map(i -> source[source.length - 1 - i]).toArray();
            case SORT -> {
                int[] sorted = source.clone();
                Arrays.sort(sorted);
                yield sorted;
            }
        };
    }

    /** The same sequences as text ("3 0 7 ..."), for code that handles every corpus alike. */
    public ParallelCorpus corpus() {
        Tokenizer words = tokenizer();
        List<EncodedPair> pairs = pairs();
        return new ParallelCorpus(pairs.stream().map(p -> words.decode(p.source())).toList(),
                pairs.stream().map(p -> words.decode(p.target())).toList());
    }

    /** The word tokenizer whose tokens are the specials and then the symbols "0", "1", ... */
    public WordTokenizer tokenizer() {
        return WordTokenizer.of(IntStream.range(0, symbols).mapToObj(Integer::toString).toList());
    }
}
