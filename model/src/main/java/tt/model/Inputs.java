package tt.model;

import tt.kernels.IntBuf;

/**
 * The per-batch inputs uploaded before every step: token ids laid out [sentences, padded length]
 * and each sentence's length. tgtIn starts with &lt;s&gt;, tgtOut is tgtIn shifted left, ending with &lt;/s&gt;.
 * With token reduction, each source token's slot in the reduced source (-1: dropped) and each
 * sentence's reduced length, set between the two encoder graphs.
 */
record Inputs(IntBuf srcIds, IntBuf tgtIn, IntBuf tgtOut, IntBuf srcLengths, IntBuf tgtLengths, IntBuf tokenDest, IntBuf reducedLengths) {

    static Inputs allocate(BatchLimits l) {
        return new Inputs(IntBuf.allocate("src_ids", l.maxTokens()), IntBuf.allocate("tgt_in", l.maxTokens()),
                IntBuf.allocate("tgt_out", l.maxTokens()), IntBuf.allocate("src_lengths", l.maxSentences()),
                IntBuf.allocate("tgt_lengths", l.maxSentences()), IntBuf.allocate("token_dest", l.maxTokens()),
                IntBuf.allocate("reduced_lengths", l.maxSentences()));
    }
}
