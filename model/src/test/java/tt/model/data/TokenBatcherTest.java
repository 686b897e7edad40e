package tt.model.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import tt.model.text.Tokenizer;

class TokenBatcherTest {
    /** Pairs of independent random lengths in [1, maxLength], ids 4.. so no pad, <s> or </s> inside. */
    static List<EncodedPair> randomPairs(int count, int maxLength, long seed) {
        var random = new SplittableRandom(seed);
        List<EncodedPair> pairs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            pairs.add(new EncodedPair(i, random.ints(random.nextInt(1, maxLength + 1), 4, 50).toArray(),
                    random.ints(random.nextInt(1, maxLength + 1), 4, 50).toArray()));
        }
        return pairs;
    }

    @Test void everyPairOnceWithinBudgetPaddedToTheBatchMax() {
        List<EncodedPair> pairs = randomPairs(1000, 60, 1);
        for (int maxTokens : new int[] {61, 333, 4096}) {
            List<Batch> batches = new TokenBatcher(pairs, maxTokens).epoch(7, 0);
            int[] seen = new int[pairs.size()];
            for (Batch batch : batches) {
                assertTrue(batch.paddedTokens() <= maxTokens, batch.paddedTokens() + " > " + maxTokens);
                assertEquals(Arrays.stream(batch.sourceLengths()).max().orElseThrow(), batch.sourceLength());
                assertEquals(Arrays.stream(batch.targetLengths()).max().orElseThrow(), batch.targetLength());
                for (int b = 0; b < batch.size(); b++) {
                    EncodedPair p = pairs.get(batch.ids()[b]);
                    seen[p.id()]++;
                    checkRow(p, batch, b);
                }
            }
            assertTrue(Arrays.stream(seen).allMatch(n -> n == 1), "each pair exactly once with max tokens " + maxTokens);
        }
    }

    /** Row b holds the pair: source + </s>, <s> + target, target + </s>, then only <pad>. */
    private static void checkRow(EncodedPair p, Batch batch, int b) {
        int ts = batch.sourceLength(), tt = batch.targetLength();
        int[] s = p.source(), t = p.target();
        assertEquals(s.length + 1, batch.sourceLengths()[b]);
        assertEquals(t.length + 1, batch.targetLengths()[b]);
        int[] source = Arrays.copyOfRange(batch.source(), b * ts, (b + 1) * ts);
        int[] targetIn = Arrays.copyOfRange(batch.targetIn(), b * tt, (b + 1) * tt);
        int[] targetOut = Arrays.copyOfRange(batch.targetOut(), b * tt, (b + 1) * tt);
        assertArrayEquals(padded(s, -1, Tokenizer.EOS, ts), source);
        assertArrayEquals(padded(t, Tokenizer.BOS, -1, tt), targetIn);
        assertArrayEquals(padded(t, -1, Tokenizer.EOS, tt), targetOut);
    }

    private static int[] padded(int[] tokens, int first, int last, int length) {
        int[] row = new int[length]; // all <pad> (0)
        int n = 0;
        if (first >= 0) row[n++] = first;
        for (int t : tokens) row[n++] = t;
        if (last >= 0) row[n] = last;
        return row;
    }

    @Test void sameSeedAndEpochSameBatchesOtherEpochOtherOrder() {
        var batcher = new TokenBatcher(randomPairs(500, 30, 2), 512);
        assertEquals(idsOf(batcher.epoch(3, 1)), idsOf(batcher.epoch(3, 1)));
        assertNotEquals(idsOf(batcher.epoch(3, 1)), idsOf(batcher.epoch(3, 2)));
        assertNotEquals(idsOf(batcher.epoch(3, 1)), idsOf(batcher.epoch(4, 1)));
    }

    @Test void batchesGroupSimilarLengths() {
        List<EncodedPair> pairs = randomPairs(2000, 50, 3);
        List<Batch> batches = new TokenBatcher(pairs, 1024).inLengthOrder();
        // Budgeted cells beyond each pair's own cost: small, because similar costs share a batch.
        int cells = batches.stream().mapToInt(Batch::paddedTokens).sum();
        int costs = pairs.stream().mapToInt(Batch.Layout.PAIRS::positions).sum();
        assertTrue(cells < 1.05 * costs, cells + " cells for pairs costing " + costs);
        for (int i = 1; i < batches.size(); i++) {
            assertTrue(Math.max(batches.get(i - 1).sourceLength(), batches.get(i - 1).targetLength())
                    <= Math.max(batches.get(i).sourceLength(), batches.get(i).targetLength()));
        }
    }

    @Test void lengthFilterAndOversizedPairs() {
        List<EncodedPair> pairs = randomPairs(300, 40, 4);
        List<EncodedPair> kept = TokenBatcher.filterByLength(pairs, 20);
        assertTrue(kept.stream().allMatch(p -> p.source().length <= 20 && p.target().length <= 20));
        assertEquals(pairs.stream().filter(p -> p.source().length <= 20 && p.target().length <= 20).count(), kept.size());
        var e = assertThrows(IllegalArgumentException.class, () -> new TokenBatcher(pairs, 30));
        assertTrue(e.getMessage().contains("more than max tokens 30") && e.getMessage().contains("filterByLength"), e.getMessage());
        assertEquals(kept.size(), new TokenBatcher(kept, 21).epoch(0, 0).stream().mapToInt(Batch::size).sum());
    }

    private static List<List<Integer>> idsOf(List<Batch> batches) {
        return batches.stream().map(b -> Arrays.stream(b.ids()).boxed().toList()).toList();
    }
}
