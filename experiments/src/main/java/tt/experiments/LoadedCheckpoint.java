package tt.experiments;

import tt.kernels.Backend;
import tt.model.BatchLimits;
import tt.model.Checkpoint;
import tt.model.Transformer;
import tt.model.TransformerConfig;
import tt.model.Translator;
import tt.model.text.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checkpoints opened for inference, as translate, evaluate and attention use them: each found from a
 * run directory, its checkpoints directory (the newest intact one) or a step directory (checked),
 * their shared tokenizer, and models without optimizer whose parameters are on {@code backend}.
 * Several checkpoints decode as an ensemble (fairseq's {@code --path a.pt:b.pt}); one is the
 * usual case, which {@link #dir()} and {@link #model()} name.
 */
record LoadedCheckpoint(List<Path> dirs, Tokenizer tokenizer, List<Transformer> models, Translator translator) {

    /** A model for up to {@code sentences} sentences at a time, whose chunks hold up to {@code tokens} decoder positions (at least one sentence's). */
    static LoadedCheckpoint open(Path given, Backend backend, int sentences, int tokens, int beam, String command) throws IOException {
        return open(List.of(given), backend, sentences, tokens, beam, command, null);
    }

    /**
     * As above, for an ensemble of the checkpoints {@code given}, which must share their tokenizer
     * and task, each model reducing the source's tokens in its encoder ({@code reduction} null: not).
     */
    static LoadedCheckpoint open(List<Path> given, Backend backend, int sentences, int tokens, int beam, String command,
                                 tt.model.TokenReduction reduction) throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (Path g : given) dirs.add(resolve(g, command));
        Path first = dirs.getFirst();
        String task = dirs.size() > 1 ? TrainOptions.fromJson(Checkpoint.options(first)).translates() : null;  // one model has no one to agree with
        for (int i = 1; i < dirs.size(); i++) {
            if (Files.mismatch(first.resolve(Checkpoint.TOKENIZER), dirs.get(i).resolve(Checkpoint.TOKENIZER)) != -1) {
                throw new IllegalArgumentException("--checkpoint " + given.get(i) + ": its tokenizer differs from that of " + given.getFirst()
                        + "; an ensemble's members must share one vocabulary (train them on the same data with the same --tokenizer and --vocab-size)");
            }
            String other = TrainOptions.fromJson(Checkpoint.options(dirs.get(i))).translates();
            if (!other.equals(task)) {
                throw new IllegalArgumentException("--checkpoint " + given.get(i) + " was trained on " + other + ", " + given.getFirst() + " on " + task
                        + "; an ensemble's members must translate the same way");
            }
        }
        Tokenizer tokenizer = Tokenizer.load(first.resolve(Checkpoint.TOKENIZER));
        List<TransformerConfig> configs = new ArrayList<>();
        for (Path dir : dirs) configs.add(Checkpoint.config(dir));
        int len = configs.stream().mapToInt(TransformerConfig::maxLen).min().orElseThrow();  // what every member takes
        int chunk = Math.max(sentences == 1 ? len : tokens, len * beam);
        BatchLimits limits = new BatchLimits(chunk, Math.min(chunk, sentences * beam), len);
        List<Transformer> models = new ArrayList<>();
        for (int i = 0; i < dirs.size(); i++) {
            Transformer model = Transformer.create(configs.get(i), limits, null, 0, reduction);
            Checkpoint.loadParameters(dirs.get(i).resolve(Checkpoint.MODEL), model);
            backend.upload(model.parameterRoot());
            models.add(model);
        }
        return new LoadedCheckpoint(dirs, tokenizer, models, new Translator(models, backend));
    }

    /** The (first) checkpoint's directory. */
    Path dir() { return dirs.getFirst(); }

    /** The (first) checkpoint's model. */
    Transformer model() { return models.getFirst(); }

    /** The checkpoint directory {@code given} names: itself (checked), or a run's or checkpoints directory's newest intact one. */
    static Path resolve(Path given, String command) throws IOException {
        if (Files.exists(given.resolve(Checkpoint.MODEL))) {
            Checkpoint.verify(given);
            return given;
        }
        Path checkpoints = Checkpoint.exists(given) ? given : given.resolve(RunDirectory.CHECKPOINTS);
        if (Checkpoint.exists(checkpoints)) return Checkpoint.latestIntact(checkpoints, w -> System.err.println("tt " + command + ": " + w));
        throw new IllegalArgumentException("--checkpoint " + given + ": no " + Checkpoint.MODEL + " or checkpoints/" + Checkpoint.LATEST
                + " there; give a run directory");
    }
}
