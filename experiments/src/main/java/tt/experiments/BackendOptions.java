package tt.experiments;

import picocli.CommandLine.Option;
import tt.kernels.Backend;
import tt.kernels.jvm.JvmBackend;

/** --backend / --threads, shared by every subcommand that runs kernels. */
public final class BackendOptions {
    @Option(names = "--backend", defaultValue = "jvm", description = "Backend to run on: jvm (default).")
    String backend;

    @Option(names = "--threads", description = "JVM backend threads (default: all cores).")
    Integer threads;

    public int threadCount() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }

    public Backend open() {
        if (!backend.equals("jvm")) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(new Main()),
                    "--backend " + backend + " is not available in this build; use --backend jvm");
        }
        return new JvmBackend(threadCount());
    }
}
