package tt.kernels.jvm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * cblas_sgemm of a system OpenBLAS, bound through FFM and found at run time (Debian:
 * libopenblas0-pthread). Optional: when no library loads, {@link #isAvailable()} is false and
 * {@link #description()} says where it looked. Set -Dtt.openblas=/path/libopenblas.so to choose one.
 * Java arrays are passed in place (critical downcalls with heap access), so no copy is made.
 */
public final class NativeBlas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private static final List<String> CANDIDATES = List.of(
            "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
            "/usr/lib64/libopenblas.so.0", "/usr/lib/libopenblas.so.0", "/usr/local/lib/libopenblas.so.0",
            "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib");

    private record Library(MethodHandle sgemm, MethodHandle setThreads, String description) {}

    private static final String SEARCHED;
    private static final Library LIB;

    static {
        List<String> paths = new ArrayList<>();
        String chosen = System.getProperty("tt.openblas");
        if (chosen != null) paths.add(chosen);
        else paths.addAll(CANDIDATES);
        Library lib = null;
        List<String> tried = new ArrayList<>();
        for (String p : paths) {
            if (!Files.exists(Path.of(p))) {
                tried.add(p + " (absent)");
                continue;
            }
            try {
                lib = bind(Path.of(p));
                break;
            } catch (Throwable e) { // not an OpenBLAS, or one without these symbols: try the next
                tried.add(p + " (" + e + ")");
            }
        }
        SEARCHED = String.join(", ", tried);
        LIB = lib;
    }

    private NativeBlas() {}

    public static boolean isAvailable() { return LIB != null; }

    /** The library's path and OpenBLAS's own configuration and kernel name, or why none loaded. */
    public static String description() {
        return LIB != null ? LIB.description : "no OpenBLAS found (looked at " + SEARCHED
                + "; install libopenblas0-pthread or set -Dtt.openblas=PATH)";
    }

    /** OpenBLAS's thread count is process-wide. */
    public static void setThreads(int threads) {
        try {
            library().setThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads(" + threads + ") failed", t);
        }
    }

    /** Same semantics as {@link GemmKernels#gemm}: one cblas_sgemm per batch matrix. */
    public static void gemm(int batch, int m, int n, int k, boolean transA, boolean transB, float alpha,
                            float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        if (m <= 0 || n <= 0) return;
        MethodHandle sgemm = library().sgemm;
        MemorySegment as = MemorySegment.ofArray(a), bs = MemorySegment.ofArray(b), cs = MemorySegment.ofArray(c);
        int lda = Math.max(1, transA ? m : k), ldb = Math.max(1, transB ? k : n);
        for (int i = 0; i < batch; i++) {
            try {
                sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                        alpha, as.asSlice(4L * (aOff + i * m * k)), lda, bs.asSlice(4L * (bOff + i * k * n)), ldb,
                        beta, cs.asSlice(4L * (cOff + i * m * n)), n);
            } catch (Throwable t) {
                throw new IllegalStateException("cblas_sgemm failed", t);
            }
        }
    }

    private static Library library() {
        if (LIB == null) throw new IllegalStateException(description());
        return LIB;
    }

    private static Library bind(Path path) throws Throwable {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lookup = SymbolLookup.libraryLookup(path, Arena.global());
        MethodHandle sgemm = linker.downcallHandle(lookup.findOrThrow("cblas_sgemm"),
                FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                        JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT),
                Linker.Option.critical(true));
        MethodHandle setThreads = linker.downcallHandle(lookup.findOrThrow("openblas_set_num_threads"),
                FunctionDescriptor.ofVoid(JAVA_INT));
        return new Library(sgemm, setThreads, cString(linker, lookup, "openblas_get_config")
                + " (kernel " + cString(linker, lookup, "openblas_get_corename") + ") at " + path.toRealPath());
    }

    private static String cString(Linker linker, SymbolLookup lookup, String function) throws Throwable {
        MethodHandle h = linker.downcallHandle(lookup.findOrThrow(function), FunctionDescriptor.of(ADDRESS));
        return ((MemorySegment) h.invokeExact()).reinterpret(1024).getString(0);
    }
}
