package tt.model.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of files and tensors (as sha256sum would print them), and I/O failures in words that name the file. */
public final class Checksums {
    private Checksums() {}

    public static String sha256(Path file) throws IOException {
        MessageDigest d = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] chunk = new byte[1 << 16];
            for (int n; (n = in.read(chunk)) > 0; ) d.update(chunk, 0, n);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /** Of the tensor's bytes as a safetensors file holds them (little-endian), so a file's tensor and memory's agree. */
    public static String sha256(Tensor t) {
        MessageDigest d = digest();
        try {
            t.littleEndian(new byte[1 << 16], (bytes, len) -> d.update(bytes, 0, len));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);  // a digest does no I/O
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /**
     * What went wrong, readable: "no such file: X", "permission denied: X", the OS's reason with the
     * file ("X: No space left on device"), or the message.
     */
    public static String reason(IOException e) {
        return switch (e) {
            case NoSuchFileException n -> "no such file: " + n.getFile();
            case AccessDeniedException a -> "permission denied: " + a.getFile();
            case FileSystemException f -> f.getFile() + ": " + (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName());
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
