package tt.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

final class SaveLoad {
    private SaveLoad() {}

    /** Saves, loads back, and checks the same kind, the same token for every id and the same encodings. */
    static void assertRoundTrips(Tokenizer tokenizer, Path file, List<String> samples) throws IOException {
        tokenizer.save(file);
        Tokenizer loaded = Tokenizer.load(file);
        assertSame(tokenizer.getClass(), loaded.getClass());
        assertEquals(tokenizer.vocabSize(), loaded.vocabSize());
        for (int id = 0; id < tokenizer.vocabSize(); id++) assertEquals(tokenizer.token(id), loaded.token(id));
        for (String s : samples) assertArrayEquals(tokenizer.encode(s), loaded.encode(s), s);
    }
}
