package tt.model.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads a text file as lines: plain or gzip (told apart by the gzip magic bytes, whatever the
 * file's name), strictly decoded as UTF-8. Lines end at '\n'; a trailing '\r' and a UTF-8 byte
 * order mark at the start of the file are dropped. Lines are split on bytes before decoding (UTF-8
 * never has a '\n' byte inside a character), so a decoding error names its exact line.
 */
public final class TextLines {
    /** The first {@code max} lines, decoded, and how many lines the file has in all. */
    public record Head(List<String> lines, int count) {}

    private TextLines() {}

    public static List<String> read(Path file) throws IOException { return read(file, Integer.MAX_VALUE).lines(); }

    /** Decodes the first {@code max} lines and only counts the rest. */
    public static Head read(Path file, int max) throws IOException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder(); // reports malformed input by default
        List<String> lines = new ArrayList<>();
        byte[] chunk = new byte[1 << 16];
        byte[] line = new byte[256];
        int length = 0, count = 0;
        try (InputStream in = open(file)) {
            for (int n; (n = in.read(chunk)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (chunk[i] == '\n') {
                        if (count++ < max) lines.add(decode(utf8, line, length, file, count));
                        length = 0;
                    } else {
                        if (length == line.length) line = Arrays.copyOf(line, 2 * length);
                        line[length++] = chunk[i];
                    }
                }
            }
        }
        if (length > 0 && count++ < max) lines.add(decode(utf8, line, length, file, count));
        return new Head(List.copyOf(lines), count);
    }

    /** Opens a file for reading, through gunzip if it starts with the gzip magic bytes 1f 8b. */
    public static InputStream open(Path file) throws IOException {
        var in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
        in.reset();
        return gzip ? new GZIPInputStream(in, 1 << 16) : in;
    }

    private static String decode(CharsetDecoder utf8, byte[] bytes, int length, Path file, int lineNumber) throws IOException {
        int start = lineNumber == 1 && length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
        if (length > start && bytes[length - 1] == '\r') length--;
        ByteBuffer in = ByteBuffer.wrap(bytes, start, length - start);
        try {
            return utf8.reset().decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": line " + lineNumber + " is not valid UTF-8 (bad byte 0x"
                    + Integer.toHexString(bytes[in.position()] & 0xff) + " at byte " + (in.position() - start + 1)
                    + " of the line); convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8", e);
        }
    }
}
