package tt.kernels;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel has an implementation on every backend. Kernel is sealed and both backends switch
 * over it exhaustively without a default, so a missing case is a compile error; but the TornadoVM
 * sources only compile where an SDK is installed, so this test, which runs in every build, reads
 * their switch and wants a case for every kernel.
 */
class BackendCoverageTest {
    private static final Path TORNADO_TASKS = Path.of("src/tornado/java/tt/kernels/tornado/KernelTasks.java");

    @Test
    void everyKernelRecordHasATornadoTask() throws IOException {
        String file = Files.readString(TORNADO_TASKS);
        int start = file.indexOf("switch (kernel) {");
        assertTrue(start >= 0, TORNADO_TASKS + " has no switch (kernel)");
        String source = file.substring(start, file.indexOf("\n        };", start));
        assertTrue(!source.contains("default ->"), TORNADO_TASKS + " switches over Kernel with a default branch; list every kernel instead");
        List<String> missing = Arrays.stream(Kernel.class.getPermittedSubclasses()).map(Class::getSimpleName)
                .filter(name -> !source.contains("case Kernel." + name + " ")).toList();
        assertEquals(List.of(), missing, "kernels without a TornadoVM task in " + TORNADO_TASKS);
        assertTrue(Kernel.class.getPermittedSubclasses().length >= 20, "Kernel is sealed over its records");
    }
}
