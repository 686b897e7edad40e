package tt.model;

import tt.kernels.Dim;
import tt.kernels.LiveSizes;

/** The live dimensions of one batch, shared by every graph of a model, and the fixed ones. */
record Dims(Dim batch, Dim srcLen, Dim tgtLen, Dim srcRows, Dim tgtRows, Dim batchHeads,
            Dim encoderScores, Dim decoderScores, Dim crossScores, Dim step,
            Dim model, Dim ff, Dim vocab, BatchLimits limits) {

    /** Attention score elements (batch * heads * queries * keys) are bounded by heads * tokens * length. */
    static int maxScores(TransformerConfig c, BatchLimits l) {
        return Math.multiplyExact(c.heads(), Math.multiplyExact(l.maxTokens(), l.maxLen()));
    }

    static Dims create(LiveSizes sizes, TransformerConfig c, BatchLimits l) {
        return new Dims(
                sizes.live("batch", l.maxSentences()),
                sizes.live("src_len", l.maxLen()),
                sizes.live("tgt_len", l.maxLen()),
                sizes.live("src_rows", l.maxTokens()),
                sizes.live("tgt_rows", l.maxTokens()),
                sizes.live("batch_heads", l.maxSentences() * c.heads()),
                sizes.live("encoder_scores", maxScores(c, l)),
                sizes.live("decoder_scores", maxScores(c, l)),
                sizes.live("cross_scores", maxScores(c, l)),
                sizes.live("step", Integer.MAX_VALUE),
                Dim.fixed(c.dModel()), Dim.fixed(c.dFF()), Dim.fixed(c.tgtVocab()), l);
    }
}
