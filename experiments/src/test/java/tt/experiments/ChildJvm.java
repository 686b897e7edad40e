package tt.experiments;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** `tt ARGS` in a JVM of its own, as ./tt starts it: what a kill -9, a second process or a Slurm task needs. */
final class ChildJvm {
    private ChildJvm() {}

    /** The command that starts tt with this test's classes, like ./tt after a build. */
    static List<String> command() {
        return List.of(ProcessHandle.current().info().command().orElse("java"), "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName());
    }

    static Process start(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(command());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
