package tt.kernels;

/**
 * One call in a step graph: what to compute and over which buffers, never how. Each backend maps
 * every kernel to its own implementation (JVM: {@code tt.kernels.jvm}, TornadoVM: under the
 * {@code tornado} profile). Layout is row-major and dense at the live sizes: a [rows, cols]
 * operand occupies its first rows*cols elements.
 *
 * <p>Convention for backward kernels: they <em>add</em> into their gradient outputs, as
 * autograd does; a step zeroes its gradient buffers with {@link Fill} first, unless the first call
 * into a gradient can overwrite it instead ({@link #overwriting}).
 *
 * <p>A kernel's last buffer component is one it writes (TornadoVM needs the written array last
 * in a task's arguments, and diagnostics read a call's output there); Adam, which updates
 * parameters and both moments, is the exception.
 */
public sealed interface Kernel {

    /** Checks every buffer against the dimensions' current values (live sizes as they are now); throws with what is wrong. */
    void check(Checks c);

    /** The float buffers the call reads or writes, in its record's order: for diagnostics, such as where a NaN first appears. */
    default java.util.List<FloatBuf> floatBuffers() {
        java.util.List<FloatBuf> out = new java.util.ArrayList<>();
        for (java.lang.reflect.RecordComponent c : getClass().getRecordComponents()) {
            if (c.getType() != FloatBuf.class) continue;
            try {
                out.add((FloatBuf) c.getAccessor().invoke(this));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("kernel records have public accessors", e);
            }
        }
        return out;
    }

    /**
     * This call rewritten to overwrite {@code target}, one of its outputs, instead of adding into it;
     * null when it cannot. The rewritten call writes every element of {@code target} at the live sizes,
     * so a step need not zero a gradient whose life starts with it.
     */
    default Kernel overwriting(FloatBuf target) { return null; }

    /**
     * Whether {@code out}, one of this call's operands, is exactly {@code target} and the only operand
     * that touches it: the call can then write the target without reading it. For {@link #overwriting}.
     */
    default boolean onlyWrites(FloatBuf out, FloatBuf target) {
        return out.sameRegion(target) && floatBuffers().stream().filter(b -> b.overlaps(target)).count() == 1;
    }

    /** x[:] = value over the whole view. */
    record Fill(FloatBuf x, float value) implements Kernel {
        public void check(Checks c) {
            c.whole(x);
        }
    }

    /**
     * For each of {@code batch} matrices: C = alpha * op(A) op(B) + beta * C, where op(A) is m x k
     * (A stored k x m when transA), op(B) is k x n (B stored n x k when transB), C is m x n.
     * Matrices of one batch follow each other densely.
     */
    record Gemm(Dim batch, Dim m, Dim n, Dim k, boolean transA, boolean transB,
                float alpha, FloatBuf a, FloatBuf b, float beta, FloatBuf c) implements Kernel {
        public void check(Checks ch) {
            ch.floats(a, ch.product(batch, m, k), "batch*m*k");
            ch.floats(b, ch.product(batch, k, n), "batch*k*n");
            ch.floats(c, ch.product(batch, m, n), "batch*m*n");
        }

        @Override public Kernel overwriting(FloatBuf target) {
            return beta == 1f && onlyWrites(c, target)
                    ? new Gemm(batch, m, n, k, transA, transB, alpha, a, b, 0f, c) : null;
        }
    }

    /** x[r, c] += bias[c]. */
    record BiasAdd(Dim rows, Dim cols, FloatBuf bias, FloatBuf x) implements Kernel {
        public void check(Checks ch) {
            ch.vectors(cols, "cols", bias);
            ch.matrices(rows, cols, x);
        }
    }

    /** dBias[c] += sum over r of dy[r, c]. */
    record BiasBackward(Dim rows, Dim cols, FloatBuf dy, FloatBuf dBias) implements Kernel {
        public void check(Checks ch) {
            ch.matrices(rows, cols, dy);
            ch.vectors(cols, "cols", dBias);
        }
    }

    /** out[t, :] = scale * table[ids[t], :]; ids must lie in [0, table rows). */
    record EmbeddingForward(Dim tokens, Dim dim, float scale, IntBuf ids, FloatBuf table, FloatBuf out) implements Kernel {
        public void check(Checks ch) {
            ch.ints(ids, ch.size(tokens), "tokens");
            ch.floats(out, ch.product(tokens, dim), "tokens*dim");
            ch.multipleOf(table, dim);
        }
    }

    /** dTable[ids[t], :] += scale * dOut[t, :]; ids must lie in [0, table rows), checked before any write. */
    record EmbeddingBackward(Dim tokens, Dim dim, float scale, IntBuf ids, FloatBuf dOut, FloatBuf dTable) implements Kernel {
        public void check(Checks ch) {
            ch.ints(ids, ch.size(tokens), "tokens");
            ch.floats(dOut, ch.product(tokens, dim), "tokens*dim");
            ch.multipleOf(dTable, dim);
        }
    }

    /**
     * x[r, :] += table[first + r mod seqLen, :]: positions restart with every sequence of the batch,
     * from {@code first} (0 for whole sequences; the position being decoded, one token at a time).
     */
    record PositionalAdd(Dim rows, Dim seqLen, Dim first, Dim dim, FloatBuf table, FloatBuf x) implements Kernel {
        public void check(Checks ch) {
            ch.floats(table, (ch.size(first) + (long) ch.size(seqLen)) * ch.size(dim), "(first+seqLen)*dim");
            ch.floats(x, ch.product(rows, dim), "rows*dim");
        }
    }

    /** out = a + b (out may be a or b). */
    record Add(Dim rows, Dim cols, FloatBuf a, FloatBuf b, FloatBuf out) implements Kernel {
        public void check(Checks ch) {
            ch.matrices(rows, cols, a, b, out);
        }
    }

    /** y += alpha * x, or without {@code accumulate} y = alpha * x. */
    record Axpy(Dim rows, Dim cols, float alpha, boolean accumulate, FloatBuf x, FloatBuf y) implements Kernel {
        public Axpy(Dim rows, Dim cols, float alpha, FloatBuf x, FloatBuf y) { this(rows, cols, alpha, true, x, y); }

        public void check(Checks ch) {
            ch.matrices(rows, cols, x, y);
        }

        @Override public Kernel overwriting(FloatBuf target) {
            return accumulate && onlyWrites(y, target) ? new Axpy(rows, cols, alpha, false, x, y) : null;
        }
    }

    /** y = max(x, 0). */
    record Relu(Dim rows, Dim cols, FloatBuf x, FloatBuf y) implements Kernel {
        public void check(Checks ch) {
            ch.matrices(rows, cols, x, y);
        }
    }

    /** dx += dy where y > 0 (y is the forward output); without {@code accumulate} dx = that, 0 elsewhere. */
    record ReluBackward(Dim rows, Dim cols, boolean accumulate, FloatBuf y, FloatBuf dy, FloatBuf dx) implements Kernel {
        public ReluBackward(Dim rows, Dim cols, FloatBuf y, FloatBuf dy, FloatBuf dx) { this(rows, cols, true, y, dy, dx); }

        public void check(Checks ch) {
            ch.matrices(rows, cols, y, dy, dx);
        }

        @Override public Kernel overwriting(FloatBuf target) {
            return accumulate && onlyWrites(dx, target)
                    ? new ReluBackward(rows, cols, false, y, dy, dx) : null;
        }
    }

    /**
     * y[i] = x[i] * DropoutMask.factor(seed, sizes[step], site, i, p): inverted dropout whose mask
     * is a function of the element index, so backward recomputes it.
     */
    record Dropout(Dim rows, Dim cols, float p, int seed, Dim step, int site, FloatBuf x, FloatBuf y) implements Kernel {
        public void check(Checks ch) {
            ch.matrices(rows, cols, x, y);
            ch.probability(p);
        }
    }

    /** dx[i] += dy[i] * DropoutMask.factor(seed, sizes[step], site, i, p). */
    record DropoutBackward(Dim rows, Dim cols, float p, int seed, Dim step, int site, FloatBuf dy, FloatBuf dx) implements Kernel {
        public void check(Checks ch) {
            ch.matrices(rows, cols, dy, dx);
            ch.probability(p);
        }

        /** Overwriting, the backward is the forward's mask applied to dy. */
        @Override public Kernel overwriting(FloatBuf target) {
            return onlyWrites(dx, target) ? new Dropout(rows, cols, p, seed, step, site, dy, dx) : null;
        }
    }

    /**
     * Moves multi-head layout between [batch, seq, heads*headDim] (token rows) and
     * [batch, heads, seq, headDim] (one matrix per head). {@code toHeads} picks the direction;
     * {@code accumulate} adds into out instead of overwriting it (the backward of either direction
     * is the other direction, accumulated).
     */
    record HeadTranspose(Dim batch, Dim seq, int heads, int headDim, boolean toHeads, boolean accumulate,
                         FloatBuf in, FloatBuf out) implements Kernel {
        public void check(Checks ch) {
            long n = ch.product(batch, seq) * heads * headDim;
            ch.floats(in, n, "batch*seq*heads*headDim");
            ch.floats(out, n, "batch*seq*heads*headDim");
        }

        @Override public Kernel overwriting(FloatBuf target) {
            return accumulate && onlyWrites(out, target)
                    ? new HeadTranspose(batch, seq, heads, headDim, toHeads, false, in, out) : null;
        }
    }

    /**
     * probs = softmax over keys of (scale * scores + mask) for scores [batch, heads, queries, keys];
     * the mask hides keys at or past keyLengths[b] and, when causal, keys after the query. Lengths
     * are clamped to [0, keys]; a row with no visible key is all zeros.
     */
    record Softmax(Dim batch, int heads, Dim queries, Dim keys, float scale, boolean causal,
                   IntBuf keyLengths, FloatBuf scores, FloatBuf probs) implements Kernel {
        public void check(Checks ch) {
            long n = ch.product(batch, queries, keys) * heads;
            ch.ints(keyLengths, ch.size(batch), "batch");
            ch.floats(scores, n, "batch*heads*queries*keys");
            ch.floats(probs, n, "batch*heads*queries*keys");
            if (!(scale > 0f)) ch.fail("softmax scale must be positive, got " + scale);
        }
    }

    /** dScores += scale * probs * (dProbs - sum over keys of dProbs * probs); without {@code accumulate}, =. */
    record SoftmaxBackward(Dim batch, int heads, Dim queries, Dim keys, float scale, boolean accumulate,
                           FloatBuf probs, FloatBuf dProbs, FloatBuf dScores) implements Kernel {
        public SoftmaxBackward(Dim batch, int heads, Dim queries, Dim keys, float scale, FloatBuf probs, FloatBuf dProbs, FloatBuf dScores) {
            this(batch, heads, queries, keys, scale, true, probs, dProbs, dScores);
        }

        @Override public Kernel overwriting(FloatBuf target) {
            return accumulate && onlyWrites(dScores, target)
                    ? new SoftmaxBackward(batch, heads, queries, keys, scale, false, probs, dProbs, dScores) : null;
        }

        public void check(Checks ch) {
            long n = ch.product(batch, queries, keys) * heads;
            ch.floats(probs, n, "batch*heads*queries*keys");
            ch.floats(dProbs, n, "batch*heads*queries*keys");
            ch.floats(dScores, n, "batch*heads*queries*keys");
        }
    }

    /** y = (x - mean) * rstd * gamma + beta per row; keeps mean and rstd = 1/sqrt(var + eps) for backward. */
    record LayerNorm(Dim rows, Dim cols, float eps, FloatBuf x, FloatBuf gamma, FloatBuf beta,
                     FloatBuf y, FloatBuf mean, FloatBuf rstd) implements Kernel {
        public void check(Checks ch) {
            ch.matrices(rows, cols, x, y);
            ch.vectors(cols, "cols", gamma, beta);
            ch.vectors(rows, "rows", mean, rstd);
        }
    }

    /** dx, dGamma, dBeta += the layer norm gradients given dy; without {@code accumulate} dx is written (dGamma, dBeta still add). */
    record LayerNormBackward(Dim rows, Dim cols, boolean accumulate, FloatBuf x, FloatBuf gamma, FloatBuf mean, FloatBuf rstd,
                             FloatBuf dy, FloatBuf dx, FloatBuf dGamma, FloatBuf dBeta) implements Kernel {
        public LayerNormBackward(Dim rows, Dim cols, FloatBuf x, FloatBuf gamma, FloatBuf mean, FloatBuf rstd,
                                 FloatBuf dy, FloatBuf dx, FloatBuf dGamma, FloatBuf dBeta) {
            this(rows, cols, true, x, gamma, mean, rstd, dy, dx, dGamma, dBeta);
        }

        @Override public Kernel overwriting(FloatBuf target) {
            return accumulate && onlyWrites(dx, target)
                    ? new LayerNormBackward(rows, cols, false, x, gamma, mean, rstd, dy, dx, dGamma, dBeta) : null;
        }

        public void check(Checks ch) {
            ch.matrices(rows, cols, x, dy, dx);
            ch.vectors(cols, "cols", gamma, dGamma, dBeta);
            ch.vectors(rows, "rows", mean, rstd);
        }
    }

    /**
     * Decoding one token at a time, keys and values are kept: cache[r, position, :] = x[r, :] for
     * x [rows, width] and cache [rows, capacity, width], token-major as the projections write them.
     */
    record CacheWrite(Dim rows, int width, Dim position, Dim capacity, FloatBuf x, FloatBuf cache) implements Kernel {
        public void check(Checks ch) {
            ch.floats(x, ch.size(rows) * (long) width, "rows*width");
            ch.floats(cache, ch.product(rows, capacity) * width, "rows*capacity*width");
            if (ch.size(rows) > 0 && ch.size(position) >= ch.size(capacity)) ch.fail("position " + ch.size(position) + " is past the cache's capacity " + ch.size(capacity));
        }
    }

    /**
     * One query per row against cached keys and values, per head: probs[r, h, j] = softmax over the
     * visible keys j (j < keys and j < keyLengths[r]) of scale * q[r, h] . k[r, h, j] + log keySizes[r, j],
     * zero past them; context[r, h] = sum over j of probs[r, h, j] v[r, h, j]. q and context are
     * [rows, heads*headDim] (heads side by side, as projections make them), the caches
     * [rows, capacity, heads*headDim] (the same, per key position), keySizes [rows, capacity] (how many
     * tokens each key stands for: 1, or more for tokens merged by ToMe, whose proportional attention
     * the log adds), probs [rows, heads, capacity]. Eq. 1 of the paper for the newest position only.
     */
    record CachedAttention(Dim rows, int heads, int headDim, Dim keys, Dim capacity, float scale, IntBuf keyLengths,
                           FloatBuf q, FloatBuf kCache, FloatBuf vCache, FloatBuf keySizes, FloatBuf probs, FloatBuf context) implements Kernel {
        public void check(Checks ch) {
            long rowsHeads = ch.size(rows) * (long) heads, cache = ch.product(rows, capacity) * heads * headDim;
            ch.ints(keyLengths, ch.size(rows), "rows");
            ch.floats(q, rowsHeads * headDim, "rows*heads*headDim");
            ch.floats(kCache, cache, "rows*capacity*heads*headDim");
            ch.floats(vCache, cache, "rows*capacity*heads*headDim");
            ch.floats(keySizes, ch.product(rows, capacity), "rows*capacity");
            ch.floats(probs, rowsHeads * ch.size(capacity), "rows*heads*capacity");
            ch.floats(context, rowsHeads * headDim, "rows*heads*headDim");
            if (ch.size(keys) > ch.size(capacity)) ch.fail(ch.size(keys) + " keys do not fit the cache's capacity " + ch.size(capacity));
            if (!(scale > 0f)) ch.fail("attention scale must be positive, got " + scale);
        }
    }

    /**
     * ToMe's proportional attention before a softmax that scales by {@code scale}: scores[b, h, i, j]
     * += log(keySizes[b, j]) / scale, so that a key standing for n merged tokens weighs as n keys.
     * scores [batch, heads, queries, keys], keySizes [batch, keys].
     */
    record KeySizeBias(Dim batch, int heads, Dim queries, Dim keys, float scale, FloatBuf keySizes, FloatBuf scores) implements Kernel {
        public void check(Checks ch) {
            ch.floats(keySizes, ch.product(batch, keys), "batch*keys");
            ch.floats(scores, ch.product(batch, queries, keys) * heads, "batch*heads*queries*keys");
            if (!(scale > 0f)) ch.fail("attention scale must be positive, got " + scale);
        }
    }

    /**
     * Token reduction in the encoder (pruning, ToMe merging): token t of sentence b goes to slot
     * dest[b, t] of the output (-1: dropped), and each slot becomes the size-weighted mean of the
     * tokens sent to it, out[b, j] = sum sizes[b, t] x[b, t] / sum sizes[b, t], with outSizes[b, j]
     * their summed size (an empty slot: zeros, size 1). x [batch, inLen, width], dest and sizes
     * [batch, inLen], out [batch, outLen, width], outSizes [batch, outLen]. Both outputs are written.
     */
    record CombineTokens(Dim batch, Dim inLen, Dim outLen, int width, IntBuf dest, FloatBuf sizes, FloatBuf x, FloatBuf outSizes,
                         FloatBuf out) implements Kernel {
        public void check(Checks ch) {
            ch.ints(dest, ch.product(batch, inLen), "batch*inLen");
            ch.floats(sizes, ch.product(batch, inLen), "batch*inLen");
            ch.floats(x, ch.product(batch, inLen) * width, "batch*inLen*width");
            ch.floats(outSizes, ch.product(batch, outLen), "batch*outLen");
            ch.floats(out, ch.product(batch, outLen) * width, "batch*outLen*width");
        }
    }

    /**
     * Beam search's reordering: the first {@code length} floats of row r of data (rows {@code stride}
     * apart) become those of row index[r], through {@code scratch} [rows, length], so any index is
     * fine, repeats included. Only the positions cached so far are copied, not the whole cache.
     */
    record GatherRows(Dim rows, Dim length, Dim stride, IntBuf index, FloatBuf scratch, FloatBuf data) implements Kernel {
        public void check(Checks ch) {
            ch.ints(index, ch.size(rows), "rows");
            ch.floats(scratch, ch.product(rows, length), "rows*length");
            ch.floats(data, ch.product(rows, stride), "rows*stride");
            if (ch.size(length) > ch.size(stride)) ch.fail("row length " + ch.size(length) + " is past the row stride " + ch.size(stride));
        }
    }

    /** y[r, :] = log_softmax(x[r, :]). */
    record LogSoftmax(Dim rows, Dim cols, FloatBuf x, FloatBuf y) implements Kernel {
        public void check(Checks ch) {
            ch.matrices(rows, cols, x, y);
        }
    }

    /** How a summed token loss becomes the reported loss and its gradient; {@link Losses#normalizer} says by what it is divided. */
    enum Reduction {
        /** Sum over all non-pad target tokens. */
        SUM,
        /** Divided by every element of the [rows, vocab] input, pads included (torch KLDivLoss 'mean'). */
        MEAN,
        /** Divided by the number of sentences (torch KLDivLoss 'batchmean'). */
        BATCHMEAN,
        /** Divided by the number of non-pad target tokens. */
        TOKEN;

        /** The int a device kernel receives for this reduction (kernels take no enums). */
        public int code() {
            return switch (this) {
                case SUM -> Losses.SUM;
                case MEAN -> Losses.MEAN;
                case BATCHMEAN -> Losses.BATCHMEAN;
                case TOKEN -> Losses.TOKEN;
            };
        }

        /** What the summed loss is divided by, given the live rows, vocabulary, sentences and non-pad tokens. */
        public float normalizer(int rows, int vocab, int sentences, float tokens) {
            return Losses.normalizer(code(), rows, vocab, sentences, tokens);
        }
    }

    /**
     * Label-smoothed loss of log-probabilities against targets. The smoothed target puts
     * 1-epsilon on the true token and spreads epsilon over the vocabulary minus pad and the true
     * token; pad-target rows contribute nothing. With {@code klDivergence} the loss is
     * KL(q || p) = sum q (log q - log p), as torch's KLDivLoss; otherwise cross-entropy -sum q log p.
     * Writes stats = [summed loss, non-pad tokens, correctly predicted tokens (argmax == target),
     * summed negative log-likelihood of the targets, the summed loss divided as {@code reduction}
     * says]: the NLL is what perplexity is made of, whatever the smoothing and loss kind, and the
     * reduced loss is the one optimised. Non-pad targets must lie in [0, vocab).
     */
    record SmoothedLoss(Dim rows, Dim vocab, Dim sentences, int padId, float epsilon, boolean klDivergence, Reduction reduction,
                        IntBuf targets, FloatBuf logProbs, FloatBuf rowLoss, FloatBuf stats) implements Kernel {
        /** Length of the stats buffer, and the places in it. */
        public static final int STATS = 5, LOSS_SUM = 0, TOKENS = 1, CORRECT = 2, NLL_SUM = 3, REDUCED_LOSS = 4;

        public void check(Checks ch) {
            checkOperands(ch, rows, vocab, epsilon, targets, logProbs, stats);
            ch.vectors(rows, "rows", rowLoss);
        }

        /** What the loss and its backward share: a target per row, [rows, vocab] log-probabilities, the stats. */
        static void checkOperands(Checks ch, Dim rows, Dim vocab, float epsilon, IntBuf targets, FloatBuf logProbs, FloatBuf stats) {
            ch.ints(targets, ch.size(rows), "rows");
            ch.matrices(rows, vocab, logProbs);
            ch.floats(stats, STATS, STATS + " (loss, tokens, correct, nll, reduced loss)");
            ch.probability(epsilon);
        }
    }

    /**
     * dLogits += (softmax - q) / normalizer: the gradient of the reduced loss through log-softmax.
     * The normalizer follows {@code reduction}, using the token count the forward left in stats for
     * TOKEN and the live sentence count {@code sentences} for BATCHMEAN.
     */
    record SmoothedLossBackward(Dim rows, Dim vocab, Dim sentences, int padId, float epsilon, Reduction reduction,
                                IntBuf targets, FloatBuf logProbs, FloatBuf stats, FloatBuf dLogits) implements Kernel {
        public void check(Checks ch) {
            SmoothedLoss.checkOperands(ch, rows, vocab, epsilon, targets, logProbs, stats);
            ch.matrices(rows, vocab, dLogits);
        }
    }

    /**
     * A training step's output layer from logits on: log-softmax, {@link SmoothedLoss} (rowLoss, stats)
     * and {@link SmoothedLossBackward} (dLogits, overwritten; zero on pad rows) in one pass over each
     * row, which stays in cache, instead of five passes over the [rows, vocab] matrix in memory. The
     * TOKEN normalizer counts the non-pad targets first. dLogits may be logits itself (in place).
     */
    record SmoothedLossAndGradient(Dim rows, Dim vocab, Dim sentences, int padId, float epsilon, boolean klDivergence,
                                   Reduction reduction, IntBuf targets, FloatBuf logits, FloatBuf rowLoss, FloatBuf stats,
                                   FloatBuf dLogits) implements Kernel {
        public void check(Checks ch) {
            SmoothedLoss.checkOperands(ch, rows, vocab, epsilon, targets, logits, stats);
            ch.vectors(rows, "rows", rowLoss);
            ch.matrices(rows, vocab, dLogits);
        }
    }

    /** out[0] = the L2 norm of x (a whole gradient root: one global norm for clipping). */
    record GlobalNorm(FloatBuf x, FloatBuf out) implements Kernel {
        public void check(Checks ch) {
            ch.whole(x);
            ch.floats(out, 1, "1");
        }
    }

    /**
     * Adam with bias correction (and decoupled weight decay when non-zero). Per-step scalars come
     * from {@code hyper} = [learning rate, 1 - beta1^t, 1 - beta2^t, gradient scale (1/accumulation)].
     * The gradient is g * scale * clip with clip = min(1, maxNorm / (norm * scale + 1e-6)) when
     * maxNorm > 0, norm being gradNorm[0].
     */
    record Adam(FloatBuf params, FloatBuf grads, FloatBuf m, FloatBuf v, FloatBuf hyper, FloatBuf gradNorm,
                float beta1, float beta2, float eps, float weightDecay, float maxNorm) implements Kernel {
        public void check(Checks ch) {
            long n = params.length();
            ch.whole(params);
            ch.floats(grads, n, "params");
            ch.floats(m, n, "params");
            ch.floats(v, n, "params");
            ch.floats(hyper, 4, "4 (lr, bias corrections, grad scale)");
            ch.floats(gradNorm, 1, "1");
        }
    }
}
