package tt.model;

import tt.kernels.Kernel.Reduction;
import tt.model.data.Batch;
import tt.model.text.Tokenizer;

import java.util.Locale;

/**
 * Everything that defines a Transformer and its loss. Defaults are the paper's (post-LN,
 * sinusoidal positions, embeddings scaled by sqrt(dModel), shared embeddings when the vocabulary
 * is shared, label smoothing 0.1); variants are values here, never code forks.
 *
 * <p>{@code dropout} applies to the embeddings and every sublayer's output (the paper's residual
 * dropout); {@code attentionDropout} to the attention probabilities and {@code activationDropout}
 * to the feed-forward hidden layer, which torch's nn.Transformer drops at {@code dropout} too (the
 * default, null) and fairseq at 0 unless told (its --attention-dropout, --activation-dropout).
 */
public record TransformerConfig(
        int layers, int dModel, int heads, int dFF, float dropout,
        int srcVocab, int tgtVocab, boolean tieEmbeddings, int maxLen,
        NormPlacement norm, Init init, LossKind loss, Reduction reduction, float labelSmoothing,
        float layerNormEps, Arch arch, Float attentionDropout, Float activationDropout) {

    public static final int PAD = Tokenizer.PAD, BOS = Tokenizer.BOS, EOS = Tokenizer.EOS, UNK = Tokenizer.UNK;

    /**
     * Which stacks the model has: the paper's encoder and decoder; the encoder alone with a
     * prediction per position (BERT's shape); or the decoder's causal self-attention alone, without
     * cross-attention (GPT's shape). The layers are the same classes in every one.
     */
    public enum Arch {
        ENCODER_DECODER, ENCODER_ONLY, DECODER_ONLY;

        public boolean hasEncoder() { return this != DECODER_ONLY; }

        public boolean hasDecoder() { return this != ENCODER_ONLY; }

        /** How a pair is laid out in this architecture's batches. */
        public Batch.Layout layout() {
            return switch (this) {
                case ENCODER_DECODER -> Batch.Layout.PAIRS;
                case ENCODER_ONLY -> Batch.Layout.TAGGED;
                case DECODER_ONLY -> Batch.Layout.SEQUENCES;
            };
        }

        /** As the command line writes it: encoder-decoder, encoder-only, decoder-only. */
        public String label() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

        public static Arch parse(String label) {
            for (Arch a : values()) if (a.label().equals(label)) return a;
            throw new IllegalArgumentException(label + " is not an architecture; use encoder-decoder, encoder-only or decoder-only");
        }
    }

    /** Post-LN as in the paper (x + sublayer, then norm) or pre-LN (norm, sublayer, then x +). */
    public enum NormPlacement { POST, PRE }

    /** xavier_uniform on every matrix, or what torch's nn.Linear / nn.Embedding do by default. */
    public enum Init { XAVIER_UNIFORM, DEFAULT }

    /** Label-smoothed KL divergence (torch KLDivLoss) or cross-entropy against the smoothed target. */
    public enum LossKind { KL, CROSS_ENTROPY }

    public TransformerConfig {
        if (arch == null) arch = Arch.ENCODER_DECODER;  // configs saved before there was a choice
        if (attentionDropout == null) attentionDropout = dropout;  // and before these two had rates of their own
        if (activationDropout == null) activationDropout = dropout;
        require(layers >= 1, "layers must be >= 1, got " + layers);
        require(dModel >= 1 && heads >= 1 && dModel % heads == 0,
                "d_model (" + dModel + ") must be a positive multiple of heads (" + heads + ")");
        require(dFF >= 1, "d_ff must be >= 1, got " + dFF);
        require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got " + dropout);
        require(attentionDropout >= 0 && attentionDropout < 1, "attention dropout must be in [0, 1), got " + attentionDropout);
        require(activationDropout >= 0 && activationDropout < 1, "activation dropout must be in [0, 1), got " + activationDropout);
        require(srcVocab > 4 && tgtVocab > 4, "vocabularies need more than the 4 special tokens");
        require(!tieEmbeddings || srcVocab == tgtVocab,
                "weight tying needs a shared vocabulary, got " + srcVocab + " and " + tgtVocab);
        require(arch != Arch.DECODER_ONLY || srcVocab == tgtVocab,
                "a decoder-only model reads source and target through one embedding; give one vocabulary, got " + srcVocab + " and " + tgtVocab);
        require(maxLen >= 2, "max_len must be >= 2, got " + maxLen);
        require(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing must be in [0, 1), got " + labelSmoothing);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("model config: " + message);
    }

    /** Named presets: tiny, small, base (the paper's), big. */
    public static TransformerConfig preset(String name, int vocab) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny" -> paper(2, 128, 4, 512, 0.1f, vocab);
            case "small" -> paper(3, 256, 4, 1024, 0.1f, vocab);
            case "base" -> paper(6, 512, 8, 2048, 0.1f, vocab);
            case "big" -> paper(6, 1024, 16, 4096, 0.3f, vocab);
            default -> throw new IllegalArgumentException("unknown preset '" + name + "'; use tiny, small, base or big");
        };
    }

    public static TransformerConfig paper(int layers, int dModel, int heads, int dFF, float dropout, int vocab) {
        return new TransformerConfig(layers, dModel, heads, dFF, dropout, vocab, vocab, true, 256,
                NormPlacement.POST, Init.XAVIER_UNIFORM, LossKind.KL, Reduction.TOKEN, 0.1f, 1e-5f, Arch.ENCODER_DECODER, null, null);
    }

    public int headDim() { return dModel / heads; }

    public Builder toBuilder() { return new Builder(this); }

    /** Overrides on top of a preset: {@code preset("tiny", v).toBuilder().norm(PRE).build()}. */
    public static final class Builder {
        private int layers, dModel, heads, dFF, srcVocab, tgtVocab, maxLen;
        private float dropout, labelSmoothing, layerNormEps;
        private Float attentionDropout, activationDropout;
        private boolean tieEmbeddings;
        private NormPlacement norm;
        private Init init;
        private LossKind loss;
        private Reduction reduction;
        private Arch arch;

        private Builder(TransformerConfig c) {
            layers = c.layers; dModel = c.dModel; heads = c.heads; dFF = c.dFF; dropout = c.dropout;
            srcVocab = c.srcVocab; tgtVocab = c.tgtVocab; tieEmbeddings = c.tieEmbeddings; maxLen = c.maxLen;
            norm = c.norm; init = c.init; loss = c.loss; reduction = c.reduction;
            labelSmoothing = c.labelSmoothing; layerNormEps = c.layerNormEps; arch = c.arch;
            // As set apart from dropout: a preset's attention and activation rates follow a new dropout.
            attentionDropout = c.attentionDropout == c.dropout ? null : c.attentionDropout;
            activationDropout = c.activationDropout == c.dropout ? null : c.activationDropout;
        }

        public Builder layers(int v) { layers = v; return this; }
        public Builder dModel(int v) { dModel = v; return this; }
        public Builder heads(int v) { heads = v; return this; }
        public Builder dFF(int v) { dFF = v; return this; }
        public Builder dropout(float v) { dropout = v; return this; }
        public Builder vocab(int src, int tgt) { srcVocab = src; tgtVocab = tgt; return this; }
        public Builder tieEmbeddings(boolean v) { tieEmbeddings = v; return this; }
        public Builder maxLen(int v) { maxLen = v; return this; }
        public Builder norm(NormPlacement v) { norm = v; return this; }
        public Builder init(Init v) { init = v; return this; }
        public Builder loss(LossKind v) { loss = v; return this; }
        public Builder reduction(Reduction v) { reduction = v; return this; }
        public Builder labelSmoothing(float v) { labelSmoothing = v; return this; }
        public Builder layerNormEps(float v) { layerNormEps = v; return this; }
        public Builder arch(Arch v) { arch = v; return this; }
        /** null: the dropout rate. */
        public Builder attentionDropout(Float v) { attentionDropout = v; return this; }
        /** null: the dropout rate. */
        public Builder activationDropout(Float v) { activationDropout = v; return this; }

        public TransformerConfig build() {
            return new TransformerConfig(layers, dModel, heads, dFF, dropout, srcVocab, tgtVocab, tieEmbeddings, maxLen,
                    norm, init, loss, reduction, labelSmoothing, layerNormEps, arch, attentionDropout, activationDropout);
        }
    }
}
