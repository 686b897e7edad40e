package tt.kernels.jvm;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that splits an index range into contiguous parts. Kernels either write
 * disjoint outputs per index or reduce over chunks whose boundaries do not depend on the thread
 * count, so results are identical run to run and across thread counts (StepGraphTest checks every kernel).
 *
 * <p>The calling thread runs the first part itself, and between calls the other threads spin for
 * {@link #SPIN_NANOS} before they sleep, as OpenMP runtimes do: a step is hundreds of kernel calls
 * of a few microseconds each, and waking a sleeping thread for each would cost more than the call.
 */
public final class Parallel implements AutoCloseable {

    /** Work on the half-open index range [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private static final String WORKER = "tt-kernel-thread-";

    /** How long an idle thread waits for the next call before it sleeps. */
    static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    /** Set by a worker before it sleeps, so that a new call knows to wake it. */
    private final boolean[] sleeping;
    private final AtomicInteger unfinished = new AtomicInteger();
    /** One call's work, published whole so that a worker never mixes two calls' fields. */
    private record Job(long id, Range body, int n, int parts) {}
    private volatile Job job = new Job(0, null, 0, 0);
    private volatile boolean closed;
    private volatile Throwable failure;
    private boolean inCall;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.sleeping = new boolean[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            int part = w + 1;
            workers[w] = Thread.ofPlatform().daemon().name(WORKER + part).start(() -> work(part));
        }
    }

    public int threads() { return threads; }

    /** Runs body over [0, n) in at most {@code threads} parts of at least {@code grain} indices. */
    public void range(int n, int grain, Range body) {
        int parts = (int) Math.min(threads, Math.max(1, (n + (long) grain - 1) / Math.max(grain, 1)));
        if (parts <= 1 || Thread.currentThread().getName().startsWith(WORKER)) {
            runInOrder(n, parts, body);
            return;
        }
        synchronized (this) {
            if (inCall) runInOrder(n, parts, body);  // a body that splits again
            else split(n, parts, body);
        }
    }

    private static void runInOrder(int n, int parts, Range body) {
        if (n > 0) for (int p = 0; p < parts; p++) body.run(start(n, p, parts), start(n, p + 1, parts));
    }

    private void split(int n, int parts, Range body) {
        if (closed) throw new IllegalStateException("the kernel threads were closed");
        failure = null;
        unfinished.set(parts - 1);
        job = new Job(job.id() + 1, body, n, parts);
        for (int w = 0; w < parts - 1; w++) if (sleeping(w)) LockSupport.unpark(workers[w]);
        inCall = true;
        try {
            body.run(0, start(n, 1, parts));
        } finally {
            inCall = false;
            awaitWorkers();
        }
        Throwable f = failure;
        if (f instanceof RuntimeException e) throw e;
        if (f instanceof Error e) throw e;
    }

    /**
     * Spins while the other parts finish (they take microseconds), then yields: a worker that another
     * process keeps off its core needs the core this thread would spin on.
     */
    private void awaitWorkers() {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (unfinished.get() > 0) {
            if (System.nanoTime() < spinUntil) Thread.onSpinWait();
            else Thread.yield();
        }
    }

    private static int start(int n, int part, int parts) { return (int) ((long) n * part / parts); }

    /** Worker {@code part}: runs its part of each new call, spinning a while between calls before it sleeps. */
    private void work(int part) {
        long seen = 0;
        while (!closed) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            Job next;
            while ((next = job).id() == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                    continue;
                }
                setSleeping(part - 1, true);
                if (job.id() == seen && !closed) LockSupport.park(this);
                setSleeping(part - 1, false);
            }
            if (closed) return;
            seen = next.id();
            if (part < next.parts()) {
                try {
                    next.body().run(start(next.n(), part, next.parts()), start(next.n(), part + 1, next.parts()));
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    unfinished.decrementAndGet();
                }
            }
        }
    }

    private static final java.lang.invoke.VarHandle SLEEPING = java.lang.invoke.MethodHandles.arrayElementVarHandle(boolean[].class);

    private boolean sleeping(int w) { return (boolean) SLEEPING.getVolatile(sleeping, w); }

    private void setSleeping(int w, boolean value) { SLEEPING.setVolatile(sleeping, w, value); }

    @Override public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
