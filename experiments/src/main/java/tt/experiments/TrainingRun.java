package tt.experiments;

import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import tt.kernels.Backend;
import tt.model.Checkpoint;
import tt.model.Trainer;
import tt.model.Transformer;
import tt.model.TransformerConfig;
import tt.model.Translator;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;
import tt.model.data.TokenBatcher;
import tt.model.eval.Bleu;
import tt.model.eval.ChrF;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One training run in a run directory: data, model, the update loop with evaluation and
 * checkpoints, runs.csv. Resuming continues from the last checkpoint exactly: same parameters,
 * moments, counters and position in the seeded batch order, so the losses match an
 * uninterrupted run.
 */
final class TrainingRun {
    /** What the last evaluation measured. */
    record Evaluation(int step, double tokenLoss, double perplexity, double accuracy, double bleu, double chrf, double exactMatch) {}

    private final TrainOptions options;
    private final Path runDir;
    private final Backend backend;
    private final PrintStream out;
    private final String runName;

    TrainingRun(TrainOptions options, Path runDir, Backend backend, PrintStream out) {
        this.options = options;
        this.runDir = runDir;
        this.backend = backend;
        this.out = out;
        this.runName = runDir.getFileName().toString();
    }

    /** Trains to options.steps updates, resuming from runDir's checkpoint if {@code resume} and one exists. */
    Evaluation run(boolean resume) throws IOException {
        Files.createDirectories(runDir);
        TaskData data = TaskData.load(options, runDir);
        List<EncodedPair> train = TokenBatcher.filterByLength(data.train(), options.maxLen);
        TransformerConfig config = options.model(data.tokenizer().vocabSize());
        Transformer model = Transformer.create(config, options.limits(), options.adam(), options.seed);
        Trainer trainer = new Trainer(model, backend, options.schedule(config.dModel()));
        Translator translator = new Translator(model, backend);
        TokenBatcher batcher = new TokenBatcher(train, options.maxTokens);
        List<Batch> valBatches = new TokenBatcher(TokenBatcher.filterByLength(data.val(), options.maxLen), options.maxTokens).inLengthOrder();

        Checkpoint.Position position = new Checkpoint.Position(0, 0, 0.0);
        Path checkpoints = runDir.resolve("checkpoints");
        if (resume && Checkpoint.exists(checkpoints)) {
            position = Checkpoint.load(checkpoints, trainer);
            out.printf("resumed %s at update %d (epoch %d, batch %d)%n", runName, trainer.updates(), position.epoch(), position.batch());
        } else {
            trainer.initialize(options.seed);
        }
        Manifest.write(runDir, options, backend);
        out.printf("%s: %s, %,d parameters, %d training pairs, vocabulary %d, backend %s (%s)%n", runName, options.preset,
                model.parameterCount(), train.size(), config.tgtVocab(), backend.name(), backend.device());

        Evaluation last = null;
        int epoch = position.epoch(), next = position.batch();
        List<Batch> epochBatches = batcher.epoch(options.seed, epoch);
        double elapsedBefore = position.elapsedSeconds();
        long start = System.nanoTime();
        try (RunLog log = RunLog.open(runDir.resolve("runs.csv"), trainer.updates(), !resume);
             ProgressBar bar = progressBar(trainer.updates())) {
            double intervalLoss = 0, intervalTokenLoss = 0;
            long intervalTokens = 0, intervalCorrect = 0, intervalStart = System.nanoTime();
            int intervalUpdates = 0;
            while (trainer.updates() < options.steps) {
                List<Batch> group = new ArrayList<>(options.accumulate);
                while (group.size() < options.accumulate) {
                    if (next == epochBatches.size()) {
                        epochBatches = batcher.epoch(options.seed, ++epoch);
                        next = 0;
                    }
                    group.add(epochBatches.get(next++));
                }
                Trainer.StepResult r = trainer.step(group);
                if (!Double.isFinite(r.loss())) {
                    throw new IllegalStateException("loss became " + r.loss() + " at update " + r.update()
                            + "; lower --lr or set --clip-norm");
                }
                intervalLoss += r.loss();
                intervalTokenLoss += r.tokenLoss() * r.tokens();
                intervalTokens += r.tokens();
                intervalCorrect += r.correct();
                intervalUpdates++;
                double elapsed = elapsedBefore + (System.nanoTime() - start) * 1e-9;
                double tokensPerSecond = intervalTokens / ((System.nanoTime() - intervalStart) * 1e-9);
                bar.step();
                bar.setExtraMessage(String.format(" loss %.3f | %.0f tok/s", r.loss(), tokensPerSecond));
                int step = r.update();
                if (step % options.logEvery == 0 || step == options.steps) {
                    log.row(runName, options.seed, step, epoch, "train", intervalLoss / intervalUpdates,
                            intervalTokenLoss / intervalTokens, Math.exp(intervalTokenLoss / intervalTokens),
                            (double) intervalCorrect / intervalTokens, Double.NaN, Double.NaN, Double.NaN, r.lr(), r.gradNorm(),
                            tokensPerSecond, elapsed);
                    intervalLoss = intervalTokenLoss = 0;
                    intervalTokens = intervalCorrect = intervalUpdates = 0;
                    intervalStart = System.nanoTime();
                }
                if (step % options.evalEvery == 0 || step == options.steps) {
                    last = evaluate(step, trainer, translator, data, valBatches);
                    log.row(runName, options.seed, step, epoch, "val", Double.NaN, last.tokenLoss(), last.perplexity(),
                            last.accuracy(), last.bleu(), last.chrf(), last.exactMatch(), r.lr(), Double.NaN, Double.NaN, elapsed);
                    bar.pause();
                    out.printf("%nupdate %d: val loss %.4f, perplexity %.2f, accuracy %.4f, BLEU %.2f, chrF %.2f, exact %.4f%n",
                            step, last.tokenLoss(), last.perplexity(), last.accuracy(), last.bleu(), last.chrf(), last.exactMatch());
                    bar.resume();
                }
                boolean checkpointNow = options.checkpointEvery > 0 && step % options.checkpointEvery == 0;
                if (checkpointNow || step == options.steps) {
                    Checkpoint.save(checkpoints, trainer, data.tokenizer(), new Checkpoint.Position(epoch, next, elapsed),
                            Json.write(options));
                }
            }
        }
        return last;
    }

    /** A live bar on a terminal; elsewhere (CI, files) a plain line every 30 seconds. */
    private ProgressBar progressBar(int done) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(runName).setInitialMax(options.steps)
                .startsFrom(done, java.time.Duration.ZERO).setStyle(ProgressBarStyle.ASCII);
        if (System.console() != null) return b.setUpdateIntervalMillis(1000).continuousUpdate().build();
        return b.setUpdateIntervalMillis(30_000).setConsumer(new DelegatingProgressBarConsumer(out::println, 100)).build();
    }

    /** Teacher-forced loss, perplexity and accuracy on every validation batch; BLEU, chrF and exact match on decodes. */
    private Evaluation evaluate(int step, Trainer trainer, Translator translator, TaskData data, List<Batch> valBatches) {
        Trainer.EvalResult e = trainer.evaluate(valBatches);
        List<EncodedPair> decoded = data.val().subList(0, Math.min(options.evalSentences, data.val().size()));
        int[][] sources = decoded.stream().map(EncodedPair::source).toArray(int[][]::new);
        int[][] hyps = options.beam > 1 ? translator.beam(sources, options.beam, options.lengthPenalty, options.maxLen)
                : translator.greedy(sources, options.maxLen);
        List<String> hypText = new ArrayList<>(), refText = data.valReferences().subList(0, decoded.size());
        int exact = 0;
        for (int i = 0; i < hyps.length; i++) {
            hypText.add(data.tokenizer().decode(hyps[i]));
            if (Arrays.equals(hyps[i], decoded.get(i).target())) exact++;
        }
        double bleu = Bleu.corpus(hypText, List.of(refText)).score();
        double chrf = ChrF.corpus(hypText, List.of(refText)).score();
        return new Evaluation(step, e.tokenLoss(), e.perplexity(), e.accuracy(), bleu, chrf, (double) exact / Math.max(1, hyps.length));
    }
}
