package tt.experiments;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One writer per run directory. {@code DIR/.lock} holds the owner ("pid 123 on host h since ...")
 * under an OS file lock, which the OS releases when the owner dies, even by kill -9: a second
 * process is refused naming the owner, and a lock left by a dead process is taken over, saying so.
 * Directories held by this JVM are also kept in {@link #HELD} and never reopened: closing any
 * channel of a file drops every POSIX lock the process has on it.
 */
final class RunLock implements AutoCloseable {
    static final String FILE = ".lock";
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the directory (creating it), or fails naming the process that holds it. */
    static RunLock acquire(Path dir, PrintStream out) throws IOException {
        Files.createDirectories(dir);
        Path key = dir.toRealPath();
        if (!HELD.add(key)) throw inUse(dir, "this process");
        try {
            return acquireHeld(dir, key, out);
        } catch (IOException | RuntimeException e) {
            HELD.remove(key);
            throw e;
        }
    }

    private static RunLock acquireHeld(Path dir, Path key, PrintStream out) throws IOException {
        FileChannel channel = FileChannel.open(key.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        String previous = contents(channel);
        if (lock == null) {
            // The owner may have locked the file a moment ago and not yet written its name.
            for (int wait = 0; previous.isEmpty() && wait < 20; wait++) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                previous = contents(channel);
            }
            channel.close();
            throw inUse(dir, previous.isEmpty() ? "another process" : previous);
        }
        if (!previous.isEmpty()) out.println("taking over " + dir + " from " + previous + ", which is no longer running");
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(owner().getBytes(StandardCharsets.UTF_8)), 0);
        channel.force(true);
        return new RunLock(key, channel, lock);
    }

    private static IOException inUse(Path dir, String owner) {
        return new IOException(dir + " is in use by " + owner
                + "; wait for it to finish or stop it (a run directory has one writer at a time)");
    }

    /** Who holds the directory now, or "" if nobody does. */
    static String owner(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) return "";
        if (HELD.contains(dir.toRealPath())) return "this process";
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock probe = channel.tryLock();
            if (probe == null) return contents(channel);
            probe.release();
            return "";
        }
    }

    private static String contents(FileChannel channel) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(channel.size(), 4096));
        channel.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
    }

    private static String owner() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        return "pid " + ProcessHandle.current().pid() + " on " + host + " since " + Instant.now();
    }

    /** Clears the owner (an empty file means nobody) and releases the lock; the file stays, so nobody locks a deleted inode. */
    @Override public void close() throws IOException {
        try {
            channel.truncate(0);
            lock.release();
        } finally {
            channel.close();
            HELD.remove(dir);
        }
    }
}
