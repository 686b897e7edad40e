package tt.experiments;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import picocli.CommandLine.Option;
import tt.kernels.Kernel.Reduction;
import tt.model.AdamConfig;
import tt.model.BatchLimits;
import tt.model.Schedule;
import tt.model.TransformerConfig;
import tt.model.TransformerConfig.Init;
import tt.model.TransformerConfig.LossKind;
import tt.model.TransformerConfig.NormPlacement;

import java.nio.file.Path;

/**
 * Everything a training run is defined by: the command line of `tt train` and, serialised as JSON,
 * what a checkpoint records so that a resumed run rebuilds exactly the same model, data and schedule.
 * Fields left null take the preset's value.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
public final class TrainOptions {
    // ---- task and data ----
    @Option(names = "--task", defaultValue = "reverse",
            description = "reverse | copy | sort (synthetic, no files), multi30k, or files (--train-src ...). Default: ${DEFAULT-VALUE}.")
    String task = "reverse";

    @Option(names = "--data", description = "Multi30k directory (default: $TT_DATA, then shared/data/multi30k above the working directory).")
    Path data;

    @Option(names = "--download", description = "Download Multi30k from its public source if it is not found.")
    boolean download;

    @Option(names = "--src-lang", defaultValue = "de", description = "Multi30k source language (default: ${DEFAULT-VALUE}).")
    String srcLang = "de";

    @Option(names = "--tgt-lang", defaultValue = "en", description = "Multi30k target language (default: ${DEFAULT-VALUE}).")
    String tgtLang = "en";

    @Option(names = "--train-src", description = "Training source file (task files), plain or .gz.") Path trainSrc;
    @Option(names = "--train-tgt", description = "Training target file (task files).") Path trainTgt;
    @Option(names = "--val-src", description = "Validation source file (task files).") Path valSrc;
    @Option(names = "--val-tgt", description = "Validation target file (task files).") Path valTgt;

    @Option(names = "--train-size", description = "Synthetic training pairs (default 20000), or a cap on corpus pairs (default: the whole corpus).")
    Integer trainSize;

    @Option(names = "--val-size", defaultValue = "500", description = "Synthetic validation pairs (default: ${DEFAULT-VALUE}).")
    int valSize = 500;

    @Option(names = "--tokenizer", defaultValue = "bpe", description = "Corpus tokenizer: bpe or word (default: ${DEFAULT-VALUE}).")
    String tokenizer = "bpe";

    @Option(names = "--vocab-size", defaultValue = "8000", description = "Shared BPE vocabulary size, or word vocabulary cap (default: ${DEFAULT-VALUE}).")
    int vocabSize = 8000;

    @Option(names = "--min-freq", defaultValue = "2", description = "Word tokenizer minimum frequency (default: ${DEFAULT-VALUE}).")
    int minFreq = 2;

    @Option(names = "--max-len", defaultValue = "100", description = "Longest sentence kept, in tokens (default: ${DEFAULT-VALUE}).")
    int maxLen = 100;

    // ---- model ----
    @Option(names = "--preset", defaultValue = "tiny", description = "tiny, small, base or big (default: ${DEFAULT-VALUE}).")
    String preset = "tiny";

    @Option(names = "--layers") Integer layers;
    @Option(names = "--d-model") Integer dModel;
    @Option(names = "--heads") Integer heads;
    @Option(names = "--d-ff") Integer dFF;
    @Option(names = "--dropout") Float dropout;

    @Option(names = "--norm", description = "post (paper) or pre.") NormPlacement norm;
    @Option(names = "--init", description = "xavier_uniform (default) or default (torch's nn.Linear / nn.Embedding).") Init init;
    @Option(names = "--loss", description = "kl (default) or cross_entropy.") LossKind loss;
    @Option(names = "--reduction", description = "sum, mean, batchmean or token (default).") Reduction reduction;
    @Option(names = "--label-smoothing", description = "Epsilon (default 0.1).") Float labelSmoothing;
    @Option(names = "--no-tie", description = "Separate source, target and output embeddings.") boolean noTie;

    // ---- optimisation ----
    @Option(names = "--schedule", defaultValue = "noam", description = "noam, cosine-warmup or constant (default: ${DEFAULT-VALUE}).")
    String schedule = "noam";

    @Option(names = "--lr", defaultValue = "1.0", description = "Noam factor, or peak / constant learning rate (default: ${DEFAULT-VALUE}).")
    double lr = 1.0;

    @Option(names = "--warmup", defaultValue = "4000", description = "Warmup updates (default: ${DEFAULT-VALUE}).")
    int warmup = 4000;

    @Option(names = "--steps", defaultValue = "1000", description = "Optimizer updates (default: ${DEFAULT-VALUE}).")
    int steps = 1000;

    @Option(names = "--max-tokens", defaultValue = "4096", description = "Padded tokens per batch and side (default: ${DEFAULT-VALUE}).")
    int maxTokens = 4096;

    @Option(names = "--accumulate", defaultValue = "1", description = "Batches accumulated per update (default: ${DEFAULT-VALUE}).")
    int accumulate = 1;

    @Option(names = "--clip-norm", defaultValue = "0", description = "Global gradient norm clip, 0 = off (default: ${DEFAULT-VALUE}).")
    float clipNorm;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Decoupled weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of init, data order and dropout (default: ${DEFAULT-VALUE}).")
    int seed = 1;

    // ---- evaluation ----
    @Option(names = "--eval-every", defaultValue = "500", description = "Evaluate every N updates and at the end (default: ${DEFAULT-VALUE}).")
    int evalEvery = 500;

    @Option(names = "--eval-sentences", defaultValue = "1000", description = "Validation sentences decoded for BLEU (default: ${DEFAULT-VALUE}).")
    int evalSentences = 1000;

    @Option(names = "--beam", defaultValue = "1", description = "Beam width for evaluation decodes, 1 = greedy (default: ${DEFAULT-VALUE}).")
    int beam = 1;

    @Option(names = "--length-penalty", defaultValue = "0.6", description = "GNMT length penalty alpha for beam search (default: ${DEFAULT-VALUE}).")
    double lengthPenalty = 0.6;

    @Option(names = "--log-every", defaultValue = "50", description = "Training rows in runs.csv every N updates (default: ${DEFAULT-VALUE}).")
    int logEvery = 50;

    @Option(names = "--checkpoint-every", defaultValue = "1000", description = "Checkpoint every N updates and at the end, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery = 1000;

    boolean synthetic() { return task.equals("reverse") || task.equals("copy") || task.equals("sort"); }

    TransformerConfig model(int vocab) {
        TransformerConfig.Builder b = TransformerConfig.preset(preset, vocab).toBuilder().maxLen(Math.max(256, maxLen + 2));
        if (layers != null) b.layers(layers);
        if (dModel != null) b.dModel(dModel);
        if (heads != null) b.heads(heads);
        if (dFF != null) b.dFF(dFF);
        if (dropout != null) b.dropout(dropout);
        if (norm != null) b.norm(norm);
        if (init != null) b.init(init);
        if (loss != null) b.loss(loss);
        if (reduction != null) b.reduction(reduction);
        if (labelSmoothing != null) b.labelSmoothing(labelSmoothing);
        if (noTie) b.tieEmbeddings(false);
        return b.build();
    }

    /** Sentences up to maxLen tokens plus &lt;s&gt; or &lt;/s&gt;. */
    BatchLimits limits() { return new BatchLimits(maxTokens, maxTokens, maxLen + 1); }

    AdamConfig adam() { return new AdamConfig(0.9f, 0.98f, 1e-9f, weightDecay, clipNorm); }

    Schedule schedule(int dModel) { return Schedule.parse(schedule, lr, warmup, steps, dModel); }
}
