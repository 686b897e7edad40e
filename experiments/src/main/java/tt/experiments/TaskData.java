package tt.experiments;

import tt.model.data.EncodedPair;
import tt.model.data.Multi30k;
import tt.model.data.ParallelCorpus;
import tt.model.data.SyntheticTask;
import tt.model.text.BpeTokenizer;
import tt.model.text.Tokenizer;
import tt.model.text.WordTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A task's data, encoded: the shared tokenizer (learned on the training side, or reloaded from
 * the run directory so a resumed run encodes exactly as before), training and validation pairs,
 * the validation references as text for BLEU, and the training text (null for a synthetic task)
 * for segmenting it afresh each epoch.
 */
record TaskData(Tokenizer tokenizer, List<EncodedPair> train, List<EncodedPair> val, List<String> valReferences, ParallelCorpus trainText) {

    static final String TOKENIZER_FILE = "tokenizer.json";
    /** Synthetic validation and test sets are drawn from the data seed plus these, apart from the training set and each other. */
    private static final long VAL_SEED_OFFSET = 1_000_003L, TEST_SEED_OFFSET = 2_000_003L;
    /** Sets BPE-dropout's draws apart from the batch order's, which come from the same (seed, epoch). */
    private static final long BPE_DROPOUT_SEED_SALT = 0x5DEECE66DL;

    /** Held-out pairs and their references as text: what a test decode is scored against. */
    record Heldout(List<EncodedPair> pairs, List<String> references) {}

    /** The held-out splits a task has. */
    enum Split { VAL, TEST }

    /**
     * A held-out split of a task: Multi30k's val or test split (test_2016_flickr), the run's
     * --val-src/--val-tgt or the given {@code src} and {@code tgt} files for {@code --task files},
     * or synthetic sequences from the data seed (--val-size of them, or {@code size} for the test).
     */
    static Heldout heldout(TrainOptions o, Tokenizer tok, Split split, Path src, Path tgt, int size) throws IOException {
        if (o.synthetic()) {
            List<EncodedPair> pairs = SyntheticTask.of(SyntheticTask.Kind.valueOf(o.task.toUpperCase(Locale.ROOT)), split == Split.VAL ? o.valSize : size,
                    o.dataSeed + (split == Split.VAL ? VAL_SEED_OFFSET : TEST_SEED_OFFSET)).pairs();
            return new Heldout(pairs, pairs.stream().map(p -> tok.decode(p.target())).toList());
        }
        ParallelCorpus set = switch (o.task) {
            case "multi30k" -> Multi30k.read(Multi30k.locate(o.data, o.download), split == Split.VAL ? Multi30k.Split.VAL : Multi30k.Split.TEST,
                    o.srcLang, o.tgtLang, ParallelCorpus.Options.DEFAULT);
            case "files" -> {
                Path s = split == Split.VAL ? o.valSrc : src, t = split == Split.VAL ? o.valTgt : tgt;
                if (s == null || t == null) throw new IllegalArgumentException("a test set for --task files needs its src and tgt files");
                yield ParallelCorpus.read(s, t, ParallelCorpus.Options.DEFAULT);
            }
            default -> throw new IllegalArgumentException("--task " + o.task + " has no held-out data");
        };
        return new Heldout(set.encode(tok, tok), set.target());
    }

    static TaskData load(TrainOptions o, Path runDir) throws IOException {
        if (o.synthetic()) {
            SyntheticTask.Kind kind = SyntheticTask.Kind.valueOf(o.task.toUpperCase(Locale.ROOT));
            SyntheticTask train = SyntheticTask.of(kind, o.trainSize != null ? o.trainSize : 20_000, o.dataSeed);
            SyntheticTask val = SyntheticTask.of(kind, o.valSize, o.dataSeed + VAL_SEED_OFFSET);
            Tokenizer tok = train.tokenizer();
            List<EncodedPair> valPairs = val.pairs();
            return new TaskData(tok, train.pairs(), valPairs, valPairs.stream().map(p -> tok.decode(p.target())).toList(), null);
        }
        ParallelCorpus.Options options = ParallelCorpus.Options.DEFAULT.withMaxSentences(o.trainSize != null ? o.trainSize : Integer.MAX_VALUE);
        ParallelCorpus train, val;
        switch (o.task) {
            case "multi30k" -> {
                Path dir = Multi30k.locate(o.data, o.download);
                train = Multi30k.read(dir, Multi30k.Split.TRAIN, o.srcLang, o.tgtLang, options);
                val = Multi30k.read(dir, Multi30k.Split.VAL, o.srcLang, o.tgtLang, ParallelCorpus.Options.DEFAULT);
            }
            case "files" -> {
                if (o.trainSrc == null || o.trainTgt == null || o.valSrc == null || o.valTgt == null) {
                    throw new IllegalArgumentException("--task files needs --train-src, --train-tgt, --val-src and --val-tgt");
                }
                train = ParallelCorpus.read(o.trainSrc, o.trainTgt, options);
                val = ParallelCorpus.read(o.valSrc, o.valTgt, ParallelCorpus.Options.DEFAULT);
            }
            default -> throw new IllegalArgumentException("--task " + o.task + ": use reverse, copy, sort, multi30k or files");
        }
        Tokenizer tok = tokenizer(o, runDir, train);
        return new TaskData(tok, train.encode(tok, tok), val.encode(tok, tok), val.target(), train);
    }

    /**
     * The training pairs of one epoch segmented with BPE-dropout ({@code --bpe-dropout}), drawn from
     * (seed, epoch) apart from the batch order's draws, so a resumed run sees the same segmentations.
     */
    List<EncodedPair> trainSampled(double dropout, long seed, int epoch) {
        if (!(tokenizer instanceof BpeTokenizer bpe) || trainText == null) {
            throw new IllegalStateException("BPE-dropout needs a BPE tokenizer and a text corpus");  // TrainOptions.check refuses the rest
        }
        var random = new SplittableRandom(BPE_DROPOUT_SEED_SALT ^ (seed * 0x9E3779B97F4A7C15L + epoch));
        java.util.function.Function<String, int[]> sample = s -> bpe.encodeSampled(s, dropout, random);
        return trainText.encode(sample, sample);
    }

    private static Tokenizer tokenizer(TrainOptions o, Path runDir, ParallelCorpus train) throws IOException {
        Path saved = runDir.resolve(TOKENIZER_FILE);
        if (Files.exists(saved)) return Tokenizer.load(saved);
        List<String> both = Stream.concat(train.source().stream(), train.target().stream()).toList();
        Tokenizer tok = switch (o.tokenizer) {
            case "bpe" -> BpeTokenizer.train(both, o.vocabSize, o.bpeSplitPunctuation);
            case "word" -> WordTokenizer.train(both, o.minFreq, o.vocabSize);
            default -> throw new IllegalArgumentException("--tokenizer " + o.tokenizer + ": use bpe or word");
        };
        Files.createDirectories(runDir);
        tok.save(saved);
        return tok;
    }
}
