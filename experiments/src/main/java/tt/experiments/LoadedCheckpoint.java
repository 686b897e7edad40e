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

/**
 * A checkpoint opened for inference, as translate and attention use it: found from a run
 * directory, its checkpoints directory (the newest intact one) or a step directory (checked), its
 * tokenizer, and a model without optimizer whose parameters are on {@code backend}.
 */
record LoadedCheckpoint(Path dir, Tokenizer tokenizer, Transformer model, Translator translator) {

    /**
     * {@code sentences} sentences at a time (translate batches many, attention one), each of up to
     * the model's own length limit, searched with {@code beam} hypotheses, size the buffers;
     * {@code command} names the caller in warnings.
     */
    /** A model for up to {@code sentences} sentences at a time, whose chunks hold up to {@code tokens} decoder positions (at least one sentence's). */
    static LoadedCheckpoint open(Path given, Backend backend, int sentences, int tokens, int beam, String command) throws IOException {
        return open(given, backend, sentences, tokens, beam, command, null);
    }

    /** As above, the model reducing the source's tokens in its encoder ({@code reduction} null: not). */
    static LoadedCheckpoint open(Path given, Backend backend, int sentences, int tokens, int beam, String command,
                                 tt.model.TokenReduction reduction) throws IOException {
        Path dir = resolve(given, command);
        TransformerConfig config = Checkpoint.config(dir);
        Tokenizer tokenizer = Tokenizer.load(dir.resolve(Checkpoint.TOKENIZER));
        int len = config.maxLen();
        int chunk = Math.max(sentences == 1 ? len : tokens, len * beam);
        Transformer model = Transformer.create(config, new BatchLimits(chunk, Math.min(chunk, sentences * beam), len), null, 0, reduction);
        Checkpoint.loadParameters(dir.resolve(Checkpoint.MODEL), model);
        backend.upload(model.parameterRoot());
        return new LoadedCheckpoint(dir, tokenizer, model, new Translator(model, backend));
    }

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
