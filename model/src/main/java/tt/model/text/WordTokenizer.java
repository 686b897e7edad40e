package tt.model.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Word-level tokenizer. The splitting rule: text is cut at whitespace, then inside each part a
 * maximal run of letters, digits and combining marks is one token and every other character
 * (punctuation, symbols) is a token of its own: {@code "A woman's T-shirt."} gives
 * {@code A woman ' s T - shirt .}. Words not in the vocabulary encode to <unk>. Decoding joins the
 * tokens with single spaces: it gives back the split text, not the original spacing.
 */
public final class WordTokenizer implements Tokenizer {
    static final String TYPE = "word";

    private final List<String> tokens;
    private final Map<String, Integer> ids = new HashMap<>();

    /** A tokenizer over exactly these tokens, which must start with the specials. */
    WordTokenizer(List<String> tokens) {
        if (!tokens.subList(0, Math.min(tokens.size(), SPECIALS.size())).equals(SPECIALS)) {
            throw new IllegalArgumentException("the vocabulary must start with " + SPECIALS);
        }
        this.tokens = List.copyOf(tokens);
        for (String t : tokens) {
            if (ids.putIfAbsent(t, ids.size()) != null) throw new IllegalArgumentException("token '" + t + "' appears twice");
        }
    }

    /** The specials followed by these words, in this order (ids 4, 5, ...). */
    public static WordTokenizer of(List<String> words) {
        List<String> all = new ArrayList<>(SPECIALS);
        all.addAll(words);
        return new WordTokenizer(all);
    }

    /**
     * Learns the vocabulary of these sentences (pass both sides for a shared one): every token seen
     * at least {@code minFrequency} times, most frequent first (ties in string order), at most
     * {@code maxVocab} entries including the specials.
     */
    public static WordTokenizer train(Iterable<String> sentences, int minFrequency, int maxVocab) {
        if (minFrequency < 1) throw new IllegalArgumentException("minimum frequency must be >= 1, got " + minFrequency);
        if (maxVocab < SPECIALS.size()) throw new IllegalArgumentException("maximum vocabulary must be >= " + SPECIALS.size() + ", got " + maxVocab);
        Map<String, Integer> counts = new HashMap<>();
        for (String s : sentences) for (String t : split(s)) counts.merge(t, 1, Integer::sum);
        List<String> words = counts.entrySet().stream()
                .filter(e -> e.getValue() >= minFrequency)
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(maxVocab - SPECIALS.size())
                .map(Map.Entry::getKey)
                .toList();
        return of(words);
    }

    /** The tokens of a text by the splitting rule above. */
    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        for (String part : Tokenizer.words(text)) {
            int wordStart = -1;
            for (int i = 0; i < part.length(); i += Character.charCount(part.codePointAt(i))) {
                int c = part.codePointAt(i);
                if (isWordChar(c)) {
                    if (wordStart < 0) wordStart = i;
                    continue;
                }
                if (wordStart >= 0) out.add(part.substring(wordStart, i));
                wordStart = -1;
                out.add(Character.toString(c));
            }
            if (wordStart >= 0) out.add(part.substring(wordStart));
        }
        return out;
    }

    private static boolean isWordChar(int c) {
        int type = Character.getType(c);
        return Character.isLetterOrDigit(c) || type == Character.NON_SPACING_MARK
                || type == Character.COMBINING_SPACING_MARK || type == Character.ENCLOSING_MARK;
    }

    @Override public int[] encode(String text) { return split(text).stream().mapToInt(this::id).toArray(); }

    @Override public String decode(int[] ids) {
        var out = new StringBuilder();
        for (int id : ids) {
            if (id == PAD || id == BOS || id == EOS) continue;
            if (!out.isEmpty()) out.append(' ');
            out.append(token(id));
        }
        return out.toString();
    }

    @Override public int vocabSize() { return tokens.size(); }

    @Override public String token(int id) { return tokens.get(id); }

    @Override public int id(String token) { return ids.getOrDefault(token, UNK); }

    @Override public void save(Path file) throws IOException {
        TokenizerFiles.save(file, TYPE, List.of(), new TokenizerFiles.Field("tokens", tokens));
    }
}
