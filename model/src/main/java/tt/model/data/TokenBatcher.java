package tt.model.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batches by token count, like fairseq's --max-tokens: a pair costs the positions its row takes in
 * the batch layout ({@link Batch.Layout#positions}: max(source + 1, target + 1) for an
 * encoder-decoder), and a batch of B pairs padded to its longest costs B times its largest pair
 * cost, padding included; this never exceeds {@code maxTokens}. Pairs are sorted by length so that batches need little padding, cut greedily
 * into batches, and the batch order is shuffled. Each epoch first shuffles the pairs (so pairs of
 * equal length meet different partners) and then sorts stably; everything is drawn from
 * (seed, epoch), so the same seed and epoch give the same batches.
 */
public final class TokenBatcher {
    private final List<EncodedPair> pairs;
    private final int maxTokens;
    private final Batch.Layout layout;
    private final Comparator<EncodedPair> byLength;

    public TokenBatcher(List<EncodedPair> pairs, int maxTokens) { this(pairs, maxTokens, Batch.Layout.PAIRS); }

    public TokenBatcher(List<EncodedPair> pairs, int maxTokens, Batch.Layout layout) {
        if (maxTokens < 1) throw new IllegalArgumentException("max tokens must be >= 1, got " + maxTokens);
        for (EncodedPair p : pairs) {
            if (layout.positions(p) > maxTokens) {
                throw new IllegalArgumentException("pair " + p.id() + " (source " + p.source().length + ", target " + p.target().length
                        + " tokens) needs " + layout.positions(p) + " tokens with <s> or </s>, more than max tokens " + maxTokens
                        + ": raise max tokens or drop long pairs with filterByLength");
            }
        }
        this.pairs = List.copyOf(pairs);
        this.maxTokens = maxTokens;
        this.layout = layout;
        this.byLength = Comparator.comparingInt(layout::positions).thenComparingInt((EncodedPair p) -> p.source().length)
                .thenComparingInt(p -> p.target().length);
    }

    /** The pairs whose source and target both have at most {@code maxLength} tokens (before </s>). */
    public static List<EncodedPair> filterByLength(List<EncodedPair> pairs, int maxLength) {
        return filterByLength(pairs, maxLength, Batch.Layout.PAIRS);
    }

    /**
     * The pairs whose rows in {@code layout} take at most {@code maxLength} + 1 positions: for an
     * encoder-decoder, both sides at most {@code maxLength} tokens before &lt;/s&gt;.
     */
    public static List<EncodedPair> filterByLength(List<EncodedPair> pairs, int maxLength, Batch.Layout layout) {
        return pairs.stream().filter(p -> p.source().length <= maxLength && p.target().length <= maxLength
                && layout.positions(p) <= maxLength + 1).toList();
    }

    /** The batches of one training epoch, in shuffled order; each pair is in exactly one. */
    public List<Batch> epoch(long seed, int epoch) {
        var random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        List<EncodedPair> order = new ArrayList<>(pairs);
        shuffle(order, random);
        List<Batch> batches = batches(order);
        shuffle(batches, random);
        return batches;
    }

    /** The batches from shortest to longest, for evaluation (put outputs back in order by the ids). */
    public List<Batch> inLengthOrder() { return batches(new ArrayList<>(pairs)); }

    private List<Batch> batches(List<EncodedPair> order) {
        order.sort(byLength); // stable: equal lengths keep their shuffled order
        List<Batch> batches = new ArrayList<>();
        int start = 0, longest = 0;
        for (int i = 0; i < order.size(); i++) {
            int cost = layout.positions(order.get(i));
            if ((i - start + 1) * Math.max(longest, cost) > maxTokens) {
                batches.add(layout.batch(order.subList(start, i)));
                start = i;
                longest = 0;
            }
            longest = Math.max(longest, cost);
        }
        if (start < order.size()) batches.add(layout.batch(order.subList(start, order.size())));
        return batches;
    }

    private static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            list.set(j, list.set(i, list.get(j)));
        }
    }
}
