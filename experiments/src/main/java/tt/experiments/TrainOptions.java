package tt.experiments;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import tt.kernels.Kernel.Reduction;
import tt.model.AdamConfig;
import tt.model.BatchLimits;
import tt.model.LengthPenalty;
import tt.model.Schedule;
import tt.model.TransformerConfig;
import tt.model.TransformerConfig.Init;
import tt.model.TransformerConfig.LossKind;
import tt.model.TransformerConfig.NormPlacement;

import tt.model.data.Multi30k;
import tt.model.data.Objective;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

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
    String task;

    @Option(names = "--data", description = "Multi30k directory (default: $TT_DATA, then shared/data/multi30k above the working directory).")
    Path data;

    @Option(names = "--download", description = "Download Multi30k from its public source if it is not found.")
    boolean download;

    @Option(names = "--src-lang", defaultValue = "de", description = "Multi30k source language (default: ${DEFAULT-VALUE}).")
    String srcLang;

    @Option(names = "--tgt-lang", defaultValue = "en", description = "Multi30k target language (default: ${DEFAULT-VALUE}).")
    String tgtLang;

    @Option(names = "--train-src", description = "Training source file (task files), plain or .gz.") Path trainSrc;
    @Option(names = "--train-tgt", description = "Training target file (task files).") Path trainTgt;
    @Option(names = "--val-src", description = "Validation source file (task files).") Path valSrc;
    @Option(names = "--val-tgt", description = "Validation target file (task files).") Path valTgt;

    @Option(names = "--train-size", description = "Synthetic training pairs (default 20000), or a cap on corpus pairs (default: the whole corpus).")
    Integer trainSize;

    @Option(names = "--val-size", defaultValue = "500", description = "Synthetic validation pairs (default: ${DEFAULT-VALUE}).")
    int valSize;

    @Option(names = "--data-seed", defaultValue = "1",
            description = "Seed of the synthetic sequences (training, validation and test sets), apart from --seed so that every seed of an experiment sees the same data (default: ${DEFAULT-VALUE}).")
    int dataSeed;

    @Option(names = "--tokenizer", defaultValue = "bpe", description = "Corpus tokenizer: bpe or word (default: ${DEFAULT-VALUE}).")
    String tokenizer;

    @Option(names = "--vocab-size", defaultValue = "8000", description = "Shared BPE vocabulary size, or word vocabulary cap (default: ${DEFAULT-VALUE}).")
    int vocabSize;

    @Option(names = "--min-freq", defaultValue = "2", description = "Word tokenizer minimum frequency (default: ${DEFAULT-VALUE}).")
    int minFreq;

    @Option(names = "--bpe-dropout", defaultValue = "0", description = "BPE-dropout (Provilkov et al. 2020): each training epoch segments "
            + "the sentences afresh, skipping each merge with this probability (the paper's 0.1); validation, test and translation "
            + "segment as usual (default: ${DEFAULT-VALUE}, off).")
    float bpeDropout;

    @Option(names = "--bpe-split-punctuation", description = "Cut words where letters and digits meet punctuation before learning BPE, "
            + "so that no token joins them (\"ladder.\" is \"ladder\" and \".\", as in a Moses-tokenized corpus or SentencePiece); "
            + "the text still decodes exactly. A run's tokenizer file records it.")
    boolean bpeSplitPunctuation;

    @Option(names = "--max-len", defaultValue = "100", description = "Longest sentence kept, in tokens; decoder-only, the longest sequence (<s>, source, </s>, target) less one (default: ${DEFAULT-VALUE}).")
    int maxLen;

    // ---- model ----
    @Option(names = "--arch", defaultValue = "encoder-decoder", description = "encoder-decoder (the paper's), encoder-only (BERT's shape: "
            + "a prediction per source position) or decoder-only (GPT's shape: causal self-attention, no cross-attention) (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--objective", description = "translate (encoder-decoder; decoder-only with the source as prompt), tag (encoder-only: "
            + "one target token per source token), lm (decoder-only: a language model of the target side) or mlm (encoder-only: "
            + "BERT's masked tokens of the target side) (default: translate, or tag for encoder-only).")
    String objective;

    @Option(names = "--preset", defaultValue = "tiny", description = "tiny, small, base or big (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--layers", description = "Encoder and decoder layers (default: the preset's).") Integer layers;
    @Option(names = "--d-model", description = "Model width (default: the preset's).") Integer dModel;
    @Option(names = "--heads", description = "Attention heads (default: the preset's).") Integer heads;
    @Option(names = "--d-ff", description = "Feed-forward width (default: the preset's).") Integer dFF;
    @Option(names = "--dropout", description = "Dropout rate of the embeddings and every sublayer's output (default: the preset's).") Float dropout;
    @Option(names = "--attention-dropout", description = "Dropout rate of the attention probabilities (default: --dropout's, as torch's nn.Transformer; fairseq's default is 0).")
    Float attentionDropout;
    @Option(names = "--activation-dropout", description = "Dropout rate of the feed-forward hidden layer (default: --dropout's, as torch's nn.Transformer; fairseq's default is 0).")
    Float activationDropout;

    @Option(names = "--norm", defaultValue = "post", description = "post (paper) or pre (default: ${DEFAULT-VALUE}).") NormPlacement norm;
    @Option(names = "--init", defaultValue = "xavier_uniform",
            description = "xavier_uniform or default (torch's nn.Linear / nn.Embedding) (default: ${DEFAULT-VALUE}).") Init init;
    @Option(names = "--loss", defaultValue = "kl", description = "kl or cross_entropy (default: ${DEFAULT-VALUE}).") LossKind loss;
    @Option(names = "--reduction", defaultValue = "token", description = "sum, mean, batchmean or token (default: ${DEFAULT-VALUE}).") Reduction reduction;
    @Option(names = "--label-smoothing", defaultValue = "0.1", description = "Epsilon (default: ${DEFAULT-VALUE}).") float labelSmoothing;
    @Option(names = "--no-tie", description = "Separate source, target and output embeddings.") boolean noTie;

    // ---- optimisation ----
    @Option(names = "--schedule", defaultValue = "noam", description = "noam, cosine-warmup or constant (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--lr", defaultValue = "1.0", description = "Noam factor, or peak / constant learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", description = "Warmup updates (default: a quarter of --steps, at least 250, at most the paper's 4000: "
            + "a short run still reaches its peak learning rate, and the peak stays below those whose loss spiked; see results/defaults).")
    Integer warmup;

    @Option(names = "--steps", defaultValue = "1000", description = "Optimizer updates (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--max-tokens", defaultValue = "4096", description = "Padded tokens per batch and side (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--accumulate", defaultValue = "1", description = "Batches accumulated per update (default: ${DEFAULT-VALUE}).")
    int accumulate;

    @Option(names = "--clip-norm", defaultValue = "0", description = "Global gradient norm clip, 0 = off (default: ${DEFAULT-VALUE}).")
    float clipNorm;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Decoupled weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--adam-betas", defaultValue = "0.9,0.98", paramLabel = "B1,B2", converter = AdamBetas.Parser.class,
            description = "Adam's decay rates for the gradient's running mean and square (default: the paper's ${DEFAULT-VALUE}; "
                    + "fairseq and torch.optim.Adam default to 0.9,0.999).")
    AdamBetas adamBetas;

    /** Adam's two decay rates, given as "B1,B2". */
    record AdamBetas(float beta1, float beta2) {
        static final class Parser implements picocli.CommandLine.ITypeConverter<AdamBetas> {
            @Override public AdamBetas convert(String text) {
                String[] rates = text.split(",", -1);
                try {
                    if (rates.length == 2) return new AdamBetas(Float.parseFloat(rates[0].strip()), Float.parseFloat(rates[1].strip()));
                } catch (NumberFormatException e) {
                    // told below
                }
                throw new picocli.CommandLine.TypeConversionException("'" + text + "' is not two rates separated by a comma, e.g. 0.9,0.98");
            }
        }
    }

    @Option(names = "--adam-eps", defaultValue = "1e-9",
            description = "Adam's epsilon (default: the paper's ${DEFAULT-VALUE}; fairseq and torch.optim.Adam default to 1e-8).")
    float adamEps;

    @Option(names = "--divergence-factor", defaultValue = "10",
            description = "Stop as diverged when the loss exceeds this many times its median over the last 100 updates (and the median by 1 nat or more); 0 = only when it is NaN or infinite (default: ${DEFAULT-VALUE}).")
    double divergenceFactor;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of init, data order and dropout (default: ${DEFAULT-VALUE}).")
    int seed;

    // ---- evaluation ----
    @Option(names = "--eval-every", defaultValue = "500", description = "Evaluate every N updates and at the end (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--eval-sentences", defaultValue = "1000", description = "Validation sentences decoded for BLEU (default: ${DEFAULT-VALUE}).")
    int evalSentences;

    @Option(names = "--beam", defaultValue = "1", description = "Beam width for evaluation decodes, 1 = greedy (default: ${DEFAULT-VALUE}).")
    int beam;

    @Option(names = "--length-penalty", defaultValue = LengthPenalty.DEFAULT_ALPHA, description = "Length penalty alpha for beam search (default: ${DEFAULT-VALUE}).")
    double lengthPenalty;

    @Option(names = "--length-norm", defaultValue = LengthPenalty.DEFAULT_FORM, description = SearchOptions.LENGTH_NORM)
    LengthPenalty.Form lengthNorm;

    @Option(names = "--log-every", defaultValue = "50", description = "Training rows in runs.csv every N updates (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(names = "--checkpoint-every", defaultValue = "1000", description = "Checkpoint every N updates and at the end, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--keep-last-checkpoints", defaultValue = "2", description = "Periodic checkpoints kept, the newest; `tt average --last N` "
            + "averages them (fairseq's --keep-interval-updates) (default: ${DEFAULT-VALUE}).")
    int keepLastCheckpoints;

    @Option(names = "--keep-best-checkpoints", defaultValue = "1", description = "Checkpoints kept in checkpoints/best/ by "
            + "--best-checkpoint-metric at each evaluation, 0 = none (fairseq's --keep-best-checkpoints) (default: ${DEFAULT-VALUE}).")
    int keepBestCheckpoints;

    @Option(names = "--best-checkpoint-metric", defaultValue = "nll", description = "Validation metric that ranks checkpoints and drives "
            + "--patience: nll (lower is better) or bleu (higher is better; needs --eval-sentences) (default: ${DEFAULT-VALUE}).")
    BestMetric bestCheckpointMetric;

    @Option(names = "--patience", defaultValue = "0", description = "Stop early after N evaluations in a row without a better "
            + "--best-checkpoint-metric, 0 = never (fairseq's --patience) (default: ${DEFAULT-VALUE}).")
    int patience;

    /** What ranks checkpoints: validation NLL per token, or validation BLEU of the --eval-sentences decodes. */
    enum BestMetric {
        NLL, BLEU;

        double of(TrainingRun.Evaluation e) { return this == NLL ? e.nll() : e.bleu(); }

        /** Whether {@code a} is strictly better than {@code b}. */
        boolean better(double a, double b) { return this == NLL ? a < b : a > b; }
    }

    /**
     * Options saved as JSON (a checkpoint's, a manifest's), over the defaults: an option the saving
     * version did not have yet takes its default, as the run did.
     */
    static TrainOptions fromJson(com.fasterxml.jackson.databind.JsonNode saved) throws java.io.IOException {
        return Json.MAPPER.readerForUpdating(parse()).readValue(saved);
    }

    /** The options `tt train` would get from these arguments; the defaults are the annotations above, their one home. */
    static TrainOptions parse(String... args) {
        TrainOptions o = new TrainOptions();
        new CommandLine(o).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
        return o;
    }

    /** Every option's range and the combinations that cannot work, before any work starts; the error names the option. */
    TrainOptions check() {
        List<String> tasks = List.of("reverse", "copy", "sort", "multi30k", "files");
        require(tasks.contains(task), "--task", task + " is not a task; use " + String.join(", ", tasks));
        if (task.equals("files")) {
            for (var f : new Object[][] {{"--train-src", trainSrc}, {"--train-tgt", trainTgt}, {"--val-src", valSrc}, {"--val-tgt", valTgt}}) {
                require(f[1] != null, (String) f[0], "is needed with --task files (and so are --train-src, --train-tgt, --val-src and --val-tgt)");
            }
        }
        if (task.equals("multi30k")) {
            require(Multi30k.LANGUAGES.contains(srcLang), "--src-lang", srcLang + ": Multi30k has " + Multi30k.LANGUAGES);
            require(Multi30k.LANGUAGES.contains(tgtLang), "--tgt-lang", tgtLang + ": Multi30k has " + Multi30k.LANGUAGES);
            require(!srcLang.equals(tgtLang), List.of("--tgt-lang", "--src-lang"), "--tgt-lang is the same language as --src-lang (" + srcLang + ")");
        }
        require(trainSize == null || trainSize >= 1, "--train-size", "must be at least 1, got " + trainSize);
        require(valSize >= 1, "--val-size", "must be at least 1, got " + valSize);
        require(tokenizer.equals("bpe") || tokenizer.equals("word"), "--tokenizer", tokenizer + ": use bpe or word");
        require(vocabSize >= 16, "--vocab-size", "must be at least 16 (4 special tokens and some symbols), got " + vocabSize);
        require(minFreq >= 1, "--min-freq", "must be at least 1, got " + minFreq);
        require(maxLen >= 1, "--max-len", "must be at least 1, got " + maxLen);
        require(ARCHS.contains(arch), "--arch", arch + " is not an architecture; use " + String.join(", ", ARCHS));
        require(objective == null || OBJECTIVES.contains(objective), "--objective", objective + " is not an objective; use "
                + String.join(", ", OBJECTIVES));
        Objective goal = objective();
        TransformerConfig.Arch shape = TransformerConfig.Arch.parse(arch);
        require(switch (goal) {
            case TRANSLATE -> shape.hasDecoder();
            case TAG, MLM -> shape == TransformerConfig.Arch.ENCODER_ONLY;
            case LM -> shape == TransformerConfig.Arch.DECODER_ONLY;
        }, List.of("--objective", "--arch"), "--objective " + goal.label() + " does not fit --arch " + arch + ": translate needs a decoder, "
                + "tag and mlm are encoder-only, lm is decoder-only");
        require(PRESETS.contains(preset.toLowerCase(Locale.ROOT)), "--preset", preset + " is not a preset; use " + String.join(", ", PRESETS));
        require(layers == null || layers >= 1, "--layers", "must be at least 1, got " + layers);
        require(dModel == null || dModel >= 1, "--d-model", "must be at least 1, got " + dModel);
        require(heads == null || heads >= 1, "--heads", "must be at least 1, got " + heads);
        require(dFF == null || dFF >= 1, "--d-ff", "must be at least 1, got " + dFF);
        require(bpeDropout >= 0 && bpeDropout < 1, "--bpe-dropout", "must be in [0, 1), got " + bpeDropout);
        requireBpeOnText(bpeDropout != 0, "--bpe-dropout");
        requireBpeOnText(bpeSplitPunctuation, "--bpe-split-punctuation");
        require(dropout == null || (dropout >= 0 && dropout < 1), "--dropout", "must be in [0, 1), got " + dropout);
        require(attentionDropout == null || (attentionDropout >= 0 && attentionDropout < 1), "--attention-dropout", "must be in [0, 1), got " + attentionDropout);
        require(activationDropout == null || (activationDropout >= 0 && activationDropout < 1), "--activation-dropout",
                "must be in [0, 1), got " + activationDropout);
        TransformerConfig preset = TransformerConfig.preset(this.preset, ANY_VOCAB);
        int width = dModel != null ? dModel : preset.dModel(), headCount = heads != null ? heads : preset.heads();
        require(width % headCount == 0, List.of("--d-model", "--heads"), "--d-model " + width + (dModel == null ? " (preset " + this.preset + ")" : "")
                + " is not a multiple of --heads " + headCount + (heads == null ? " (preset " + this.preset + ")" : ""));
        require(labelSmoothing >= 0 && labelSmoothing < 1, "--label-smoothing", "must be in [0, 1), got " + labelSmoothing);
        require(SCHEDULES.contains(schedule), "--schedule", schedule + " is not a schedule; use " + String.join(", ", SCHEDULES));
        require(lr > 0 && Double.isFinite(lr), "--lr", "must be positive, got " + lr);
        require(warmupUpdates() >= 0, "--warmup", "must be 0 or more, got " + warmup);
        require(warmupUpdates() >= 1 || !schedule.equals("noam"), List.of("--warmup", "--schedule"), "--warmup must be at least 1 with --schedule noam, got " + warmup);
        require(steps >= 1, "--steps", "must be at least 1, got " + steps);
        require(maxTokens >= maxLen + 1, List.of("--max-tokens", "--max-len"), "--max-tokens " + maxTokens + " cannot hold one sentence of --max-len "
                + maxLen + " plus <s> or </s>; give at least " + (maxLen + 1));
        require(accumulate >= 1, "--accumulate", "must be at least 1, got " + accumulate);
        require(clipNorm >= 0, "--clip-norm", "must be 0 (off) or positive, got " + clipNorm);
        require(weightDecay >= 0, "--weight-decay", "must be 0 (off) or positive, got " + weightDecay);
        require(adamBetas.beta1() >= 0 && adamBetas.beta1() < 1 && adamBetas.beta2() >= 0 && adamBetas.beta2() < 1, "--adam-betas",
                "must be two rates in [0, 1), e.g. 0.9,0.98; got " + adamBetas.beta1() + "," + adamBetas.beta2());
        require(adamEps > 0, "--adam-eps", "must be positive, got " + adamEps);
        require(divergenceFactor >= 0, "--divergence-factor", "must be 0 (NaN and infinities only) or positive, got " + divergenceFactor);
        require(evalEvery >= 1, "--eval-every", "must be at least 1, got " + evalEvery);
        require(evalSentences >= 0, "--eval-sentences", "must be 0 (no decoding) or more, got " + evalSentences);
        require(beam >= 1, "--beam", "must be at least 1 (1 = greedy), got " + beam);
        require(lengthPenalty >= 0, "--length-penalty", "must be 0 or more, got " + lengthPenalty);
        require(logEvery >= 1, "--log-every", "must be at least 1, got " + logEvery);
        require(checkpointEvery >= 0, "--checkpoint-every", "must be 0 (only at the end) or more, got " + checkpointEvery);
        require(keepLastCheckpoints >= 1, "--keep-last-checkpoints", "must be at least 1 (the one to resume from), got " + keepLastCheckpoints);
        require(keepBestCheckpoints >= 0, "--keep-best-checkpoints", "must be 0 (none) or more, got " + keepBestCheckpoints);
        require(patience >= 0, "--patience", "must be 0 (never stop early) or more, got " + patience);
        require(bestCheckpointMetric != BestMetric.BLEU || evalSentences > 0, List.of("--best-checkpoint-metric", "--eval-sentences"),
                "--best-checkpoint-metric bleu needs decoded validation sentences; give --eval-sentences above 0");
        require(bestCheckpointMetric != BestMetric.BLEU || objective().decodes(), List.of("--best-checkpoint-metric", "--objective"),
                "--best-checkpoint-metric bleu needs decoded outputs, which --objective " + objective().label() + " has none of; use nll");
        if (warmup == null) warmup = warmupUpdates();  // pinned: a resume that raises --steps keeps the schedule it started with
        return this;
    }

    private static final List<String> PRESETS = List.of("tiny", "small", "base", "big");
    private static final List<String> ARCHS = java.util.Arrays.stream(TransformerConfig.Arch.values()).map(TransformerConfig.Arch::label).toList();
    private static final List<String> OBJECTIVES = java.util.Arrays.stream(Objective.values()).map(Objective::label).toList();
    /** The fields that matter only to beam search (width above 1), in options and in an experiment's test section. */
    static final List<String> BEAM_ONLY = List.of("lengthPenalty", "lengthNorm");
    private static final List<String> SCHEDULES = List.of("noam", "cosine-warmup", "constant");
    /** Any vocabulary will do to read a preset's shape. */
    private static final int ANY_VOCAB = 100;

    private static void require(boolean ok, String option, String problem) {
        if (!ok) throw new OptionError(List.of(option), option + " " + problem);
    }

    /** A BPE option ({@code option}, set when {@code used}) needs the BPE tokenizer and a text task to segment. */
    private void requireBpeOnText(boolean used, String option) {
        require(!used || (tokenizer.equals("bpe") && !synthetic()), List.of(option, "--tokenizer", "--task"),
                option + " needs --tokenizer bpe and a text task (multi30k or files), not --tokenizer " + tokenizer + " --task " + task);
    }

    /** A combination of options that cannot work; the message names them all. */
    private static void require(boolean ok, List<String> options, String message) {
        if (!ok) throw new OptionError(options, message);
    }

    /** Options that are out of range or do not fit together; {@code options} are their names, e.g. "--lr". */
    static final class OptionError extends IllegalArgumentException {
        final List<String> options;

        OptionError(List<String> options, String message) {
            super(message);
            this.options = options;
        }
    }

    /**
     * What the run is, as JSON with the preset's values filled in for the architecture options left
     * unset, so that two option sets that build the same run compare equal.
     */
    com.fasterxml.jackson.databind.node.ObjectNode identity() {
        com.fasterxml.jackson.databind.node.ObjectNode tree = Json.MAPPER.valueToTree(this);
        if (beam == 1) tree.remove(BEAM_ONLY);  // greedy evaluation decodes: no length penalty
        tree.put("warmup", warmupUpdates());
        if (ARCHS.contains(arch) && (objective == null || OBJECTIVES.contains(objective))) tree.put("objective", objective().label());
        if (PRESETS.contains(preset.toLowerCase(Locale.ROOT))) {  // else check() has the error to give
            TransformerConfig p = TransformerConfig.preset(preset, ANY_VOCAB);
            tree.put("layers", layers != null ? layers : p.layers()).put("dModel", dModel != null ? dModel : p.dModel())
                    .put("heads", heads != null ? heads : p.heads()).put("dFF", dFF != null ? dFF : p.dFF());
            float rate = dropout != null ? dropout : p.dropout();  // also what the two below follow when unset
            tree.put("dropout", rate).put("attentionDropout", attentionDropout != null ? attentionDropout : rate)
                    .put("activationDropout", activationDropout != null ? activationDropout : rate);
        }
        return (com.fasterxml.jackson.databind.node.ObjectNode) Json.reparse(tree);
    }

    boolean synthetic() { return task.equals("reverse") || task.equals("copy") || task.equals("sort"); }

    /** What a model trained with these options translates: its task, with Multi30k's direction. Ensemble members must agree on it. */
    String translates() { return task.equals("multi30k") ? "multi30k " + srcLang + "-" + tgtLang : task; }

    /** What the run learns: --objective, or by default translate (tag for an encoder-only model). */
    Objective objective() {
        if (objective != null) return Objective.parse(objective);
        return TransformerConfig.Arch.parse(arch) == TransformerConfig.Arch.ENCODER_ONLY ? Objective.TAG : Objective.TRANSLATE;
    }

    /** The model for a tokenizer of {@code vocab} ids (and the objective's extra tokens). */
    TransformerConfig model(int vocab) {
        TransformerConfig.Builder b = TransformerConfig.preset(preset, vocab + objective().extraTokens()).toBuilder()
                .maxLen(Math.max(256, maxLen + 2)).arch(TransformerConfig.Arch.parse(arch));
        if (layers != null) b.layers(layers);
        if (dModel != null) b.dModel(dModel);
        if (heads != null) b.heads(heads);
        if (dFF != null) b.dFF(dFF);
        if (dropout != null) b.dropout(dropout);
        return b.attentionDropout(attentionDropout).activationDropout(activationDropout).norm(norm).init(init).loss(loss).reduction(reduction)
                .labelSmoothing(labelSmoothing).tieEmbeddings(!noTie).build();
    }

    /** Sentences up to maxLen tokens plus &lt;s&gt; or &lt;/s&gt;. */
    BatchLimits limits() { return new BatchLimits(maxTokens, maxTokens, maxLen + 1); }

    /** The length penalty of evaluation decodes (greedy ones need none). */
    LengthPenalty penalty() { return LengthPenalty.forBeam(beam, lengthNorm, lengthPenalty); }

    AdamConfig adam() { return new AdamConfig(adamBetas.beta1(), adamBetas.beta2(), adamEps, weightDecay, clipNorm); }

    /**
     * --warmup, or by default a quarter of --steps, at least 250, at most the paper's 4000. Chosen by
     * experiments/specs/defaults.yaml: with the paper's 4000 a 1000-update run never reaches its peak
     * and learns late, and after 100 warmup updates (noam peak 8.8e-3 at d_model 128) the loss spiked tenfold.
     */
    static final int MIN_DEFAULT_WARMUP = 250, PAPER_WARMUP = 4000;

    int warmupUpdates() { return warmup != null ? warmup : Math.clamp(steps / 4, MIN_DEFAULT_WARMUP, PAPER_WARMUP); }

    Schedule schedule(int dModel) { return Schedule.parse(schedule, lr, warmupUpdates(), steps, dModel); }

    /** Whether a run to fewer --steps made the same updates as this one up to there, so that it can train on (d_model does not matter to that). */
    boolean lengthens() { return !schedule(1).dependsOnTotal(); }
}
