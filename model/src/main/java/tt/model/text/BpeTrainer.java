package tt.model.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;

/**
 * Learns BPE merges with the standard incremental algorithm (as subword-nmt and HuggingFace
 * tokenizers do): counts of adjacent symbol pairs over the distinct words weighted by their
 * frequency, an index from each pair to the words that hold it, and a max-heap of pairs whose stale
 * entries are skipped when popped. A merge rewrites only the words holding the pair and adjusts the
 * counts of the pairs around each occurrence, so it costs its number of occurrences, not a recount.
 * The most frequent pair is merged first; ties go to the smaller (left id, right id), so learning is
 * deterministic. It stops at the vocabulary size, or when no pair occurs {@value #MIN_PAIR_COUNT} times.
 */
final class BpeTrainer {
    static final int MIN_PAIR_COUNT = 2;

    /** A pair's count and the words that may hold it (appended to, never pruned: a stale word is skipped). */
    private static final class Pair {
        final int left, right;
        long count;
        int[] words = new int[2];
        int size;

        Pair(int left, int right) {
            this.left = left;
            this.right = right;
        }
    }

    /** A heap entry: a pair and its count when pushed. Most frequent first, ties to smaller ids. */
    private record Candidate(long count, int left, int right) implements Comparable<Candidate> {
        @Override public int compareTo(Candidate o) {
            if (count != o.count) return Long.compare(o.count, count);
            return left != o.left ? Integer.compare(left, o.left) : Integer.compare(right, o.right);
        }
    }

    private final List<String> tokens = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<Long, Pair> pairs = new HashMap<>();
    private final Set<Long> touched = new HashSet<>();
    private final PriorityQueue<Candidate> queue = new PriorityQueue<>();
    private final int[][] words;
    private final int[] lengths;
    private final long[] frequencies;

    private BpeTrainer(BpeTokenizer characters, Map<BpeTokenizer.Piece, Long> wordCounts) {
        for (int id = 0; id < characters.vocabSize(); id++) BpeTokenizer.intern(characters.token(id), tokens, ids);
        words = new int[wordCounts.size()][];
        lengths = new int[words.length];
        frequencies = new long[words.length];
        int w = 0;
        for (var e : wordCounts.entrySet()) {
            words[w] = characters.symbols(e.getKey());
            lengths[w] = words[w].length;
            frequencies[w] = e.getValue();
            for (int i = 0; i + 1 < lengths[w]; i++) count(words[w][i], words[w][i + 1], frequencies[w], w);
            w++;
        }
        requeueTouched();
    }

    static BpeTokenizer learn(Iterable<String> sentences, int vocabSize, boolean splitPunctuation) {
        Map<String, Long> counts = new HashMap<>();
        for (String s : sentences) for (String w : Tokenizer.words(s)) counts.merge(w, 1L, Long::sum);
        Set<Integer> seen = new TreeSet<>();
        counts.keySet().forEach(w -> w.codePoints().forEach(seen::add));
        seen.remove(BpeTokenizer.WORD_START.codePointAt(0));
        List<String> alphabet = new ArrayList<>(List.of(BpeTokenizer.WORD_START));
        seen.forEach(c -> alphabet.add(Character.toString(c)));
        int minimum = Tokenizer.SPECIALS.size() + alphabet.size();
        if (vocabSize < minimum) {
            throw new IllegalArgumentException("BPE vocabulary size " + vocabSize + " is below the " + minimum
                    + " tokens it needs for the 4 specials, the word-start marker and the " + (alphabet.size() - 1)
                    + " characters of the training text");
        }
        var characters = new BpeTokenizer(alphabet, List.of(), splitPunctuation);
        // Merges never cross pieces, so the trainer's "words" are the pieces.
        Map<BpeTokenizer.Piece, Long> pieceCounts = new HashMap<>();
        counts.forEach((word, count) -> characters.pieces(word).forEach(p -> pieceCounts.merge(p, count, Long::sum)));
        return new BpeTrainer(characters, pieceCounts).merge(alphabet, vocabSize, splitPunctuation);
    }

    private BpeTokenizer merge(List<String> alphabet, int vocabSize, boolean splitPunctuation) {
        List<String> merges = new ArrayList<>();
        Set<Long> merged = new HashSet<>();
        int[] lastVisit = new int[words.length];
        Arrays.fill(lastVisit, -1);
        for (int step = 0; tokens.size() < vocabSize && !queue.isEmpty(); step++) {
            Candidate best = queue.poll();
            long key = BpeTokenizer.pairKey(best.left(), best.right());
            Pair pair = pairs.get(key);
            if (pair == null || pair.count != best.count()) continue; // stale heap entry
            if (pair.count < MIN_PAIR_COUNT) break;
            String left = tokens.get(best.left()), right = tokens.get(best.right());
            if (Tokenizer.SPECIALS.contains(left + right)) { // text like "a<s>" must not rebuild a special
                pairs.remove(key);
                continue;
            }
            int result = BpeTokenizer.intern(left + right, tokens, ids);
            // A pair can come back when a later merge rebuilds one of its tokens; it keeps its first rank.
            if (merged.add(key)) merges.add(left + " " + right);
            for (int i = 0; i < pair.size; i++) {
                int w = pair.words[i];
                if (lastVisit[w] == step) continue;
                lastVisit[w] = step;
                long f = frequencies[w];
                lengths[w] = BpeTokenizer.mergePair(words[w], lengths[w], best.left(), best.right(), result, (before, after) -> {
                    if (before >= 0) {
                        count(before, best.left(), -f, w);
                        count(before, result, f, w);
                    }
                    if (after >= 0) {
                        count(best.right(), after, -f, w);
                        count(result, after, f, w);
                    }
                });
            }
            pairs.remove(key); // every occurrence is merged (overlaps like "a a a" decremented it already)
            touched.remove(key);
            requeueTouched();
        }
        return new BpeTokenizer(alphabet, merges, splitPunctuation);
    }

    /** Adds {@code delta} to the count of (left, right), seen in word {@code w}; <unk> never merges. */
    private void count(int left, int right, long delta, int w) {
        if (left == Tokenizer.UNK || right == Tokenizer.UNK) return;
        long key = BpeTokenizer.pairKey(left, right);
        Pair pair = pairs.get(key);
        if (pair == null) pairs.put(key, pair = new Pair(left, right));
        pair.count += delta;
        if (delta > 0 && (pair.size == 0 || pair.words[pair.size - 1] != w)) {
            if (pair.size == pair.words.length) pair.words = Arrays.copyOf(pair.words, 2 * pair.size);
            pair.words[pair.size++] = w;
        }
        touched.add(key);
    }

    /** Pushes the new counts of the pairs changed since the last call; drops the pairs now gone. */
    private void requeueTouched() {
        for (long key : touched) {
            Pair pair = pairs.get(key);
            if (pair == null) continue;
            if (pair.count <= 0) pairs.remove(key);
            else queue.add(new Candidate(pair.count, pair.left, pair.right));
        }
        touched.clear();
    }
}
