package tt.kernels;

/**
 * Runs step graphs. A backend owns device copies of buffer roots: {@link #upload} and
 * {@link #download} move whole buffers between host and device (no-ops where the host is the
 * device), and {@link Executable#run()} moves only the graph's inputs and outputs.
 */
public interface Backend extends AutoCloseable {

    /** A compiled graph, executed many times. */
    interface Executable {
        void run();
    }

    /** Short name for reports and CSV columns, e.g. "jvm". */
    String name();

    /** What it runs on, e.g. "JVM 25, 2 threads, Vector API 512-bit". */
    String device();

    Executable compile(StepGraph graph);

    void upload(Buf... bufs);

    void download(Buf... bufs);

    @Override
    default void close() {}
}
