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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.IntToLongFunction;
import java.util.function.LongUnaryOperator;

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
        IntFunction<BatchLimits> limitsFor = chunk -> new BatchLimits(chunk, Math.min(chunk, sentences * beam), len);
        IntToLongFunction bytesAt = chunk -> {  // members trained alike share a config: each distinct one is measured once
            Map<TransformerConfig, Long> each = new HashMap<>();
            return configs.stream().mapToLong(c -> each.computeIfAbsent(c, k -> Transformer.bytesNeeded(k, limitsFor.apply(chunk), null, reduction))).sum();
        };
        int asked = Math.max(sentences == 1 ? len : tokens, len * beam);
        BatchLimits limits = limitsFor.apply(chunkThatFits(asked, len * beam, bytesAt, Transformer::freeHeap, dirs.size(), command));
        List<Transformer> models = new ArrayList<>();
        for (int i = 0; i < dirs.size(); i++) {
            Transformer model = Transformer.create(configs.get(i), limits, null, 0, reduction);
            Checkpoint.loadParameters(dirs.get(i).resolve(Checkpoint.MODEL), model);
            backend.upload(model.parameterRoot());
            models.add(model);
        }
        return new LoadedCheckpoint(dirs, tokenizer, models, new Translator(models, backend));
    }

    /**
     * The chunk of decoder positions, at most {@code asked} and at least {@code smallest} (one
     * longest sentence's beams), whose buffers for all {@code members} fit in the bytes {@code freeHeap} finds free:
     * an ensemble too large for the heap at --max-tokens decodes in smaller chunks, more slowly (the
     * same translations but where one reaches the length limit, which follows its chunk's longest
     * source). Fails when even the smallest chunk does not fit.
     */
    static int chunkThatFits(int asked, int smallest, IntToLongFunction bytesAt, LongUnaryOperator freeHeap, int members, String command) {
        long needed = bytesAt.applyAsLong(asked), free = freeHeap.applyAsLong(needed);
        if (needed <= free) return asked;
        String buffers = members == 1 ? "the model's buffers" : members + " models' buffers";
        // Buffers grow about linearly with the chunk: start from that estimate, then step down until they fit.
        int chunk = (int) Math.max(smallest, Math.min(asked - 1L, asked * (double) free / needed));
        long atChunk;
        while ((atChunk = bytesAt.applyAsLong(chunk)) > free && chunk > smallest) chunk = Math.max(smallest, (int) (chunk * 0.95));
        if (atChunk > free) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "even in chunks of %d tokens (one longest sentence's beams), %s take"
                    + " about %.1f GiB, but the JVM heap has %.1f GiB free; give the JVM more heap (TT_HEAP=%dg ./tt ...) or decode with fewer models",
                    chunk, buffers, atChunk / Transformer.GIB, free / Transformer.GIB, Transformer.heapFor(atChunk, free)));
        }
        System.err.printf(Locale.ROOT, "tt %s: in chunks of %d tokens (--max-tokens), %s take about %.1f GiB, and the JVM heap has %.1f GiB free:"
                + " decoding chunks of %d tokens instead, more slowly (TT_HEAP=%dg ./tt ... keeps %d)%n",
                command, asked, buffers, needed / Transformer.GIB, free / Transformer.GIB, chunk, Transformer.heapFor(needed, free), asked);
        return chunk;
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
