package tt.model.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Text to token ids and back. Every tokenizer starts its vocabulary with the same four specials,
 * <pad>=0 <s>=1 </s>=2 <unk>=3, so padding, sequence starts/ends and unknowns have fixed ids.
 * {@link #encode} adds no <s> or </s> (batching does); {@link #decode} drops <pad>, <s> and </s>.
 * A tokenizer is saved as a small JSON file and {@link #load} gives back one that encodes alike.
 */
public sealed interface Tokenizer permits WordTokenizer, BpeTokenizer {
    int PAD = 0, BOS = 1, EOS = 2, UNK = 3;
    List<String> SPECIALS = List.of("<pad>", "<s>", "</s>", "<unk>");

    int[] encode(String text);

    String decode(int[] ids);

    int vocabSize();

    /** The token with this id. */
    String token(int id);

    /** The id of this token, or {@link #UNK} if it is not in the vocabulary. */
    int id(String token);

    void save(Path file) throws IOException;

    /** Loads a file written by {@link #save}, of any tokenizer kind. */
    static Tokenizer load(Path file) throws IOException { return TokenizerFiles.load(file); }

    /**
     * The text as tokenizers see it: no leading or trailing whitespace, and each inner run of
     * whitespace one space. Whitespace is {@link Character#isWhitespace}, so a no-break space is
     * an ordinary character.
     */
    static String normalize(String text) {
        var out = new StringBuilder(text.length());
        boolean space = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                space = true;
            } else {
                if (space && !out.isEmpty()) out.append(' ');
                space = false;
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The words of the text: its whitespace-separated parts. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        for (String w : normalize(text).split(" ")) if (!w.isEmpty()) words.add(w);
        return words;
    }
}
