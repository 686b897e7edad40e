package tt.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordTokenizerTest {
    @TempDir Path temp;

    static final List<String> SENTENCES = List.of("A dog runs.", "A dog, a cat.", "The cat sleeps!", "a DOG");

    @Test void splitsOnWhitespaceAndPunctuation() {
        assertEquals(List.of("A", "woman", "'", "s", "T", "-", "shirt", "."), WordTokenizer.split("  A woman's\tT-shirt. "));
        assertEquals(List.of("Männer", "(", "3", ".", "5", "km", "/", "h", ")", "„", "gut", "“"), WordTokenizer.split("Männer (3.5 km/h) „gut“"));
        assertEquals(List.of("Cafe\u0301", "!"), WordTokenizer.split("Cafe\u0301!"), "a combining accent stays in its word");
        assertEquals(List.of(), WordTokenizer.split(" \t "));
    }

    @Test void vocabularyIsByFrequencyThenStringAndCutsOffRareWords() {
        WordTokenizer words = WordTokenizer.train(SENTENCES, 2, 100);
        // counts: . 2, A 2, cat 2, dog 2, a 2; once: runs , The sleeps ! DOG
        assertEquals(List.of("<pad>", "<s>", "</s>", "<unk>", ".", "A", "a", "cat", "dog"),
                IntStream.range(0, words.vocabSize()).mapToObj(words::token).toList());
        assertArrayEquals(new int[] {5, 8, Tokenizer.UNK, 4}, words.encode("A dog runs."));
        assertEquals("A dog <unk> .", words.decode(words.encode("A dog runs.")));
        assertEquals(Tokenizer.UNK, words.id("DOG"), "case is kept, so DOG is another word");
        assertEquals(7, WordTokenizer.train(SENTENCES, 2, 7).vocabSize());
        assertEquals(4 + 11, WordTokenizer.train(SENTENCES, 1, 100).vocabSize());
        assertEquals(4, WordTokenizer.train(SENTENCES, 3, 100).vocabSize());
    }

    @Test void decodeSkipsPaddingAndSequenceMarks() {
        WordTokenizer words = WordTokenizer.of(List.of("hello", "world"));
        assertEquals("hello world <unk>", words.decode(new int[] {Tokenizer.BOS, 4, 5, 3, Tokenizer.EOS, Tokenizer.PAD, Tokenizer.PAD}));
    }

    @Test void savesAndLoadsExactly() throws IOException {
        Path file = temp.resolve("words.json");
        SaveLoad.assertRoundTrips(WordTokenizer.train(SENTENCES, 2, 100), file, SENTENCES);
        assertTrue(Files.readString(file).contains("\"type\" : \"word\""));
    }

    @Test void badFilesAreReportedByName() throws IOException {
        Path file = temp.resolve("bad.json");
        Files.writeString(file, "{\"type\": \"word\", \"specials\": [\"<pad>\", \"<s>\", \"</s>\", \"<unk>\"], \"tokens\": [\"<pad>\", \"<s>\", \"</s>\", \"<unk>\", \"a\", \"a\"]}");
        var e = assertThrows(IOException.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file + ": token 'a' appears twice"), e.getMessage());
        Files.writeString(file, "{\"type\": \"char\", \"specials\": [\"<pad>\", \"<s>\", \"</s>\", \"<unk>\"]}");
        e = assertThrows(IOException.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().contains("unknown tokenizer type 'char'"), e.getMessage());
        Files.writeString(file, "{\"type\": \"word\", \"specials\": [\"<unk>\"]}");
        e = assertThrows(IOException.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().contains("specials [<unk>] differ"), e.getMessage());
        Files.writeString(file, "not json");
        e = assertThrows(IOException.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file + ": not a tokenizer file"), e.getMessage());
    }

    @Test void normalizeCollapsesWhitespaceButKeepsNoBreakSpace() {
        assertEquals("a b c", Tokenizer.normalize("\t a  b\r\nc  "));
        assertEquals("a\u00a0b", Tokenizer.normalize("a\u00a0b"));
        assertEquals(List.of("a", "b"), Tokenizer.words(" a \n b "));
    }
}
