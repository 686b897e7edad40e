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
        m.put("git_commit", gitCommit());
        m.put("jdk", System.getProperty("java.vm.vendor") + " " + Runtime.version());
        m.put("backend", backend.name());
        m.put("device", backend.device());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("date", Instant.now().toString());
        m.put("options", Json.MAPPER.readTree(optionsJson));
        byte[] bytes = Json.write(m).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(runDir.resolve("manifest.json"), out -> out.write(bytes));
    }

    private static String sha256(String text) {
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
