package tt.model.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding (Sennrich et al. 2016) over characters, learned by {@link BpeTrainer}.
 *
 * <p>Pre-tokenization: text is {@linkplain Tokenizer#normalize normalized} and cut at whitespace;
 * each word starts with the marker {@value #WORD_START} (U+2581, as SentencePiece and HuggingFace's
 * Metaspace), which is an ordinary symbol of the alphabet that merges may join to what follows.
 * With {@code splitPunctuation} each word is further cut into {@linkplain #pieces pieces} where
 * letters and digits meet anything else, and no merge crosses a cut: "ladder." is "▁ladder" and
 * ".", as a Moses-tokenized corpus or SentencePiece (which splits at script changes) has it, rather
 * than a token of its own beside "ladder". Only the word's first piece carries the marker.
 * Decoding concatenates the tokens and turns markers back into spaces, so
 * {@code decode(encode(s)) == normalize(s)} for every text whose characters all occurred in training.
 * A character not seen in training (or a literal U+2581 in the text) encodes to <unk> and decodes as
 * "<unk>"; there is no byte fallback, which keeps every token a readable string.
 *
 * <p>Vocabulary: the specials, the marker, the training characters in code point order, then the
 * merged tokens in the order learned. Encoding a word applies the learned merges by rank, which
 * reproduces the segmentation training arrived at (but for the rare token that two different merges
 * build, after which a pair merged earlier may merge again at once).
 */
public final class BpeTokenizer implements Tokenizer {
    static final String TYPE = "bpe";
    /** The tokenizer file's flag for splitPunctuation (files from before it have no flags: whole words). */
    static final String SPLIT_PUNCTUATION = "split-punctuation";
    public static final String WORD_START = "\u2581";
    private static final int WORD_START_CODE_POINT = 0x2581;
    private static final int CACHE_LIMIT = 1 << 17;

    private final List<String> alphabet;
    private final List<String> merges;
    private final boolean splitPunctuation;
    private final List<String> tokens = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<Integer, Integer> charIds = new HashMap<>();
    private final Map<Long, Integer> mergeRanks = new HashMap<>();
    private final int[] mergeLefts, mergeRights, mergeResults;
    private final int wordStartId;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * A tokenizer from its alphabet (single characters, including the marker), its merges in rank
     * order, each written "left right" (tokens never hold a space), and its pre-tokenization.
     */
    BpeTokenizer(List<String> alphabet, List<String> merges, boolean splitPunctuation) {
        this.alphabet = List.copyOf(alphabet);
        this.merges = List.copyOf(merges);
        this.splitPunctuation = splitPunctuation;
        for (String t : SPECIALS) intern(t, tokens, ids);
        for (String c : alphabet) {
            if (c.codePointCount(0, c.length()) != 1) throw new IllegalArgumentException("alphabet entry '" + c + "' is not one character");
            if (ids.containsKey(c)) throw new IllegalArgumentException("alphabet entry '" + c + "' appears twice");
            charIds.put(c.codePointAt(0), intern(c, tokens, ids));
        }
        if (!ids.containsKey(WORD_START)) throw new IllegalArgumentException("the alphabet lacks the word-start marker " + WORD_START);
        wordStartId = ids.get(WORD_START);
        mergeLefts = new int[merges.size()];
        mergeRights = new int[merges.size()];
        mergeResults = new int[merges.size()];
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] pair = merges.get(rank).split(" ", -1);
            if (pair.length != 2 || !ids.containsKey(pair[0]) || !ids.containsKey(pair[1])
                    || SPECIALS.contains(pair[0]) || SPECIALS.contains(pair[1]) || SPECIALS.contains(pair[0] + pair[1])) {
                throw new IllegalArgumentException("merge #" + rank + " '" + merges.get(rank)
                        + "' is not two earlier tokens separated by one space, neither of them nor their join a special");
            }
            mergeLefts[rank] = ids.get(pair[0]);
            mergeRights[rank] = ids.get(pair[1]);
            mergeResults[rank] = intern(pair[0] + pair[1], tokens, ids);
            mergeRanks.putIfAbsent(pairKey(mergeLefts[rank], mergeRights[rank]), rank);
        }
    }

    /**
     * Learns a vocabulary of {@code vocabSize} tokens (fewer if no pair of symbols occurs twice)
     * from these sentences; pass both sides of a corpus for a shared one. See {@link BpeTrainer}.
     * With {@code splitPunctuation}, words are cut where letters and digits meet punctuation.
     */
    public static BpeTokenizer train(Iterable<String> sentences, int vocabSize, boolean splitPunctuation) {
        return BpeTrainer.learn(sentences, vocabSize, splitPunctuation);
    }

    /** Whether words are cut where letters and digits meet punctuation before BPE. */
    public boolean splitsPunctuation() { return splitPunctuation; }

    /** A stretch of a word that BPE segments on its own; {@code wordStart}: it begins the word, so its symbols begin with the marker. */
    record Piece(String text, boolean wordStart) {}

    /** The word as BPE sees it: one piece, or with splitPunctuation its maximal runs of word and of other characters. */
    List<Piece> pieces(String word) {
        if (!splitPunctuation) return List.of(new Piece(word, true));
        List<Piece> pieces = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < word.length(); ) {
            int next = i + Character.charCount(word.codePointAt(i));
            if (next == word.length() || isWordCharacter(word.codePointAt(i)) != isWordCharacter(word.codePointAt(next))) {
                pieces.add(new Piece(word.substring(start, next), start == 0));
                start = next;
            }
            i = next;
        }
        return pieces;
    }

    /** Letters, their combining marks and digits; what else a word holds (punctuation, symbols) is cut from them. */
    private static boolean isWordCharacter(int c) {
        return Character.isLetterOrDigit(c) || switch (Character.getType(c)) {
            case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK -> true;
            default -> false;
        };
    }

    @Override public int[] encode(String text) { return encode(text, 0, null); }

    /**
     * BPE-dropout (Provilkov et al. 2020): encodes as {@link #encode(String)}, but at every merge
     * step each candidate merge is skipped with probability {@code dropout}, so the same text comes
     * out segmented differently from draw to draw (dropout 0: exactly {@code encode}; 1: characters).
     * It still decodes to the same text. A chosen merge joins every occurrence of its pair in the
     * word, also any whose draw skipped it (a word rarely holds a pair twice).
     */
    public int[] encodeSampled(String text, double dropout, SplittableRandom random) {
        if (!(dropout >= 0 && dropout <= 1)) throw new IllegalArgumentException("BPE dropout must be in [0, 1], got " + dropout);
        return encode(text, dropout, random);
    }

    private int[] encode(String text, double dropout, SplittableRandom random) {
        int[] out = new int[16];
        int n = 0;
        for (String word : Tokenizer.words(text)) {
            int[] pieces = dropout > 0 ? encodeWord(word, dropout, random) : cached(word);
            if (n + pieces.length > out.length) out = Arrays.copyOf(out, Math.max(2 * out.length, n + pieces.length));
            System.arraycopy(pieces, 0, out, n, pieces.length);
            n += pieces.length;
        }
        return Arrays.copyOf(out, n);
    }

    /** A word's plain segmentation, remembered (up to a bound) since a corpus repeats its words. */
    private int[] cached(String word) {
        int[] pieces = cache.get(word);
        if (pieces == null) {
            pieces = encodeWord(word, 0, null);
            if (cache.size() < CACHE_LIMIT) cache.put(word, pieces);
        }
        return pieces;
    }

    /** The word's pieces, each segmented by {@link #encodePiece}, one after another. */
    private int[] encodeWord(String word, double dropout, SplittableRandom random) {
        List<Piece> pieces = pieces(word);
        if (pieces.size() == 1) return encodePiece(pieces.get(0), dropout, random);
        int[] out = new int[0];
        for (Piece piece : pieces) {
            int[] ids = encodePiece(piece, dropout, random);
            out = Arrays.copyOf(out, out.length + ids.length);
            System.arraycopy(ids, 0, out, out.length - ids.length, ids.length);
        }
        return out;
    }

    /** Applies the best-ranked merge the piece allows, again and again; with dropout, the best of those that survive their draws. */
    private int[] encodePiece(Piece piece, double dropout, SplittableRandom random) {
        int[] symbols = symbols(piece);
        int n = symbols.length;
        while (n > 1) {
            int best = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                int rank = mergeRanks.getOrDefault(pairKey(symbols[i], symbols[i + 1]), Integer.MAX_VALUE);
                // A candidate ranked at or below the best so far cannot win, so only the others need a draw.
                if (rank < best && (dropout == 0 || random.nextDouble() >= dropout)) best = rank;
            }
            if (best == Integer.MAX_VALUE) break;
            n = mergePair(symbols, n, mergeLefts[best], mergeRights[best], mergeResults[best], null);
        }
        return Arrays.copyOf(symbols, n);
    }

    /** The piece as symbols before any merge: the marker if it starts a word, then one id per character (<unk> if unseen). */
    int[] symbols(Piece piece) {
        String text = piece.text();
        int n = piece.wordStart() ? 1 : 0;
        int[] symbols = new int[text.codePointCount(0, text.length()) + n];
        if (piece.wordStart()) symbols[0] = wordStartId;
        for (int i = 0; i < text.length(); i += Character.charCount(text.codePointAt(i))) {
            int c = text.codePointAt(i);
            symbols[n++] = c == WORD_START_CODE_POINT ? UNK : charIds.getOrDefault(c, UNK);
        }
        return symbols;
    }

    /** Told of each replacement of a pair: the symbols now before and after it, -1 at a word edge. */
    interface MergeListener { void merged(int before, int after); }

    /**
     * Replaces each occurrence of (left, right) in {@code symbols[0, n)} by {@code merged}, left to
     * right and in place; returns the new length.
     */
    static int mergePair(int[] symbols, int n, int left, int right, int merged, MergeListener listener) {
        int out = 0;
        for (int i = 0; i < n; i++) {
            if (i + 1 < n && symbols[i] == left && symbols[i + 1] == right) {
                if (listener != null) listener.merged(out > 0 ? symbols[out - 1] : -1, i + 2 < n ? symbols[i + 2] : -1);
                symbols[out++] = merged;
                i++;
            } else {
                symbols[out++] = symbols[i];
            }
        }
        return out;
    }

    /**
     * A map key for the pair (left, right): both ids in one long, multiplied by an odd constant
     * (a bijection) because Long.hashCode, left ^ right, would put many pairs in one bucket.
     */
    static long pairKey(int left, int right) { return ((long) left << 32 | right) * 0x9E3779B97F4A7C15L; }

    /** The id of a token, appended to the vocabulary if new. */
    static int intern(String token, List<String> tokens, Map<String, Integer> ids) {
        return ids.computeIfAbsent(token, t -> {
            tokens.add(t);
            return tokens.size() - 1;
        });
    }

    @Override public String decode(int[] ids) {
        var out = new StringBuilder();
        for (int id : ids) if (id != PAD && id != BOS && id != EOS) out.append(token(id));
        String text = out.toString().replace(WORD_START, " ");
        return text.startsWith(" ") ? text.substring(1) : text;
    }

    @Override public int vocabSize() { return tokens.size(); }

    @Override public String token(int id) { return tokens.get(id); }

    @Override public int id(String token) { return ids.getOrDefault(token, UNK); }

    /** The merges in rank order, each "left right". */
    public List<String> merges() { return merges; }

    @Override public void save(Path file) throws IOException {
        TokenizerFiles.save(file, TYPE, splitPunctuation ? List.of(SPLIT_PUNCTUATION) : List.of(),
                new TokenizerFiles.Field("alphabet", alphabet), new TokenizerFiles.Field("merges", merges));
    }
}
