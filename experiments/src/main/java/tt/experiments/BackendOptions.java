package tt.experiments;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tt.kernels.Backend;
import tt.kernels.jvm.JvmBackend;
import tt.kernels.jvm.NativeBlas;

/** --backend / --threads / --blas / --device, shared by every subcommand that runs kernels. */
public final class BackendOptions {
    @Spec(Spec.Target.MIXEE) CommandSpec spec;

    @Option(names = "--backend", defaultValue = "jvm",
            description = "Backend to run on: jvm (default) or tornado (a TornadoVM build, launched by ./tt; see --device).")
    String backend;

    @Option(names = "--threads", description = "JVM backend threads (default: all cores).")
    Integer threads;

    @Option(names = "--blas", defaultValue = "java", description = "GEMM on the jvm backend: java (default, Vector API) or native (system OpenBLAS).")
    String blas;

    @Option(names = "--device", defaultValue = "0:0",
            description = "TornadoVM device as backend:device (default: ${DEFAULT-VALUE}); `tt devices` lists them.")
    String device;

    public int threadCount() {
        if (threads != null && threads < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }

    public Backend open() { return open(threadCount()); }

    /** The chosen backend; on the jvm backend with {@code threads} threads. */
    public Backend open(int threads) {
        try {
            return switch (backend) {
                case "jvm" -> jvm(threads);
                case "tornado" -> TornadoBridge.open(device);
                default -> throw new IllegalArgumentException("--backend " + backend + ": use jvm or tornado");
            };
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private Backend jvm(int threads) {
        if (!blas.equals("java") && !blas.equals("native")) throw new IllegalArgumentException("--blas " + blas + ": expected java or native");
        return blas.equals("native") ? nativeBlas(threads, "--blas native") : new JvmBackend(threads);
    }

    /** The jvm backend with GEMMs on the system OpenBLAS; an error naming {@code option} when there is none. */
    Backend nativeBlas(int threads, String option) {
        if (!NativeBlas.isAvailable()) throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + NativeBlas.description());
        return new JvmBackend(threads, true);
    }
}
