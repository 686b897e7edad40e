package tt.experiments;

import tt.kernels.Backend;
import tt.model.io.AtomicFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** manifest.json of a run: what produced its numbers (options and their hash, code, JDK, backend, machine, date). */
final class Manifest {
    private Manifest() {}

    static void write(Path runDir, TrainOptions options, Backend backend) throws IOException {
        String optionsJson = Json.write(options);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config_sha256", sha256(optionsJson));
        m.putAll(environment());
        m.put("backend", backend.name());
        m.put("device", backend.device());
        m.put("date", Instant.now().toString());
        m.put("options", Json.MAPPER.readTree(optionsJson));
        write(runDir.resolve(RunDirectory.MANIFEST), m);
    }

    static void write(Path file, Map<String, Object> manifest) throws IOException {
        byte[] bytes = Json.write(manifest).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, out -> out.write(bytes));
    }

    /** What produced the numbers besides the options and the backend: code, JDK, OS, CPU. */
    static Map<String, Object> environment() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("git_commit", gitCommit());
        m.put("jdk", System.getProperty("java.vm.vendor") + " " + Runtime.version());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        return m;
    }

    /** The CPU's model name from /proc/cpuinfo (Linux), or the architecture elsewhere. */
    private static String cpuModel() {
        try (var lines = java.nio.file.Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst()
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException | java.io.UncheckedIOException e) {
            return System.getProperty("os.arch");
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** HEAD of the working directory's git checkout (with "-dirty" if it has changes), or "unknown". */
    private static String gitCommit() {
        try {
            Process head = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String commit = new String(head.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!head.waitFor(10, TimeUnit.SECONDS) || head.exitValue() != 0) return "unknown";
            Process status = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").redirectErrorStream(true).start();
            boolean dirty = !new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8).isBlank();
            status.waitFor(10, TimeUnit.SECONDS);
            return dirty ? commit + "-dirty" : commit;
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
