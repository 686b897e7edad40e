package tt.model;

import tt.kernels.Backend;

import tt.model.data.Batch;

import java.util.List;

/**
 * Runs a Transformer's graphs on a backend: initialise, train on (accumulated) batches, evaluate.
 * Host and device meet only at batch inputs, per-update scalars, and the loss statistics.
 */
public final class Trainer {
    /** What one update reports: loss under the configured reduction, per-token loss, counts, norm, lr. */
    public record StepResult(int update, double loss, double tokenLoss, int tokens, int correct, float gradNorm, double lr) {}

    /** Loss summed over tokens, tokens and correct predictions over an evaluation set. */
    public record EvalResult(double lossSum, long tokens, long correct) {
        public double tokenLoss() { return lossSum / Math.max(tokens, 1); }

        public double perplexity() { return Math.exp(tokenLoss()); }

        public double accuracy() { return (double) correct / Math.max(tokens, 1); }
    }

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
        this.update = backend.compile(model.update);
        this.evaluate = backend.compile(model.evaluate);
    }

    public Transformer model() { return model; }

    public Backend backend() { return backend; }

    public int updates() { return updates; }

    /** Optimizer updates and batches seen: with parameters and moments, what a resume must restore. */
    public record Counters(int updates, int microSteps) {}

    public Counters counters() { return new Counters(updates, microSteps); }

    /** After parameters and moments were loaded into the model's host buffers: continue from these counters. */
    public void restore(Counters c) {
        updates = c.updates();
        microSteps = c.microSteps();
        backend.upload(model.stateBuffers().toArray(tt.kernels.Buf[]::new));
    }

    /** Fresh parameters from the seed, zero gradients and moments, step counters at 0. */
    public void initialize(long seed) {
        Init.initialize(model.parameters(), model.config.init(), seed);
        model.gradientRoot().fill(0f);
        model.adamM.fill(0f);
        model.adamV.fill(0f);
        updates = 0;
        microSteps = 0;
        backend.upload(model.stateBuffers().toArray(tt.kernels.Buf[]::new));
    }

    /** One optimizer update over one or more batches whose gradients are accumulated. */
    public StepResult step(List<Batch> batches) {
        double loss = 0, lossSum = 0;
        int tokens = 0, correct = 0;
        for (Batch b : batches) {
            model.setBatch(b);
            model.setStep(microSteps++);
            trainStep.run();
            float[] s = model.stats.toArray();
            lossSum += s[0];
            tokens += (int) s[1];
            correct += (int) s[2];
            loss += s[0] / model.config.reduction().normalizer(b.size() * b.targetLength(), model.config.tgtVocab(), b.size(), s[1]);
        }
        updates++;
        double lr = schedule.lr(updates);
        model.hyper.copyFrom(new float[] {(float) lr, (float) (1 - Math.pow(model.adam.beta1(), updates)),
                (float) (1 - Math.pow(model.adam.beta2(), updates)), 1f / batches.size()});
        update.run();
        return new StepResult(updates, loss / batches.size(), lossSum / Math.max(tokens, 1), tokens, correct,
                model.gradNorm.get(0), lr);
    }

    public StepResult step(Batch batch) { return step(List.of(batch)); }

    /** Teacher-forced loss, perplexity and token accuracy, dropout off. */
    public EvalResult evaluate(Iterable<Batch> batches) {
        double lossSum = 0;
        long tokens = 0, correct = 0;
        for (Batch b : batches) {
            model.setBatch(b);
            evaluate.run();
            float[] s = model.stats.toArray();
            lossSum += s[0];
            tokens += (long) s[1];
            correct += (long) s[2];
        }
        return new EvalResult(lossSum, tokens, correct);
    }
}
