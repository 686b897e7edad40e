package tt.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import tt.kernels.Backend;
import tt.model.Checkpoint;
import tt.model.LengthPenalty;
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
import tt.model.io.AtomicFile;
import tt.model.text.Tokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
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
     * The log's state besides the model: target tokens trained on so far, the training interval
     * that the next "train" row of runs.csv averages, and the recent losses the divergence guard
     * compares with. Saved in every checkpoint.
     */
    record Progress(long tokens, int intervalUpdates, double intervalLoss, LossTotals interval, double intervalSeconds, List<Double> recentLosses,
                    Ranking ranking) {
        static final Progress START = new Progress(0, 0, 0, new LossTotals(0, 0, 0, 0), 0, List.of(), Ranking.START);

        /** Checkpoints from before a field existed have none: it starts empty (the divergence guard's window, the ranking). */
        Progress {
            if (interval == null) interval = new LossTotals(0, 0, 0, 0);
            if (recentLosses == null) recentLosses = List.of();
            if (ranking == null) ranking = Ranking.START;
        }
        /** How many updates the divergence guard's median looks back over, and how many it waits for. */
        static final int WINDOW = 100, MIN_WINDOW = 20;
        /**
         * The least rise above the median, in nats per token, that counts as divergence: once the
         * loss has nearly vanished (0.016 on the reverse task), a harmless spike to 0.17 is ten times
         * the median (results/defaults: two runs were stopped by such spikes).
         */
        static final double MIN_RISE = 1.0;

        Progress after(Trainer.StepResult r, double seconds) {
            List<Double> recent = new ArrayList<>(recentLosses.subList(Math.max(0, recentLosses.size() - WINDOW + 1), recentLosses.size()));
            recent.add(r.loss());
            return new Progress(tokens + r.totals().tokens(), intervalUpdates + 1, intervalLoss + r.loss(), interval.plus(r.totals()),
                    intervalSeconds + seconds, recent, ranking);
        }

        Progress logged() { return new Progress(tokens, 0, 0, START.interval, 0, recentLosses, ranking); }

        Progress ranked(Ranking r) { return new Progress(tokens, intervalUpdates, intervalLoss, interval, intervalSeconds, recentLosses, r); }

        /**
         * Why this update's loss means divergence, or null: not finite, or {@code factor} times the
         * recent median and at least MIN_RISE above it (factor 0: never).
         */
        String divergence(Trainer.StepResult r, double factor) {
            if (!Double.isFinite(r.loss())) return "the loss is " + r.loss();
            if (!Float.isFinite(r.gradNorm())) return "the gradient norm is " + r.gradNorm();
            if (factor == 0 || recentLosses.size() < MIN_WINDOW) return null;
            double median = recentLosses.stream().mapToDouble(Double::doubleValue).sorted().skip(recentLosses.size() / 2).findFirst().orElseThrow();
            return r.loss() > factor * median && r.loss() > median + MIN_RISE ? String.format(java.util.Locale.ROOT, "the loss, %.4g, is more than %s times its median over the last %d updates, %.4g",
                    r.loss(), factor, recentLosses.size(), median) : null;
        }
    }

    /**
     * The evaluations so far by --best-checkpoint-metric: the best ones kept in checkpoints/best/,
     * best first; how many evaluations in a row have not beaten the best; and whether --patience
     * has ended the run.
     */
    record Ranking(List<Scored> best, int sinceBest, boolean stoppedEarly) {
        static final Ranking START = new Ranking(List.of(), 0, false);

        record Scored(int update, double value) {}

        /** After an evaluation at {@code update}: the {@code keep} best (a NaN ranks last, ties go to the earlier update). */
        Ranking after(int update, double value, TrainOptions.BestMetric metric, int keep, int patience) {
            boolean improved = !Double.isNaN(value) && (best.isEmpty() || metric.better(value, best.getFirst().value()));
            List<Scored> all = new ArrayList<>(best);
            all.add(new Scored(update, value));
            all.sort((a, b) -> Double.isNaN(a.value()) != Double.isNaN(b.value()) ? (Double.isNaN(a.value()) ? 1 : -1)
                    : metric.better(a.value(), b.value()) ? -1 : metric.better(b.value(), a.value()) ? 1 : Integer.compare(a.update(), b.update()));
            int since = improved ? 0 : sinceBest + 1;
            return new Ranking(List.copyOf(all.subList(0, Math.min(keep, all.size()))), since, patience > 0 && since >= patience);
        }

        boolean keeps(int update) { return best.stream().anyMatch(s -> s.update() == update); }
    }

    /** A run stopped because its loss or gradient stopped being usable; its last good checkpoint is kept. */
    static final class Diverged extends RuntimeException {
        Diverged(String message) { super(message); }
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

    /**
     * A test set decoded once training is done: Multi30k's test split, src and tgt files (task files)
     * or size synthetic sequences; {@code reductions}, encoder token reductions an experiment also
     * decodes it under ({@link TokenReductionEval}), none by default; {@code averageBest}, if not 0,
     * the number of best checkpoints an experiment averages (as tt average --best) to decode it again;
     * {@code ensembleBest}, if not 0, the number of best checkpoints it decodes it with as an ensemble
     * ({@link BestCheckpoints}); {@code ensemble}, whether an experiment also decodes it with the ensemble of each variant's seeds;
     * {@code ensembleLengthPenalties}, the length-penalty powers that ensemble chooses from on the
     * validation set (empty: it uses {@code lengthPenalty}).
     */
    record Test(Path src, Path tgt, int size, int beam, double lengthPenalty, LengthPenalty.Form lengthNorm,
                List<tt.model.TokenReduction> reductions, int averageBest, int ensembleBest, boolean ensemble, List<Double> ensembleLengthPenalties) {
        Test(Path src, Path tgt, int size, int beam, double lengthPenalty, LengthPenalty.Form lengthNorm) {
            this(src, tgt, size, beam, lengthPenalty, lengthNorm, List.of(), 0, 0, false, List.of());
        }

        LengthPenalty penalty() { return LengthPenalty.forBeam(beam, lengthNorm, lengthPenalty); }

        /** The length penalties the seeds' ensemble is decoded with on the validation set, to decode the test set with the best; one: no choice. */
        List<LengthPenalty> ensemblePenalties() {
            return ensembleLengthPenalties.isEmpty() ? List.of(penalty())
                    : ensembleLengthPenalties.stream().map(alpha -> LengthPenalty.forBeam(beam, lengthNorm, alpha)).distinct().toList();
        }
    }

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
        Files.createDirectories(runDir);
        Path checkpoints = runDir.resolve(RunDirectory.CHECKPOINTS);
        Path resumeFrom = resume ? Checkpoint.latestIntact(checkpoints, out::println) : null;
        if (resume) restoreTokenizer(resumeFrom.resolve(Checkpoint.TOKENIZER));
        TaskData data = TaskData.load(options, runDir);
        TransformerConfig config = options.model(data.tokenizer().vocabSize());
        Batch.Layout layout = config.arch().layout();
        List<EncodedPair> train = examples(data.train(), data.tokenizer(), layout, 0);
        List<EncodedPair> val = examples(data.val(), data.tokenizer(), layout, 1);
        if (train.isEmpty()) throw new IllegalArgumentException("no training pair is at most --max-len " + options.maxLen + " tokens long");
        if (val.isEmpty()) throw new IllegalArgumentException("no validation pair is at most --max-len " + options.maxLen + " tokens long");
        Transformer model = Transformer.create(config, options.limits(), options.adam(), options.seed);
        Trainer trainer = new Trainer(model, backend, options.schedule(config.dModel()));
        Translator translator = new Translator(model, backend);
        TokenBatcher batcher = new TokenBatcher(train, options.maxTokens, layout);
        List<Batch> valBatches = new TokenBatcher(val, options.maxTokens, layout).inLengthOrder();

        Checkpoint.Position position = new Checkpoint.Position(0, 0, 0.0, Json.MAPPER.valueToTree(Progress.START));
        if (resume) {
            position = Checkpoint.load(resumeFrom, trainer);
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
        List<Batch> epochBatches = epochBatches(batcher, data, layout, epoch);
        if (next > epochBatches.size()) {
            throw new IOException(resumeFrom.resolve(Checkpoint.STATE) + ": damaged checkpoint state (batch " + next + " of an epoch of "
                    + epochBatches.size() + ")");
        }
        double elapsedBefore = position.elapsedSeconds();
        long start = System.nanoTime();
        JsonNode optionsJson = Json.MAPPER.valueToTree(options);
        try (RunLog log = RunLog.open(runDir.resolve("runs.csv"), trainer.updates(), !resume);
             ProgressBar bar = progressBar(trainer.updates())) {
            if (progress.ranking().stoppedEarly()) {
                out.printf("%s stopped early at update %d (--patience %d); nothing left to train%n", runName, trainer.updates(), options.patience);
            }
            while (trainer.updates() < options.steps && !progress.ranking().stoppedEarly()) {
                List<Batch> group = new ArrayList<>(options.accumulate);
                while (group.size() < options.accumulate) {
                    if (next == epochBatches.size()) {
                        epochBatches = epochBatches(batcher, data, layout, ++epoch);
                        next = 0;
                    }
                    group.add(epochBatches.get(next++));
                }
                long stepStart = System.nanoTime();
                Trainer.StepResult r = trainer.step(group);
                double elapsed = elapsedBefore + (System.nanoTime() - start) * 1e-9;
                String divergence = progress.divergence(r, options.divergenceFactor);
                if (divergence != null) {
                    if (!Double.isFinite(r.loss())) divergence += "; first non-finite value: " + trainer.firstNonFinite();
                    log.row(new RunLog.Row(runName, options.seed, r.update(), epoch, "diverged", progress.tokens(), elapsed, r.lr(), r.loss(),
                            r.totals().objectivePerToken(), r.totals().nllPerToken(), r.totals().accuracy(), Double.NaN, Double.NaN, Double.NaN,
                            r.gradNorm(), Double.NaN));
                    bar.pause();
                    throw new Diverged(runName + " diverged at update " + r.update() + ": " + divergence + ". "
                            + (Checkpoint.exists(checkpoints) ? "The last good checkpoint, " + Checkpoint.latest(checkpoints) + ", is kept. " : "")
                            + "Lower --lr, set --clip-norm, or raise --divergence-factor.");
                }
                progress = progress.after(r, (System.nanoTime() - stepStart) * 1e-9);
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
                    bar.pause();
                    out.printf("%s update %d: evaluating (NLL of %d validation pairs, decoding %d)...%n", runName, step, val.size(),
                            options.objective().decodes() ? Math.min(options.evalSentences, val.size()) : 0);
                    last = evaluate(step, trainer, translator, data, val, valBatches);
                    log.row(new RunLog.Row(runName, options.seed, step, epoch, "val", progress.tokens(), elapsed, r.lr(), Double.NaN,
                            Double.NaN, last.nll(), last.accuracy(), last.bleu(), last.chrf(), last.exactMatch(), Double.NaN, Double.NaN));
                    out.printf("%s update %d: val nll %.4f, perplexity %.2f, accuracy %.4f, BLEU %.2f, chrF %.2f, exact %.4f%n",
                            runName, step, last.nll(), last.perplexity(), last.accuracy(), last.bleu(), last.chrf(), last.exactMatch());
                    Ranking ranking = progress.ranking().after(step, options.bestCheckpointMetric.of(last), options.bestCheckpointMetric,
                            options.keepBestCheckpoints, options.patience);
                    progress = progress.ranked(ranking);
                    if (ranking.keeps(step)) {
                        Checkpoint.saveBest(checkpoints, ranking.best().stream().map(Ranking.Scored::update).toList(), trainer, data.tokenizer(),
                                new Checkpoint.Position(epoch, next, elapsed, Json.MAPPER.valueToTree(progress)), optionsJson);
                    }
                    if (ranking.stoppedEarly()) {
                        out.printf("%s: stopping early at update %d: %d evaluations without a better val %s than %.4f at update %d (--patience %d)%n",
                                runName, step, ranking.sinceBest(), options.bestCheckpointMetric.name().toLowerCase(java.util.Locale.ROOT),
                                ranking.best().isEmpty() ? Double.NaN : ranking.best().getFirst().value(),
                                ranking.best().isEmpty() ? 0 : ranking.best().getFirst().update(), options.patience);
                    }
                    bar.resume();
                }
                boolean checkpointNow = options.checkpointEvery > 0 && step % options.checkpointEvery == 0;
                if (checkpointNow || step == options.steps || progress.ranking().stoppedEarly() || Interrupts.requested()) {
                    Checkpoint.save(checkpoints, options.keepLastCheckpoints, trainer, data.tokenizer(),
                            new Checkpoint.Position(epoch, next, elapsed, Json.MAPPER.valueToTree(progress)), optionsJson);
                }
                if (Interrupts.requested() && step < options.steps) {
                    bar.pause();
                    String stopped = runName + ": stopped at update " + step + " of " + options.steps + "; checkpoint saved in "
                            + Checkpoint.latest(checkpoints);
                    out.println(stopped);  // now: the JVM may halt as soon as this training deregisters
                    throw new Interrupts.Stopped(step, stopped);
                }
            }
            if (test == null) return new Result(last, null, null, null);
            TaskData.Heldout set = TaskData.heldout(options, data.tokenizer(), TaskData.Split.TEST, test.src(), test.tgt(), test.size());
            if (!options.objective().decodes()) {
                LossTotals t = trainer.evaluate(new TokenBatcher(examples(set.pairs(), data.tokenizer(), layout, 2), options.maxTokens, layout)
                        .inLengthOrder());
                double elapsed = elapsedBefore + (System.nanoTime() - start) * 1e-9;
                log.row(new RunLog.Row(runName, options.seed, trainer.updates(), epoch, RunLog.TEST, progress.tokens(), elapsed, Double.NaN,
                        Double.NaN, Double.NaN, t.nllPerToken(), t.accuracy(), Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN));
                out.printf("%s test: nll %.4f, perplexity %.2f, accuracy %.4f on %d sentences%n", runName, t.nllPerToken(), t.perplexity(),
                        t.accuracy(), set.pairs().size());
                Evaluation e = new Evaluation(trainer.updates(), t.nllPerToken(), t.accuracy(), Double.NaN, Double.NaN, Double.NaN);
                return new Result(last, e, null, null);
            }
            Decoded d = decode(translator, test.beam(), test.penalty(), options.maxLen, data.tokenizer(), set);
            double elapsed = elapsedBefore + (System.nanoTime() - start) * 1e-9;
            log.row(new RunLog.Row(runName, options.seed, trainer.updates(), epoch, RunLog.TEST, progress.tokens(), elapsed, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, d.bleu(), d.chrf(), d.exactMatch(), Double.NaN, Double.NaN));
            out.printf("%s test: BLEU %.2f, chrF %.2f, exact %.4f on %d sentences%n", runName, d.bleu(), d.chrf(), d.exactMatch(),
                    set.pairs().size());
            return new Result(last, new Evaluation(trainer.updates(), Double.NaN, Double.NaN, d.bleu(), d.chrf(), d.exactMatch()),
                    d.hypotheses(), set.references());
        }
    }

    /**
     * The pairs as the objective's examples (MLM's masks drawn from the data seed and {@code part}:
     * 0 training, 1 validation, 2 test), those within --max-len in the architecture's layout.
     */
    private List<EncodedPair> examples(List<EncodedPair> pairs, Tokenizer tokenizer, Batch.Layout layout, int part) {
        return TokenBatcher.filterByLength(options.objective().examples(pairs, tokenizer.vocabSize(), options.dataSeed * 3L + part),
                options.maxLen, layout);
    }

    /** One epoch's batches, of the training pairs as encoded once or, with --bpe-dropout, segmented afresh for this epoch. */
    private List<Batch> epochBatches(TokenBatcher batcher, TaskData data, Batch.Layout layout, int epoch) {
        if (options.bpeDropout == 0) return batcher.epoch(options.seed, epoch);
        List<EncodedPair> sampled = examples(data.trainSampled(options.bpeDropout, options.seed, epoch), data.tokenizer(), layout, 0);
        return new TokenBatcher(sampled, options.maxTokens, layout).epoch(options.seed, epoch);
    }

    /** A resumed run encodes with the tokenizer its checkpoint was trained with, whatever has happened to the run directory's copy. */
    private void restoreTokenizer(Path saved) throws IOException {
        Path current = runDir.resolve(TaskData.TOKENIZER_FILE);
        if (Files.exists(current) && Files.mismatch(current, saved) == -1) return;
        if (Files.exists(current)) out.println(current + " differs from the checkpoint's tokenizer; restoring the checkpoint's");
        byte[] bytes = Files.readAllBytes(saved);
        AtomicFile.write(current, o -> o.write(bytes));
    }

    /** A live bar on a terminal; elsewhere (CI, files) a plain line every 30 seconds. */
    private ProgressBar progressBar(int done) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(runName).setInitialMax(options.steps)
                .startsFrom(done, java.time.Duration.ZERO).setStyle(ProgressBarStyle.ASCII);
        if (System.console() != null) return b.setUpdateIntervalMillis(1000).continuousUpdate().build();
        return b.setUpdateIntervalMillis(30_000).setConsumer(new DelegatingProgressBarConsumer(out::println, 100)).build();
    }

    /**
     * Teacher-forced NLL and accuracy on every validation batch; BLEU, chrF and exact match on the
     * first --eval-sentences decodes. Both use the pairs within --max-len, as training does.
     */
    private Evaluation evaluate(int step, Trainer trainer, Translator translator, TaskData data, List<EncodedPair> val, List<Batch> valBatches) {
        LossTotals e = trainer.evaluate(valBatches);
        List<EncodedPair> decoded = val.subList(0, options.objective().decodes() ? Math.min(options.evalSentences, val.size()) : 0);
        Decoded d = decode(translator, options.beam, options.penalty(), options.maxLen, data.tokenizer(),
                new TaskData.Heldout(decoded, decoded.stream().map(p -> data.valReferences().get(p.id())).toList()));
        return new Evaluation(step, e.nllPerToken(), e.accuracy(), d.bleu(), d.chrf(), d.exactMatch());
    }

    /** Hypotheses as text and their scores; no scores (NaN) when nothing was decoded. */
    record Decoded(List<String> hypotheses, Bleu.Score bleuScore, ChrF.Score chrfScore, double exactMatch) {
        double bleu() { return bleuScore == null ? Double.NaN : bleuScore.score(); }

        double chrf() { return chrfScore == null ? Double.NaN : chrfScore.score(); }
    }

    static Decoded decode(Translator translator, int beam, LengthPenalty penalty, int maxLen, Tokenizer tokenizer, TaskData.Heldout set) {
        if (set.pairs().isEmpty()) return new Decoded(List.of(), null, null, Double.NaN);
        int[][] sources = set.pairs().stream().map(EncodedPair::source).toArray(int[][]::new);
        int[][] hyps = translator.beam(sources, beam, penalty, maxLen);
        List<String> text = new ArrayList<>(hyps.length);
        int exact = 0;
        for (int i = 0; i < hyps.length; i++) {
            text.add(tokenizer.decode(hyps[i]));
            if (Arrays.equals(hyps[i], set.pairs().get(i).target())) exact++;
        }
        List<List<String>> refs = List.of(set.references());
        return new Decoded(text, Bleu.corpus(text, refs), ChrF.corpus(text, refs), (double) exact / hyps.length);
    }
}
