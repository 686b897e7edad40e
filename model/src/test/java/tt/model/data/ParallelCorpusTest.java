package tt.model.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelCorpusTest {
    @TempDir Path temp;

    static Path multi30k() throws IOException { return Multi30k.locate(null); }

    @Test void multi30kSplitsHaveTheirKnownSizes() throws IOException {
        Path dir = multi30k();
        for (Multi30k.Split split : Multi30k.Split.values()) {
            ParallelCorpus corpus = Multi30k.read(dir, split, "de", "en", ParallelCorpus.Options.DEFAULT);
            assertEquals(split.sentences, corpus.size(), split.stem);
        }
        ParallelCorpus val = Multi30k.read(dir, Multi30k.Split.VAL, "de", "en", ParallelCorpus.Options.DEFAULT);
        assertEquals("Eine Gruppe von Männern lädt Baumwolle auf einen Lastwagen", val.source().get(0));
        assertEquals("A group of men are loading cotton onto a truck", val.target().get(0));
    }

    @Test void plainAndGzipAreToldApartByContentNotName() throws IOException {
        String text = "Ein Mann schläft.\nZwei Hunde\n";
        Path plainNamedGz = write("plain.gz", text.getBytes(StandardCharsets.UTF_8));
        Path gzipNamedTxt = write("gzip.txt", gzip(text));
        assertEquals(List.of("Ein Mann schläft.", "Zwei Hunde"), TextLines.read(plainNamedGz));
        assertEquals(TextLines.read(plainNamedGz), TextLines.read(gzipNamedTxt));
    }

    @Test void gunzippedMulti30kReadsLikeTheGzipFile() throws IOException {
        Path gz = Multi30k.file(multi30k(), Multi30k.Split.VAL, "de");
        Path plain = temp.resolve("val.de");
        try (var in = TextLines.open(gz)) {
            Files.copy(in, plain);
        }
        assertEquals(TextLines.read(gz), TextLines.read(plain));
    }

    @Test void lineEndingsByteOrderMarkAndMissingFinalNewline() throws IOException {
        byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
        Path file = write("crlf.txt", concat(bom, "first\r\n\r\nthird".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("first", "", "third"), TextLines.read(file));
        assertEquals(new TextLines.Head(List.of("first"), 3), TextLines.read(file, 1));
        assertEquals(List.of(), TextLines.read(write("empty.txt", new byte[0])));
    }

    @Test void badUtf8NamesFileAndLine() throws IOException {
        byte[] latin1 = "ok\nstill ok\nM\u00e4nner\n".getBytes(StandardCharsets.ISO_8859_1);
        Path file = write("latin1.gz", gzip(latin1));
        IOException e = assertThrows(IOException.class, () -> TextLines.read(file));
        assertTrue(e.getMessage().contains(file + ": line 3 is not valid UTF-8"), e.getMessage());
        assertTrue(e.getMessage().contains("byte 0xe4 at byte 2"), e.getMessage());
    }

    @Test void misalignedFilesNameBothFilesAndCounts() throws IOException {
        Path de = write("a.de", "eins\nzwei\ndrei\n".getBytes(StandardCharsets.UTF_8));
        Path en = write("a.en", "one\ntwo\n".getBytes(StandardCharsets.UTF_8));
        IOException e = assertThrows(IOException.class, () -> ParallelCorpus.read(de, en, ParallelCorpus.Options.DEFAULT));
        assertTrue(e.getMessage().contains(de + " has 3 lines but " + en + " has 2"), e.getMessage());
        assertTrue(e.getMessage().contains("same split"), e.getMessage());
        // Alignment is checked over whole files even when only the first sentences are kept.
        assertThrows(IOException.class, () -> ParallelCorpus.read(de, en, ParallelCorpus.Options.DEFAULT.withMaxSentences(1)));
    }

    @Test void optionsLimitLowercaseAndTrim() throws IOException {
        Path de = write("b.de", "  Ein Hund \nZwei KATZEN\nDrei\n".getBytes(StandardCharsets.UTF_8));
        Path en = write("b.en", "A dog\n Two CATS\t\nThree\n".getBytes(StandardCharsets.UTF_8));
        var options = ParallelCorpus.Options.DEFAULT.withMaxSentences(2);
        assertEquals(new ParallelCorpus(List.of("Ein Hund", "Zwei KATZEN"), List.of("A dog", "Two CATS")), ParallelCorpus.read(de, en, options));
        assertEquals(new ParallelCorpus(List.of("  ein hund ", "zwei katzen"), List.of("a dog", " two cats\t")),
                ParallelCorpus.read(de, en, options.withLowercase(true).withTrim(false)));
        assertThrows(IllegalArgumentException.class, () -> options.withMaxSentences(-1));
    }

    private Path write(String name, byte[] bytes) throws IOException { return Files.write(temp.resolve(name), bytes); }

    static byte[] gzip(String text) throws IOException { return gzip(text.getBytes(StandardCharsets.UTF_8)); }

    static byte[] gzip(byte[] bytes) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
