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
import java.util.stream.Stream;

/**
 * A task's data, encoded: the shared tokenizer (learned on the training side, or reloaded from
 * the run directory so a resumed run encodes exactly as before), training and validation pairs,
 * and the validation references as text for BLEU.
 */
record TaskData(Tokenizer tokenizer, List<EncodedPair> train, List<EncodedPair> val, List<String> valReferences) {

    static final String TOKENIZER_FILE = "tokenizer.json";

    static TaskData load(TrainOptions o, Path runDir) throws IOException {
        if (o.synthetic()) {
            SyntheticTask.Kind kind = SyntheticTask.Kind.valueOf(o.task.toUpperCase(Locale.ROOT));
            SyntheticTask train = SyntheticTask.of(kind, o.trainSize != null ? o.trainSize : 20_000, o.seed);
            SyntheticTask val = SyntheticTask.of(kind, o.valSize, o.seed + 1_000_003L);
            Tokenizer tok = train.tokenizer();
            List<EncodedPair> valPairs = val.pairs();
            return new TaskData(tok, train.pairs(), valPairs, valPairs.stream().map(p -> tok.decode(p.target())).toList());
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
        return new TaskData(tok, train.encode(tok, tok), val.encode(tok, tok), val.target());
    }

    private static Tokenizer tokenizer(TrainOptions o, Path runDir, ParallelCorpus train) throws IOException {
        Path saved = runDir.resolve(TOKENIZER_FILE);
        if (Files.exists(saved)) return Tokenizer.load(saved);
        List<String> both = Stream.concat(train.source().stream(), train.target().stream()).toList();
        Tokenizer tok = switch (o.tokenizer) {
            case "bpe" -> BpeTokenizer.train(both, o.vocabSize);
            case "word" -> WordTokenizer.train(both, o.minFreq, o.vocabSize);
            default -> throw new IllegalArgumentException("--tokenizer " + o.tokenizer + ": use bpe or word");
        };
        Files.createDirectories(runDir);
        tok.save(saved);
        return tok;
    }
}
