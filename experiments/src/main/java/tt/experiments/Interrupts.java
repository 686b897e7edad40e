package tt.experiments;

/**
 * Ctrl-C and SIGTERM (how Slurm preempts a job): every training checkpoints after its current
 * update and stops, and the JVM waits for those checkpoints before it exits. Nothing else stops a
 * training in the middle: a kill -9 is covered by the regular checkpoints instead.
 */
final class Interrupts {
    /** How long the JVM waits for trainings to checkpoint: below Slurm's default 30 s grace would lose big models. */
    private static final long WAIT_MILLIS = 5 * 60 * 1000;
    private static final Object LOCK = new Object();
    private static volatile boolean requested;
    private static int training;

    /** Thrown out of a training loop that stopped on request, after its checkpoint. */
    static final class Stopped extends RuntimeException {
        final int update;

        Stopped(int update, String message) {
            super(message);
            this.update = update;
        }
    }

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Interrupts::drain, "checkpoint-on-exit"));
    }

    private Interrupts() {}

    static boolean requested() { return requested; }

    /** A training in progress, until closed. */
    interface Training extends AutoCloseable {
        @Override void close();
    }

    /** Marks a training as running until the returned handle is closed, so that an exit waits for its checkpoint. */
    static Training training() {
        synchronized (LOCK) {
            training++;
        }
        return () -> {
            synchronized (LOCK) {
                training--;
                LOCK.notifyAll();
            }
        };
    }

    private static void drain() {
        requested = true;
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        synchronized (LOCK) {
            while (training > 0 && System.currentTimeMillis() < deadline) {
                try {
                    LOCK.wait(Math.max(1, deadline - System.currentTimeMillis()));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
