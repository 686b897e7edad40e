package tt.kernels;

/** What a profiled backend spent on one kernel type: time and calls, and the work those calls did by {@link KernelCost}. */
public final class KernelTime {
    private long nanos, calls;
    private double flops, bytes;

    public void add(long nanos, double flops, double bytes) {
        this.nanos += nanos;
        this.calls++;
        this.flops += flops;
        this.bytes += bytes;
    }

    /** Adds another entry's totals (e.g. to sum GEMM shapes into one kernel type). */
    public void add(KernelTime other) {
        nanos += other.nanos;
        calls += other.calls;
        flops += other.flops;
        bytes += other.bytes;
    }

    public long nanos() { return nanos; }

    public long calls() { return calls; }

    public double flops() { return flops; }

    public double bytes() { return bytes; }
}
