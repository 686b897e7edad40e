package tt.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import tt.kernels.Backend;
import tt.model.Checkpoint;
import tt.model.Trainer;
import tt.model.Trainer.LossTotals;
import tt.model.Transformer;
import tt.model.TransformerConfig;
import tt.model.Translator;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;
import tt.model.data.TokenBatcher;
import tt.model.eval.Bleu;
import tt.model.eval.ChrF;
import tt.model.text.Tokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One training run in a run directory, which it holds locked: data, model, the update loop with
 * evaluation and checkpoints, runs.csv. Resuming continues from the last checkpoint exactly: same
 * parameters, moments, counters, position in the seeded batch order and partial log interval, so
 * every row of runs.csv matches an uninterrupted run's (but for wall-clock columns).
 */
final class TrainingRun {
    /** What an evaluation on held-out data measured; NaN where it measured nothing (no decodes, no teacher forcing). */
    record Evaluation(int step, double nll, double accuracy, double bleu, double chrf, double exactMatch) {
        double perplexity() { return Math.exp(nll); }
    }

    /**
     * The log's state besides the model: target tokens trained on so far, and the training interval
     * that the next "train" row of runs.csv averages. Saved in every checkpoint.
     */
    record Progress(long tokens, int intervalUpdates, double intervalLoss, LossTotals interval, double intervalSeconds) {
        static final Progress START = new Progress(0, 0, 0, new LossTotals(0, 0, 0, 0), 0);

        Progress after(Trainer.StepResult r, double seconds) {
            return new Progress(tokens + r.totals().tokens(), intervalUpdates + 1, intervalLoss + r.loss(), interval.plus(r.totals()),
                    intervalSeconds + seconds);
        }

        Progress logged() { return new Progress(tokens, 0, 0, START.interval, 0); }
    }

    private final TrainOptions options;
    private final Path runDir;
    private final Backend backend;
    private final PrintStream out;
    private final String runName;

    /** {@code runName} is the first column of runs.csv: the run directory's name, or an experiment's variant. */
    TrainingRun(TrainOptions options, Path runDir, String runName, Backend backend, PrintStream out) {
        this.options = options;
        this.runDir = runDir;
        this.runName = runName;
        this.backend = backend;
        this.out = out;
    }

    TrainingRun(TrainOptions options, Path runDir, Backend backend, PrintStream out) {
        this(options, runDir, runDir.getFileName().toString(), backend, out);
    }

    /** A test set decoded once training is done: Multi30k's test split, src and tgt files (task files) or size synthetic sequences. */
    record Test(Path src, Path tgt, int size, int beam, double lengthPenalty) {}

    /** The last validation evaluation, and with a test set its scores, hypotheses and references (one per test sentence). */
    record Result(Evaluation validation, Evaluation test, List<String> testHypotheses, List<String> testReferences) {}

    /**
     * Trains to options.steps updates, resuming from runDir's checkpoint if {@code resume}. The
     * caller holds the run directory ({@link RunLock}). On Ctrl-C or SIGTERM it checkpoints and
     * throws {@link Interrupts.Stopped}.
     */
    Evaluation run(boolean resume) throws IOException { return run(resume, null).validation(); }

    /** As {@link #run(boolean)}, then decodes {@code test} (if not null) with the final model and logs a "test" row. */
    Result run(boolean resume, Test test) throws IOException {
        try (Interrupts.Training _ = Interrupts.training()) {
            return train(resume, test);
        }
    }

    private Result train(boolean resume, Test test) throws IOException {
        java.nio.file.Files.createDirectories(runDir);
        TaskData data = TaskData.load(options, runDir);
        List<EncodedPair> train = TokenBatcher.filterByLength(data.train(), options.maxLen);
        List<EncodedPair> val = TokenBatcher.filterByLength(data.val(), options.maxLen);
        if (train.isEmpty()) throw new IllegalArgumentException("no training pair is at most --max-len " + options.maxLen + " tokens long");
        if (val.isEmpty()) throw new IllegalArgumentException("no validation pair is at most --max-len " + options.maxLen + " tokens long");
        TransformerConfig config = options.model(data.tokenizer().vocabSize());
        Transformer model = Transformer.create(config, options.limits(), options.adam(), options.seed);
        Trainer trainer = new Trainer(model, backend, options.schedule(config.dModel()));
        Translator translator = new Translator(model, backend);
        TokenBatcher batcher = new TokenBatcher(train, options.maxTokens);
        List<Batch> valBatches = new TokenBatcher(val, options.maxTokens).inLengthOrder();

        Path checkpoints = runDir.resolve("checkpoints");
        Checkpoint.Position position = new Checkpoint.Position(0, 0, 0.0, Json.MAPPER.valueToTree(Progress.START));
        if (resume) {
            position = Checkpoint.load(checkpoints, trainer);
            out.printf("resumed %s at update %d (epoch %d, batch %d)%n", runDir, trainer.updates(), position.epoch(), position.batch());
            if (trainer.updates() > options.steps) {
                throw new TrainOptions.OptionError(List.of("--steps"), "--steps " + options.steps + " is below the " + trainer.updates()
                        + " updates the run has done; give at least that");
            }
        } else {
            trainer.initialize(options.seed);
        }
        Progress progress = Json.MAPPER.treeToValue(position.runner(), Progress.class);
        Manifest.write(runDir, options, backend);
        out.printf("%s: %s, %,d parameters, %d training pairs, vocabulary %d, backend %s (%s)%n", runName, options.preset,
                model.parameterCount(), train.size(), config.tgtVocab(), backend.name(), backend.device());

        Evaluation last = null;
        int epoch = position.epoch(), next = position.batch();
        List<Batch> epochBatches = batcher.epoch(options.seed, epoch);
        double elapsedBefore = position.elapsedSeconds();
        long start = System.nanoTime();
        JsonNode optionsJson = Json.MAPPER.valueToTree(options);
        try (RunLog log = RunLog.open(runDir.resolve("runs.csv"), trainer.updates(), !resume);
             ProgressBar bar = progressBar(trainer.updates())) {
            while (trainer.updates() < options.steps) {
                List<Batch> group = new ArrayList<>(options.accumulate);
                while (group.size() < options.accumulate) {
                    if (next == epochBatches.size()) {
                        epochBatches = batcher.epoch(options.seed, ++epoch);
                        next = 0;
                    }
                    group.add(epochBatches.get(next++));
                }
                long stepStart = System.nanoTime();
                Trainer.StepResult r = trainer.step(group);
                if (!Double.isFinite(r.loss())) {
                    throw new IllegalStateException("loss became " + r.loss() + " at update " + r.update()
                            + "; lower --lr or set --clip-norm");
                }
                progress = progress.after(r, (System.nanoTime() - stepStart) * 1e-9);
                double elapsed = elapsedBefore + (System.nanoTime() - start) * 1e-9;
                bar.step();
                bar.setExtraMessage(String.format(" loss %.3f | %.0f tok/s", r.loss(), progress.interval().tokens() / progress.intervalSeconds()));
                int step = r.update();
                if (step % options.logEvery == 0 || step == options.steps) {
                    LossTotals t = progress.interval();
                    log.row(new RunLog.Row(runName, options.seed, step, epoch, "train", progress.tokens(), elapsed, r.lr(),
                            progress.intervalLoss() / progress.intervalUpdates(), t.objectivePerToken(), t.nllPerToken(), t.accuracy(),
                            Double.NaN, Double.NaN, Double.NaN, r.gradNorm(), t.tokens() / progress.intervalSeconds()));
                    progress = progress.logged();
                }
                if (step % options.evalEvery == 0 || step == options.steps) {
                    last = evaluate(step, trainer, translator, data, valBatches);
                    log.row(new RunLog.Row(runName, options.seed, step, epoch, "val", progress.tokens(), elapsed, r.lr(), Double.NaN,
                            Double.NaN, last.nll(), last.accuracy(), last.bleu(), last.chrf(), last.exactMatch(), Double.NaN, Double.NaN));
                    bar.pause();
                    out.printf("%s update %d: val nll %.4f, perplexity %.2f, accuracy %.4f, BLEU %.2f, chrF %.2f, exact %.4f%n",
                            runName, step, last.nll(), last.perplexity(), last.accuracy(), last.bleu(), last.chrf(), last.exactMatch());
                    bar.resume();
                }
                boolean checkpointNow = options.checkpointEvery > 0 && step % options.checkpointEvery == 0;
                if (checkpointNow || step == options.steps || Interrupts.requested()) {
                    Checkpoint.save(checkpoints, trainer, data.tokenizer(),
                            new Checkpoint.Position(epoch, next, elapsed, Json.MAPPER.valueToTree(progress)), optionsJson);
                }
                if (Interrupts.requested() && step < options.steps) {
                    bar.pause();
                    throw new Interrupts.Stopped(step, runName + ": stopped at update " + step + " of " + options.steps
                            + "; checkpoint saved in " + Checkpoint.latest(checkpoints));
                }
            }
            if (test == null) return new Result(last, null, null, null);
            TaskData.Heldout set = TaskData.test(options, data.tokenizer(), test.src(), test.tgt(), test.size());
            Decoded d = decode(translator, test.beam(), test.lengthPenalty(), options.maxLen, data.tokenizer(), set);
            double elapsed = elapsedBefore + (System.nanoTime() - start) * 1e-9;
            log.row(new RunLog.Row(runName, options.seed, trainer.updates(), epoch, "test", progress.tokens(), elapsed, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, d.bleu(), d.chrf(), d.exactMatch(), Double.NaN, Double.NaN));
            out.printf("%s test: BLEU %.2f, chrF %.2f, exact %.4f on %d sentences%n", runName, d.bleu(), d.chrf(), d.exactMatch(),
                    set.pairs().size());
            return new Result(last, new Evaluation(trainer.updates(), Double.NaN, Double.NaN, d.bleu(), d.chrf(), d.exactMatch()),
                    d.hypotheses(), set.references());
        }
    }

    /** A live bar on a terminal; elsewhere (CI, files) a plain line every 30 seconds. */
    private ProgressBar progressBar(int done) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(runName).setInitialMax(options.steps)
                .startsFrom(done, java.time.Duration.ZERO).setStyle(ProgressBarStyle.ASCII);
        if (System.console() != null) return b.setUpdateIntervalMillis(1000).continuousUpdate().build();
        return b.setUpdateIntervalMillis(30_000).setConsumer(new DelegatingProgressBarConsumer(out::println, 100)).build();
    }

    /** Teacher-forced NLL and accuracy on every validation batch; BLEU, chrF and exact match on decodes. */
    private Evaluation evaluate(int step, Trainer trainer, Translator translator, TaskData data, List<Batch> valBatches) {
        LossTotals e = trainer.evaluate(valBatches);
        List<EncodedPair> decoded = data.val().subList(0, Math.min(options.evalSentences, data.val().size()));
        Decoded d = decode(translator, options.beam, options.lengthPenalty, options.maxLen, data.tokenizer(),
                new TaskData.Heldout(decoded, data.valReferences().subList(0, decoded.size())));
        return new Evaluation(step, e.nllPerToken(), e.accuracy(), d.bleu(), d.chrf(), d.exactMatch());
    }

    /** Hypotheses as text and their scores; NaN scores when nothing was decoded. */
    record Decoded(List<String> hypotheses, double bleu, double chrf, double exactMatch) {}

    static Decoded decode(Translator translator, int beam, double lengthPenalty, int maxLen, Tokenizer tokenizer, TaskData.Heldout set) {
        if (set.pairs().isEmpty()) return new Decoded(List.of(), Double.NaN, Double.NaN, Double.NaN);
        int[][] sources = set.pairs().stream().map(EncodedPair::source).toArray(int[][]::new);
        int[][] hyps = beam > 1 ? translator.beam(sources, beam, lengthPenalty, maxLen) : translator.greedy(sources, maxLen);
        List<String> text = new ArrayList<>(hyps.length);
        int exact = 0;
        for (int i = 0; i < hyps.length; i++) {
            text.add(tokenizer.decode(hyps[i]));
            if (Arrays.equals(hyps[i], set.pairs().get(i).target())) exact++;
        }
        List<List<String>> refs = List.of(set.references());
        return new Decoded(text, Bleu.corpus(text, refs).score(), ChrF.corpus(text, refs).score(), (double) exact / hyps.length);
    }
}
