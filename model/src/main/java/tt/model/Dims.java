package tt.model;

import tt.kernels.Dim;
import tt.kernels.LiveSizes;

/**
 * The live dimensions of one batch, shared by every graph of a model, and the fixed ones. With
 * token reduction ({@link TokenReduction}) the encoder's later layers and the cross-attention run
 * over the reduced source: its padded length, rows and self-attention scores. Decoding
 * one position at a time adds the position, the keys cached so far (position + 1), the positions
 * each cache holds, a cache's row per sentence (cacheLength * d_model floats) and the part of it
 * filled so far (decodeKeys * d_model floats).
 */
record Dims(Dim batch, Dim srcLen, Dim tgtLen, Dim srcRows, Dim tgtRows, Dim batchHeads,
            Dim encoderScores, Dim decoderScores, Dim crossScores, Dim reducedLen, Dim reducedRows, Dim reducedScores, Dim step,
            Dim decodePosition, Dim decodeKeys, Dim cacheLength, Dim cacheRow, Dim cacheUsed,
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
                sizes.live("reduced_len", l.maxLen()),
                sizes.live("reduced_rows", l.maxTokens()),
                sizes.live("reduced_scores", maxScores(c, l)),
                sizes.live("step", Integer.MAX_VALUE),
                sizes.live("decode_position", l.maxLen() - 1),
                sizes.live("decode_keys", l.maxLen()),
                sizes.live("cache_length", l.maxLen()),
                sizes.live("cache_row", Math.multiplyExact(l.maxLen(), c.dModel())),
                sizes.live("cache_used", Math.multiplyExact(l.maxLen(), c.dModel())),
                Dim.fixed(c.dModel()), Dim.fixed(c.dFF()), Dim.fixed(c.tgtVocab()), l);
    }
}
