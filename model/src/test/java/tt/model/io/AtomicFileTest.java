package tt.model.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AtomicFileTest {
    @TempDir Path dir;

    private List<Path> filesInDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test void successfulWriteReplacesTheFile() throws IOException {
        Path target = dir.resolve("checkpoint.bin");
        Files.writeString(target, "old content");
        AtomicFile.write(target, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of(target), filesInDir());
    }

    /** The writer dies after 3 MB (beyond any buffer): the old file stays byte for byte, no temp file remains. */
    @Test void failureMidWriteKeepsTheOldFile() throws IOException {
        Path target = dir.resolve("checkpoint.bin");
        Files.writeString(target, "old content");
        IOException diskFull = new IOException("simulated: no space left on device");
        IOException thrown = assertThrows(IOException.class, () -> AtomicFile.write(target, out -> {
            out.write(new byte[3 << 20]);
            throw diskFull;
        }));
        assertSame(diskFull, thrown);
        assertEquals("old content", Files.readString(target));
        assertEquals(List.of(target), filesInDir());

        assertThrows(IllegalStateException.class, () -> AtomicFile.write(target, out -> {
            out.write(1);
            throw new IllegalStateException("bug in the writer");
        }));
        assertEquals("old content", Files.readString(target));
        assertEquals(List.of(target), filesInDir());
    }

    @Test void failedFirstWriteLeavesNoFile() {
        Path target = dir.resolve("new.bin");
        assertThrows(IOException.class, () -> AtomicFile.write(target, out -> { throw new IOException("fail"); }));
        assertFalse(Files.exists(target));
    }
}
