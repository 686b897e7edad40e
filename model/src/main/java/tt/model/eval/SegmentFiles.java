package tt.model.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Reads one segment per line the way the sacrebleu command does, so scores of the same files agree. */
public final class SegmentFiles {
    private SegmentFiles() {}

    /** A plain or .gz UTF-8 file's lines; errors name the file. */
    public static List<String> read(Path file) throws IOException {
        byte[] bytes;
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IOException(file + ": " + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()), e);
        }
        return lines(bytes, file.toString());
    }

    /** The lines of a UTF-8 stream; errors name it {@code name}. */
    public static List<String> read(InputStream in, String name) throws IOException {
        return lines(in.readAllBytes(), name);
    }

    /**
     * Lines split at '\n' only (a final '\n' ends the last line, it does not start an empty one), trailing
     * whitespace stripped. Invalid UTF-8 is an error naming {@code name}.
     */
    private static List<String> lines(byte[] utf8, String name) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(name + ": not valid UTF-8 (" + e + ")", e);
        }
        List<String> lines = new ArrayList<>();
        for (int start = 0; start < text.length(); ) {
            int end = text.indexOf('\n', start);
            if (end < 0) end = text.length();
            lines.add(PythonText.rstrip(text.substring(start, end)));
            start = end + 1;
        }
        return lines;
    }
}
