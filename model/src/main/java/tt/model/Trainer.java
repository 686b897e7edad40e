package tt.model;

import tt.kernels.Backend;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel.SmoothedLoss;

import tt.model.data.Batch;

import java.util.List;

/**
 * Runs a Transformer's graphs on a backend: initialise, train on (accumulated) batches, evaluate.
 * Host and device meet only at batch inputs, per-update scalars, and the loss statistics.
 */
public final class Trainer {
    /**
     * Sums of the loss statistics over batches: the smoothed objective (as configured: KL or
     * cross-entropy against the label-smoothed target, per token before reduction), non-pad target
     * tokens, tokens whose argmax is the target, and the plain negative log-likelihood of the targets.
     */
    public record LossTotals(double objective, long tokens, long correct, double nll) {
        static final LossTotals ZERO = new LossTotals(0, 0, 0, 0);

        static LossTotals of(float[] stats) {
            return new LossTotals(stats[SmoothedLoss.LOSS_SUM], (long) stats[SmoothedLoss.TOKENS], (long) stats[SmoothedLoss.CORRECT],
                    stats[SmoothedLoss.NLL_SUM]);
        }

        public LossTotals plus(LossTotals o) {
            return new LossTotals(objective + o.objective, tokens + o.tokens, correct + o.correct, nll + o.nll);
        }

        public double objectivePerToken() { return objective / Math.max(tokens, 1); }

        public double nllPerToken() { return nll / Math.max(tokens, 1); }

        /** exp of the per-token NLL: a perplexity whatever the smoothing, unlike exp of the objective. */
        public double perplexity() { return Math.exp(nllPerToken()); }

        public double accuracy() { return (double) correct / Math.max(tokens, 1); }
    }

    /** What one update reports: the loss as optimised (configured reduction, mean over accumulated batches), totals, norm, lr. */
    public record StepResult(int update, double loss, LossTotals totals, float gradNorm, double lr) {}

    private final Transformer model;
    private final Backend backend;
    private final Schedule schedule;
    private final Backend.Executable trainStep, update, evaluate;
    private int updates, microSteps;

    public Trainer(Transformer model, Backend backend, Schedule schedule) {
        this.model = model;
        this.backend = backend;
        this.schedule = schedule;
        this.trainStep = backend.compile(model.trainStep);
        if (model.optimizer == null) throw new IllegalArgumentException("a model built for inference only (no optimizer) cannot be trained");
        this.update = backend.compile(model.optimizer.update);
        this.evaluate = backend.compile(model.evaluate);
    }

    public Transformer model() { return model; }

    public Backend backend() { return backend; }

    public int updates() { return updates; }

    /** Optimizer updates and batches seen: with parameters and moments, what a resume must restore. */
    public record Counters(int updates, int microSteps) {}

    public Counters counters() { return new Counters(updates, microSteps); }

    /** After parameters and moments were loaded into the model's host buffers (over {@link #reset}): continue from these counters. */
    public void restore(Counters c) {
        updates = c.updates();
        microSteps = c.microSteps();
        backend.upload(model.stateBuffers().toArray(tt.kernels.Buf[]::new));
    }

    /** Fresh parameters from the seed, zero moments and gradients, step counters at 0. */
    public void initialize(long seed) {
        Init.initialize(model.parameters(), model.config.init(), seed);
        reset();
        restore(new Counters(0, 0));
    }

    /** Zero moments and gradients on the host: where training starts, and what a checkpoint is loaded over. */
    void reset() { model.optimizer.reset(); }

    /** One optimizer update over one or more batches whose gradients are accumulated. */
    public StepResult step(List<Batch> batches) {
        double loss = 0;
        LossTotals totals = LossTotals.ZERO;
        for (Batch b : batches) {
            model.setBatch(b);
            model.setStep(microSteps++);
            trainStep.run();
            float[] stats = model.stats.toArray();
            LossTotals batch = LossTotals.of(stats);
            totals = totals.plus(batch);
            if (!Double.isFinite(batch.objective())) {
                // No update: the parameters stay as they were, the activations show where it broke (firstNonFinite).
                return new StepResult(updates + 1, Double.NaN, totals, Float.NaN, schedule.lr(updates + 1));
            }
            loss += stats[SmoothedLoss.REDUCED_LOSS];
        }
        updates++;
        double lr = schedule.lr(updates);
        model.optimizer.prepare(updates, lr, batches.size());
        update.run();
        return new StepResult(updates, loss / batches.size(), totals, model.optimizer.lastGradNorm(), lr);
    }

    public StepResult step(Batch batch) { return step(List.of(batch)); }

    /**
     * After a step whose loss was not finite (and so was not applied): a parameter that is not
     * finite, or else the first call of the training step, in order, whose output (its kernel's
     * last buffer) holds a non-finite value, with the buffer and element. Outputs whose storage a
     * later activation gradient reused are passed over: they no longer hold what their call wrote.
     */
    public String firstNonFinite() {
        List<tt.kernels.StepGraph.Call> calls = model.trainStep.calls();
        backend.download(calls.stream().flatMap(c -> c.kernel().floatBuffers().stream()).map(FloatBuf::root).distinct()
                .toArray(tt.kernels.Buf[]::new));
        for (Tensor t : model.parameters()) {
            int i = firstNonFinite(t.value());
            if (i >= 0) return "parameter " + t.name() + " holds " + t.value().get(i) + " at element " + i;
        }
        for (tt.kernels.StepGraph.Call c : calls) {
            if (c.kernel() instanceof tt.kernels.Kernel.Fill) continue;
            FloatBuf out = c.kernel().floatBuffers().getLast();
            if (!model.gradientPlan.keepsValue(out)) continue;  // a later gradient took over its storage: its value is gone
            int i = firstNonFinite(out);
            if (i >= 0) return c.describe() + " wrote " + out.get(i) + " into '" + out.name() + "' at element " + i;
        }
        return "no output of the training step holds a non-finite value";
    }

    private static int firstNonFinite(FloatBuf b) {
        for (int i = 0; i < b.length(); i++) if (!Float.isFinite(b.get(i))) return i;
        return -1;
    }

    /** Teacher-forced loss statistics, dropout off, the objective being the plain NLL. */
    public LossTotals evaluate(Iterable<Batch> batches) {
        LossTotals totals = LossTotals.ZERO;
        for (Batch b : batches) {
            model.setBatch(b);
            evaluate.run();
            totals = totals.plus(LossTotals.of(model.stats.toArray()));
        }
        return totals;
    }
}
