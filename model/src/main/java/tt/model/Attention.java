package tt.model;

import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;
import tt.kernels.Kernel.CacheWrite;
import tt.kernels.Kernel.CachedAttention;
import tt.kernels.Kernel.Gemm;
import tt.kernels.Kernel.GatherRows;
import tt.kernels.Kernel.HeadTranspose;
import tt.kernels.Kernel.KeySizeBias;
import tt.kernels.Kernel.Softmax;
import tt.kernels.Kernel.SoftmaxBackward;

/**
 * Multi-head attention, Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V per head, with queries
 * from {@code xq} and keys/values from {@code xkv} (the same tensor for self-attention). Keys at or
 * past keyLengths[b] are masked, and later keys too when causal. Parameters are named as in
 * torch.nn.MultiheadAttention: in_proj_weight [3d, d] holds W_q, W_k, W_v; out_proj.
 *
 * <p>Decoding one position at a time ({@link Pass#incremental}), the decoder's self-attention keeps
 * its keys and values in k_heads and v_heads as caches [sentences, positions, d_model], appending
 * the new position's at every step; the cross-attention reads the keys and values that
 * {@link #projectMemory} projected from the encoder memory once per sentence, [sentences, source
 * positions, d_model]. Token-major, as projections write them: nothing is transposed into heads,
 * and a beam's filled positions are one contiguous block. Only the new position's query is
 * projected and attends.
 *
 * <p>Over a reduced source ({@link TokenReduction}), {@code keySizes} says how many tokens each key
 * stands for, and every score of a key gains log(size): ToMe's proportional attention.
 */
final class Attention implements Sublayer {
    private static final Dim ONE = Dim.fixed(1);
    private final String name;
    private final Tensor xq, xkv;
    private final Dim batch, qLen, kvLen, qRows, kvRows, batchHeads, scoreCount, headDim;
    private final Dim decodePosition, decodeKeys, cacheLength, cacheRow, cacheUsed;
    private final int heads;
    private final IntBuf keyLengths;
    private final boolean causal;
    /** How many tokens each key stands for ([batch, keys]), and whether scores gain their log (ones otherwise: every key one token). */
    private final FloatBuf keySizes;
    private final boolean proportional;
    private final Linear wq, wk, wv, wo;
    private final Dropout dropout;
    // Kept for backward: projections, per-head layouts, probabilities.
    private final Tensor q, k, v, qh, kh, vh, scores, probs, probsDropped, contextHeads, context, out;

    /** {@code keySizes} null: every key is one token. */
    Attention(Layout l, String name, Tensor xq, Tensor xkv, Dim qLen, Dim kvLen, Dim qRows, Dim kvRows,
              Dim scoreCount, IntBuf keyLengths, boolean causal, FloatBuf keySizes) {
        TransformerConfig c = l.config;
        int d = c.dModel();
        this.name = name;
        this.xq = xq;
        this.xkv = xkv;
        this.batch = l.dims.batch();
        this.qLen = qLen;
        this.kvLen = kvLen;
        this.qRows = qRows;
        this.kvRows = kvRows;
        this.batchHeads = l.dims.batchHeads();
        this.scoreCount = scoreCount;
        this.heads = c.heads();
        this.headDim = Dim.fixed(c.headDim());
        this.decodePosition = l.dims.decodePosition();
        this.decodeKeys = l.dims.decodeKeys();
        this.cacheLength = l.dims.cacheLength();
        this.cacheRow = l.dims.cacheRow();
        this.cacheUsed = l.dims.cacheUsed();
        this.keyLengths = keyLengths;
        this.causal = causal;
        this.keySizes = keySizes != null ? keySizes : l.ones;
        this.proportional = keySizes != null;
        Tensor inProjW = l.buffers.parameter(name + ".in_proj_weight", 3 * d, d);
        Tensor inProjB = l.buffers.parameter(name + ".in_proj_bias", 3 * d);
        Buffers b = l.buffers;
        this.wq = new Linear(name + ".q", b.declare(inProjW.slice(name + ".w_q", 0, d, d)), b.declare(inProjB.slice(name + ".b_q", 0, d)));
        this.wk = new Linear(name + ".k", b.declare(inProjW.slice(name + ".w_k", d * d, d, d)), b.declare(inProjB.slice(name + ".b_k", d, d)));
        this.wv = new Linear(name + ".v", b.declare(inProjW.slice(name + ".w_v", 2 * d * d, d, d)),
                b.declare(inProjB.slice(name + ".b_v", 2 * d, d)));
        this.wo = Linear.create(l.buffers, name + ".out_proj", d, d);
        this.dropout = l.dropout(name + ".attn_dropout", l.config.attentionDropout());
        this.q = l.rows(name + ".q", d);
        this.k = l.rows(name + ".k", d);
        this.v = l.rows(name + ".v", d);
        this.qh = l.rows(name + ".q_heads", d);
        this.kh = l.rows(name + ".k_heads", d);
        this.vh = l.rows(name + ".v_heads", d);
        // [heads, max tokens, max keys]: the bound Dims.maxScores puts on batch * heads * queries * keys.
        int[] scoreShape = {c.heads(), l.dims.limits().maxTokens(), l.dims.limits().maxLen()};
        this.scores = l.buffers.activation(name + ".scores", scoreShape);
        this.probs = l.buffers.activation(name + ".probs", scoreShape);
        this.probsDropped = l.buffers.activation(name + ".probs_dropped", scoreShape);
        this.contextHeads = l.rows(name + ".context_heads", d);
        this.context = l.rows(name + ".context", d);
        this.out = l.rows(name + ".out", d);
        l.attentions.add(this);
    }

    @Override public Tensor output() { return out; }

    String name() { return name; }

    /** The attention probabilities of the last run, [batch * heads, queries, keys] at the live sizes, and the dims that size them. */
    FloatBuf probabilities() { return probs.value(); }

    Dim queries() { return qLen; }

    Dim keys() { return kvLen; }

    /** The keys of the last run, [batch * keys, d_model] (heads side by side): what ToMe's matching compares. */
    FloatBuf keyVectors() { return k.value(); }

    @Override public void forward(Pass p) {
        if (p.incremental()) {
            forwardOnePosition(p);
            return;
        }
        int h = heads, dk = headDim.max();
        wq.forward(p, qRows, xq.value(), q.value());
        p.add(name + ": split q heads", new HeadTranspose(batch, qLen, h, dk, true, false, q.value(), qh.value()));
        projectMemory(p);
        p.add(name + ": split k heads", new HeadTranspose(batch, kvLen, h, dk, true, false, k.value(), kh.value()));
        p.add(name + ": split v heads", new HeadTranspose(batch, kvLen, h, dk, true, false, v.value(), vh.value()));
        p.add(name + ": scores = q k^T", new Gemm(batchHeads, qLen, kvLen, headDim, false, true, 1f, qh.value(), kh.value(), 0f, scores.value()));
        if (proportional) p.add(name + ": scores += log(key sizes) / sqrt(d_k)", new KeySizeBias(batch, h, qLen, kvLen, scale(), keySizes, scores.value()));
        p.add(name + ": probs = softmax(scores / sqrt(d_k))", new Softmax(batch, h, qLen, kvLen, scale(), causal, keyLengths,
                scores.value(), probs.value()));
        FloatBuf attended = dropout.forward(p, scoreCount, ONE, probs.value(), probsDropped.value());
        p.add(name + ": context = probs v", new Gemm(batchHeads, qLen, headDim, kvLen, false, false, 1f, attended, vh.value(), 0f, contextHeads.value()));
        p.add(name + ": merge heads", new HeadTranspose(batch, qLen, h, dk, false, false, contextHeads.value(), context.value()));
        wo.forward(p, qRows, context.value(), out.value());
    }

    /** Keys and values of every key position: k, v [batch, keys, d_model]. */
    void projectMemory(Pass p) {
        wk.forward(p, kvRows, xkv.value(), k.value());
        wv.forward(p, kvRows, xkv.value(), v.value());
    }

    /**
     * One query per sentence (qRows = batch): a causal self-attention first caches its new key and
     * value at the position being decoded and attends over positions 0..position; the
     * cross-attention attends over the memory {@link #projectMemory} cached.
     */
    private void forwardOnePosition(Pass p) {
        int d = heads * headDim.max();
        wq.forward(p, qRows, xq.value(), q.value());
        Dim visible = kvLen, capacity = kvLen;
        FloatBuf keys = k.value(), values = v.value();
        if (causal) {
            wk.forward(p, qRows, xkv.value(), k.value());
            wv.forward(p, qRows, xkv.value(), v.value());
            p.add(name + ": cache k", new CacheWrite(batch, d, decodePosition, cacheLength, k.value(), kh.value()));
            p.add(name + ": cache v", new CacheWrite(batch, d, decodePosition, cacheLength, v.value(), vh.value()));
            keys = kh.value();
            values = vh.value();
            visible = decodeKeys;
            capacity = cacheLength;
        }
        p.add(name + ": attend over cached k, v", new CachedAttention(batch, heads, headDim.max(), visible, capacity,
                scale(), keyLengths, q.value(), keys, values, keySizes, probs.value(), context.value()));
        wo.forward(p, qRows, context.value(), out.value());
    }

    /** Beam search: each sentence row's cached keys and values so far become those of row parents[row], through scratch. */
    void reorderCache(Pass p, IntBuf parents, FloatBuf scratch) {
        p.add(name + ": reorder cached k", new GatherRows(batch, cacheUsed, cacheRow, parents, scratch, kh.value()));
        p.add(name + ": reorder cached v", new GatherRows(batch, cacheUsed, cacheRow, parents, scratch, vh.value()));
    }

    @Override public void backward(Pass p) {
        int h = heads, dk = headDim.max();
        wo.backward(p, qRows, context.value(), out.grad(), context.grad());
        p.add(name + ": split context grad heads", new HeadTranspose(batch, qLen, h, dk, true, true, context.grad(), contextHeads.grad()));
        p.add(name + ": dprobs += dcontext v^T", new Gemm(batchHeads, qLen, kvLen, headDim, false, true, 1f, contextHeads.grad(), vh.value(), 1f, probsDropped.grad()));
        p.add(name + ": dv += probs^T dcontext", new Gemm(batchHeads, kvLen, headDim, qLen, true, false, 1f, probsDropped.value(), contextHeads.grad(), 1f, vh.grad()));
        dropout.backward(p, scoreCount, ONE, probsDropped.grad(), probs.grad());
        p.add(name + ": softmax backward", new SoftmaxBackward(batch, h, qLen, kvLen, scale(), probs.value(), probs.grad(), scores.grad()));
        p.add(name + ": dq += dscores k", new Gemm(batchHeads, qLen, headDim, kvLen, false, false, 1f, scores.grad(), kh.value(), 1f, qh.grad()));
        p.add(name + ": dk += dscores^T q", new Gemm(batchHeads, kvLen, headDim, qLen, true, false, 1f, scores.grad(), qh.value(), 1f, kh.grad()));
        p.add(name + ": merge q grad heads", new HeadTranspose(batch, qLen, h, dk, false, true, qh.grad(), q.grad()));
        p.add(name + ": merge k grad heads", new HeadTranspose(batch, kvLen, h, dk, false, true, kh.grad(), k.grad()));
        p.add(name + ": merge v grad heads", new HeadTranspose(batch, kvLen, h, dk, false, true, vh.grad(), v.grad()));
        wq.backward(p, qRows, xq.value(), q.grad(), xq.grad());
        wk.backward(p, kvRows, xkv.value(), k.grad(), xkv.grad());
        wv.backward(p, kvRows, xkv.value(), v.grad(), xkv.grad());
    }

    private float scale() { return (float) (1.0 / Math.sqrt(headDim.max())); }
}
