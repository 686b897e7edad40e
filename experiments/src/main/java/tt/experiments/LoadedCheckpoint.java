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

    /** {@code beam} sizes the decoder's buffers; {@code command} names the caller in warnings. */
    static LoadedCheckpoint open(Path given, Backend backend, int beam, String command) throws IOException {
        Path dir = resolve(given, command);
        TransformerConfig config = Checkpoint.config(dir);
        Tokenizer tokenizer = Tokenizer.load(dir.resolve(Checkpoint.TOKENIZER));
        int len = config.maxLen();  // sources up to the model's own length limit; outputs as the caller asks
        Transformer model = Transformer.create(config, new BatchLimits(Math.max(4096, len * beam), 4096, len), null, 0);
        Checkpoint.loadParameters(dir.resolve(Checkpoint.MODEL), model);
        backend.upload(model.parameterRoot());
        return new LoadedCheckpoint(dir, tokenizer, model, new Translator(model, backend));
    }

    private static Path resolve(Path given, String command) throws IOException {
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
