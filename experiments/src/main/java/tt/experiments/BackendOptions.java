package tt.experiments;

import picocli.CommandLine.Option;
import tt.kernels.Backend;
import tt.kernels.jvm.JvmBackend;
import tt.kernels.jvm.NativeBlas;

/** --backend / --threads, shared by every subcommand that runs kernels. */
public final class BackendOptions {
    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--backend", defaultValue = "jvm", description = "Backend to run on: jvm (default).")
    String backend;

    @Option(names = "--threads", description = "JVM backend threads (default: all cores).")
    Integer threads;

    @Option(names = "--blas", defaultValue = "java", description = "GEMM on the jvm backend: java (default, Vector API) or native (system OpenBLAS).")
    String blas;

    public int threadCount() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }

    public Backend open() {
        if (!backend.equals("jvm")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--backend " + backend + " is not available in this build; use --backend jvm");
        }
        if (!blas.equals("java") && !blas.equals("native")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--blas " + blas + ": expected java or native");
        }
        return blas.equals("native") ? nativeBlas(threadCount(), "--blas native") : new JvmBackend(threadCount());
    }

    /** The jvm backend with GEMMs on the system OpenBLAS; an error naming {@code option} when there is none. */
    Backend nativeBlas(int threads, String option) {
        if (!NativeBlas.isAvailable()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), option + ": " + NativeBlas.description());
        }
        return new JvmBackend(threads, true);
    }
}
