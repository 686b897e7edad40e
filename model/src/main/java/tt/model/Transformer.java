package tt.model;

import tt.kernels.FloatBuf;
import tt.kernels.Dim;
import tt.kernels.IntBuf;
import tt.kernels.Kernel.Fill;
import tt.kernels.Kernel.SmoothedLoss;
import tt.kernels.LiveSizes;
import tt.kernels.StepGraph;
import tt.model.data.Batch;

import java.util.ArrayList;
import java.util.List;

/**
 * The Transformer (the paper's encoder-decoder, or one of its stacks alone: {@link TransformerConfig.Arch}) as static step graphs over buffers allocated once for the
 * largest batch: {@link #trainStep} (forward, loss, backward), its {@link #optimizer}'s update
 * graph, {@link #evaluate} (negative log-likelihood, dropout off), and decoding one position at a
 * time with cached keys and values: {@link #encode} (the encoder, then each decoder layer's
 * cross-attention keys and values of its output), {@link #decodeStep} (the next position's
 * log-probabilities) and {@link #reorderBeams}. A backend compiles each graph once;
 * {@link #setBatch}, {@link #setStep}, {@link #startDecoding}, {@link #setDecodePosition} and
 * {@link #setBeamParents} change what the next run sees.
 */
public final class Transformer {
    public final TransformerConfig config;
    public final BatchLimits limits;
    public final int dropoutSeed;

    final LiveSizes sizes;
    final Dims dims;
    final Inputs inputs;
    final Buffers buffers;
    /** Where the activation gradients live (null in a measuring pass). */
    final GradientPlan gradientPlan;
    /** [summed loss, non-pad tokens, correct tokens, summed NLL] of the last batch. */
    final FloatBuf stats = FloatBuf.allocate("stats", SmoothedLoss.STATS);
    final FloatBuf positional;

    /** Null where the architecture has no such stack ({@link TransformerConfig.Arch}). */
    private final Embedding srcEmbedding, tgtEmbedding;
    private final List<Layer> encoder = new ArrayList<>(), decoder = new ArrayList<>();
    /** Pre-LN only. */
    private final LayerNorm encoderNorm, decoderNorm;
    /** The encoder's output and the decoder's (after their final norms); one of them is what the generator reads. */
    private final Tensor memory, decoderOut;
    private final Generator generator;
    private final List<Attention> attentions;
    /** Decoding: which row each row's cache continues (beam search), and where reordering moves rows through. */
    private final IntBuf beamParents;
    private final FloatBuf reorderScratch;

    /** Token reduction in the encoder (null: none); a model with one is for inference only and has no trainStep or evaluate. */
    public final TokenReduction reduction;
    /** [max tokens] ones (keys of one token each), and how many tokens each key of the reduced source stands for. */
    private final FloatBuf ones;
    final FloatBuf reducedKeySizes;
    private final Tensor reduced;

    /**
     * trainStep and evaluate are null in a model with token reduction; encodeReduced is null in one
     * without: it continues the encoder after the host has chosen the tokens ({@link #reduceTokens}).
     */
    public final StepGraph trainStep, evaluate, encode, encodeReduced, decodeStep, reorderBeams;
    /** What trains the parameters; null in a model built for inference only. */
    public final Adam optimizer;

    /**
     * Lays the model out once to measure its arenas, then, if the heap has room for them (and for
     * Adam's two moments when {@code adam} is not null), again over real storage; otherwise fails
     * saying how much it needs. With {@code adam} null the model is for inference only.
     */
    public static Transformer create(TransformerConfig config, BatchLimits limits, AdamConfig adam, int dropoutSeed) {
        return create(config, limits, adam, dropoutSeed, null);
    }

    /** As above, with token reduction in the encoder ({@code reduction} not null: for inference only, {@code adam} null). */
    public static Transformer create(TransformerConfig config, BatchLimits limits, AdamConfig adam, int dropoutSeed, TokenReduction reduction) {
        Measured m = measure(config, limits, adam, reduction);
        long free = freeHeap(m.bytes);
        if (m.bytes > free) {
            Runtime rt = Runtime.getRuntime();
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "a %d-layer d_model %d model with batches of %d tokens needs"
                    + " about %.1f GiB for its buffers, but the JVM heap has %.1f GiB free (of %.1f GiB); lower --max-tokens or the size"
                    + " of the model, or give the JVM more heap: TT_HEAP=%dg ./tt ...", config.layers(), config.dModel(), limits.maxTokens(),
                    m.bytes / GIB, free / GIB, rt.maxMemory() / GIB, heapFor(m.bytes, free)));
        }
        return new Transformer(config, limits, adam, dropoutSeed, Buffers.sizedLike(m.buffers, m.plan), m.plan, reduction);
    }

    /** Bytes the buffers of such a model take (with Adam's two moments when {@code adam} is not null), found by laying it out without storage. */
    public static long bytesNeeded(TransformerConfig config, BatchLimits limits, AdamConfig adam, TokenReduction reduction) {
        return measure(config, limits, adam, reduction).bytes;
    }

    /** Bytes the heap has free; when that is less than {@code wanted}, after collecting garbage (asked only when it matters). */
    public static long freeHeap(long wanted) {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (wanted <= free) return free;
        System.gc();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /** The TT_HEAP, in whole GiB, that leaves room for {@code needed} more bytes beside what is in use now, with a margin. */
    public static long heapFor(long needed, long free) {
        Runtime rt = Runtime.getRuntime();
        return (long) Math.ceil((needed * 1.3 + (rt.maxMemory() - free)) / GIB);
    }

    private record Measured(Buffers buffers, GradientPlan plan, long bytes) {}

    private static Measured measure(TransformerConfig config, BatchLimits limits, AdamConfig adam, TokenReduction reduction) {
        if (reduction != null) {
            if (adam != null) throw new IllegalArgumentException("token reduction is for inference; a model that trains has none");
            if (config.arch() != TransformerConfig.Arch.ENCODER_DECODER) {
                throw new IllegalArgumentException("token reduction shortens the source an encoder-decoder attends to; this model is " + config.arch().label());
            }
            if (reduction.afterLayer() > config.layers()) {
                throw new IllegalArgumentException("token reduction after encoder layer " + reduction.afterLayer() + ", but the model has "
                        + config.layers());
            }
        }
        Transformer measuring = new Transformer(config, limits, adam, 0, Buffers.measuring(), null, reduction);
        Buffers measured = measuring.buffers;
        // A model with token reduction has no training step: its activation gradients, never used, are planned over an empty one.
        GradientPlan plan = GradientPlan.of(measured.actGrads.handedOut(),
                measuring.trainStep != null ? measuring.trainStep : new StepGraph("no_train_step", measuring.sizes));
        long bytes = 4L * (measured.floats() - measured.actGrads.used() + plan.floats() + (adam != null ? 2L * measured.params.used() : 0));
        return new Measured(measured, plan, bytes);
    }

    /** Bytes in a GiB, as heap sizes are given. */
    public static final double GIB = 1L << 30;

    /** {@code plan} null: a measuring pass, whose training step zeroes nothing (it never runs). */
    private Transformer(TransformerConfig c, BatchLimits limits, AdamConfig adam, int dropoutSeed, Buffers buffers, GradientPlan plan,
                        TokenReduction reduction) {
        if (limits.maxLen() > c.maxLen()) {
            throw new IllegalArgumentException("batch max length " + limits.maxLen() + " exceeds the model's max_len " + c.maxLen());
        }
        this.config = c;
        this.limits = limits;
        this.dropoutSeed = dropoutSeed;
        this.buffers = buffers;
        this.sizes = new LiveSizes("sizes");
        this.dims = Dims.create(sizes, c, limits);
        this.inputs = Inputs.allocate(limits);
        this.positional = Embedding.sinusoidalTable(limits.maxLen(), c.dModel());
        this.reduction = reduction;
        this.ones = FloatBuf.allocate("ones", limits.maxTokens());
        ones.fill(1f);
        this.reducedKeySizes = FloatBuf.allocate("reduced_key_sizes", limits.maxTokens());
        reducedKeySizes.fill(1f);
        Layout l = new Layout(buffers, c, dims, dropoutSeed, ones);
        this.attentions = l.attentions;
        boolean pre = c.norm() == TransformerConfig.NormPlacement.PRE;

        TransformerConfig.Arch arch = c.arch();
        Tensor srcTable = arch.hasEncoder() ? buffers.parameter("src_embed.weight", c.srcVocab(), c.dModel()) : null;
        Tensor tgtTable = !arch.hasDecoder() ? null
                : c.tieEmbeddings() && srcTable != null ? srcTable : buffers.parameter("tgt_embed.weight", c.tgtVocab(), c.dModel());
        Tensor outWeight = !c.tieEmbeddings() ? buffers.parameter("generator.weight", c.tgtVocab(), c.dModel())
                : srcTable != null ? srcTable : tgtTable;

        // Over the source, or from the reduction on, over the reduced source.
        Dim memoryLen = reduction == null ? dims.srcLen() : dims.reducedLen(), memoryRows = reduction == null ? dims.srcRows() : dims.reducedRows();
        IntBuf memoryLengths = reduction == null ? inputs.srcLengths() : inputs.reducedLengths();
        FloatBuf memoryKeySizes = reduction == null ? null : reducedKeySizes;
        if (arch.hasEncoder()) {
            srcEmbedding = new Embedding(l, "src_embed", srcTable, inputs.srcIds(), dims.srcRows(), dims.srcLen(), positional);
            Tensor x = srcEmbedding.output();
            Tensor reducedX = null;
            for (int i = 0; i < c.layers(); i++) {
                if (reduction != null && i == reduction.afterLayer()) x = reducedX = l.rows("encoder.reduced", c.dModel());
                boolean back = reduction != null && i >= reduction.afterLayer();
                EncoderLayer layer = back
                        ? new EncoderLayer(l, "encoder.layers." + i, x, memoryLen, memoryRows, dims.reducedScores(), memoryLengths, false, memoryKeySizes)
                        : new EncoderLayer(l, "encoder.layers." + i, x, dims.srcLen(), dims.srcRows(), dims.encoderScores(), inputs.srcLengths(), false, null);
                encoder.add(layer);
                x = layer.output();
            }
            if (reduction != null && reduction.afterLayer() == c.layers()) x = reducedX = l.rows("encoder.reduced", c.dModel());
            reduced = reducedX;
            encoderNorm = pre ? new LayerNorm(buffers, "encoder.norm", c.dModel(), limits.maxTokens(), c.layerNormEps()) : null;
            memory = pre ? l.rows("encoder.norm.out", c.dModel()) : x;
        } else {
            srcEmbedding = null;
            encoderNorm = null;
            memory = null;
            reduced = null;
        }

        if (arch.hasDecoder()) {
            tgtEmbedding = new Embedding(l, "tgt_embed", tgtTable, inputs.tgtIn(), dims.tgtRows(), dims.tgtLen(), positional);
            Tensor y = tgtEmbedding.output();
            for (int i = 0; i < c.layers(); i++) {
                String name = "decoder.layers." + i;
                decoder.add(arch.hasEncoder() ? new DecoderLayer(l, name, y, new DecoderLayer.Memory(memory, memoryLen, memoryRows, memoryLengths,
                        memoryKeySizes), inputs)
                        : new EncoderLayer(l, name, y, dims.tgtLen(), dims.tgtRows(), dims.decoderScores(), inputs.tgtLengths(), true, null));
                y = decoder.getLast().output();
            }
            decoderNorm = pre ? new LayerNorm(buffers, "decoder.norm", c.dModel(), limits.maxTokens(), c.layerNormEps()) : null;
            decoderOut = pre ? l.rows("decoder.norm.out", c.dModel()) : y;
        } else {
            tgtEmbedding = null;
            decoderNorm = null;
            decoderOut = null;
        }
        generator = arch.hasDecoder() ? new Generator(l, outWeight, decoderOut, dims.tgtRows(), inputs, stats)
                : new Generator(l, outWeight, memory, dims.srcRows(), inputs, stats);
        beamParents = IntBuf.allocate("beam_parents", limits.maxSentences());
        reorderScratch = buffers.scratch("beam_reorder_scratch", limits.maxTokens(), c.dModel());

        this.gradientPlan = plan;
        this.trainStep = reduction == null ? buildTrainStep(plan) : null;
        this.optimizer = adam != null ? new Adam(adam, buffers, sizes) : null;
        this.evaluate = reduction == null ? buildEvaluate() : null;
        this.encode = buildEncode();
        this.encodeReduced = reduction == null ? null : buildEncodeReduced();
        this.decodeStep = buildDecodeStep();
        this.reorderBeams = buildReorderBeams();
    }

    /** One training step, top to bottom: forward, loss, then backward in reverse order. */
    private StepGraph buildTrainStep(GradientPlan plan) {
        Pass p = new Pass(new StepGraph("train_step", sizes), true, false, plan != null ? new GradientPlan.Zeroing(plan, buffers.actGrads) : null);
        encoderForward(p);
        decoderForward(p);
        generator.forward(p);
        generator.lossAndGradient(p);

        generator.backward(p);
        decoderBackward(p);
        encoderBackward(p);
        return p.graph().inputs(inputs.srcIds(), inputs.tgtIn(), inputs.tgtOut(), inputs.srcLengths(), inputs.tgtLengths())
                .outputs(stats);
    }

    /** The negative log-likelihood of a batch, dropout off: validation loss and perplexity. */
    private StepGraph buildEvaluate() {
        Pass p = new Pass(new StepGraph("evaluate", sizes), false, false);
        encoderForward(p);
        decoderForward(p);
        generator.forward(p);
        generator.nll(p);
        return p.graph().inputs(inputs.srcIds(), inputs.tgtIn(), inputs.tgtOut(), inputs.srcLengths(), inputs.tgtLengths())
                .outputs(stats);
    }

    /**
     * What decoding needs from the sources, once per batch: the memory's keys and values in each
     * decoder layer; an encoder-only model's log-probabilities at every source position. A
     * decoder-only model has no sources: its prompt goes through {@link #decodeStep}.
     */
    private StepGraph buildEncode() {
        Pass p = new Pass(new StepGraph("encode", sizes), false, false);
        if (reduction != null) {  // up to the layer whose attention or keys choose the tokens: the host reads them after
            srcEmbedding.forward(p);
            for (Layer layer : encoderFront()) layer.forward(p);
            return p.graph().inputs(inputs.srcIds(), inputs.srcLengths());
        }
        encoderForward(p);
        for (Layer layer : decoder) layer.projectMemory(p);
        if (!config.arch().hasDecoder()) {
            generator.forward(p);
            return p.graph().inputs(inputs.srcIds(), inputs.srcLengths()).outputs(generator.logProbs());
        }
        return p.graph().inputs(inputs.srcIds(), inputs.srcLengths());
    }

    /** The encoder from the reduction on: the tokens combined as the host chose ({@link #reduceTokens}), the later layers, memory projections. */
    private StepGraph buildEncodeReduced() {
        Pass p = new Pass(new StepGraph("encode_reduced", sizes), false, false);
        Tensor before = encoderFront().getLast().output();  // afterLayer >= 1: there is one
        p.add("encoder: reduce tokens", new tt.kernels.Kernel.CombineTokens(dims.batch(), dims.srcLen(), dims.reducedLen(), config.dModel(),
                inputs.tokenDest(), ones, before.value(), reducedKeySizes, reduced.value()));
        List<Layer> back = encoderBack();
        for (Layer layer : back) layer.forward(p);
        if (encoderNorm != null) encoderNorm.forward(p, dims.reducedRows(), back.isEmpty() ? reduced : back.getLast().output(), memory);
        for (Layer layer : decoder) layer.projectMemory(p);
        return p.graph().inputs(inputs.tokenDest(), inputs.reducedLengths());
    }

    /** One position per sentence: its token in, the next token's log-probabilities out, its keys and values cached. */
    private StepGraph buildDecodeStep() {
        Pass p = new Pass(new StepGraph("decode_step", sizes), false, true);
        decoderForward(p);
        if (config.arch().hasDecoder()) generator.forward(p);
        return p.graph().inputs(inputs.tgtIn(), inputs.srcLengths(), inputs.tgtLengths()).outputs(generator.logProbs());
    }

    private StepGraph buildReorderBeams() {
        Pass p = new Pass(new StepGraph("reorder_beams", sizes), false, true);
        for (Layer layer : decoder) layer.reorderCache(p, beamParents, reorderScratch);
        return p.graph().inputs(beamParents);
    }

    /** The encoder layers up to the token reduction (all of them without one), and those after it. */
    private List<Layer> encoderFront() { return reduction == null ? encoder : encoder.subList(0, reduction.afterLayer()); }

    private List<Layer> encoderBack() { return reduction == null ? List.of() : encoder.subList(reduction.afterLayer(), encoder.size()); }

    private void encoderForward(Pass p) {
        if (srcEmbedding == null) return;
        srcEmbedding.forward(p);
        for (Layer layer : encoder) layer.forward(p);
        if (encoderNorm != null) encoderNorm.forward(p, dims.srcRows(), encoder.getLast().output(), memory);
    }

    private void encoderBackward(Pass p) {
        if (srcEmbedding == null) return;
        if (encoderNorm != null) encoderNorm.backward(p, dims.srcRows(), encoder.getLast().output(), memory);
        for (Layer layer : encoder.reversed()) layer.backward(p);
        srcEmbedding.backward(p);
    }

    private void decoderForward(Pass p) {
        if (tgtEmbedding == null) return;
        tgtEmbedding.forward(p);
        for (Layer layer : decoder) layer.forward(p);
        if (decoderNorm != null) decoderNorm.forward(p, dims.tgtRows(), decoder.getLast().output(), decoderOut);
    }

    private void decoderBackward(Pass p) {
        if (tgtEmbedding == null) return;
        if (decoderNorm != null) decoderNorm.backward(p, dims.tgtRows(), decoder.getLast().output(), decoderOut);
        for (Layer layer : decoder.reversed()) layer.backward(p);
        tgtEmbedding.backward(p);
    }

    // ---- host side: what the next run sees ----

    /** Copies a batch into the input buffers and sets the live sizes. */
    public void setBatch(Batch b) {
        int n = b.size(), ts = b.sourceLength(), tt = b.targetLength(), h = config.heads();
        if (n > limits.maxSentences() || ts > limits.maxLen() || tt > limits.maxLen()
                || n * ts > limits.maxTokens() || n * tt > limits.maxTokens()) {
            throw new IllegalArgumentException("batch of " + n + " sentences x (" + ts + " source, " + tt
                    + " target) tokens exceeds the model's limits " + limits);
        }
        System.arraycopy(b.source(), 0, inputs.srcIds().array(), 0, n * ts);
        System.arraycopy(b.targetIn(), 0, inputs.tgtIn().array(), 0, n * tt);
        System.arraycopy(b.targetOut(), 0, inputs.tgtOut().array(), 0, n * tt);
        System.arraycopy(b.sourceLengths(), 0, inputs.srcLengths().array(), 0, n);
        System.arraycopy(b.targetLengths(), 0, inputs.tgtLengths().array(), 0, n);
        sizes.set(dims.batch(), n);
        sizes.set(dims.srcLen(), ts);
        sizes.set(dims.tgtLen(), tt);
        sizes.set(dims.srcRows(), n * ts);
        sizes.set(dims.tgtRows(), n * tt);
        sizes.set(dims.batchHeads(), n * h);
        sizes.set(dims.encoderScores(), n * h * ts * ts);
        sizes.set(dims.decoderScores(), n * h * tt * tt);
        sizes.set(dims.crossScores(), n * h * tt * ts);
    }

    /**
     * Sets up decoding {@code sources} (token ids ending in &lt;/s&gt;, as the batcher trains them)
     * for {@code encode}, with caches of {@code positions} decoder positions per sentence.
     */
    public void startDecoding(int[][] sources, int positions) {
        int n = sources.length, srcLen = 1;
        for (int[] s : sources) srcLen = Math.max(srcLen, s.length);
        if (positions < 1 || positions > limits.maxLen() || (long) n * positions > limits.maxTokens()) {
            throw new IllegalArgumentException(n + " sentences x " + positions + " decoder positions exceed the model's limits " + limits);
        }
        int[] src = new int[n * srcLen], srcLengths = new int[n], tgtLengths = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(sources[i], 0, src, i * srcLen, sources[i].length);
            srcLengths[i] = sources[i].length;
            tgtLengths[i] = positions;  // a self-attention query sees every position cached so far
        }
        setBatch(new Batch(n, srcLen, 1, src, new int[n], new int[n], srcLengths, tgtLengths, new int[n]));
        sizes.set(dims.cacheLength(), positions);
        sizes.set(dims.cacheRow(), positions * config.dModel());
    }

    /** The next {@code decodeStep} reads tokens[row] at {@code position} of every sentence row. */
    public void setDecodePosition(int position, int[] tokens) {
        int n = sizes.get(dims.batch());
        if (position < 0 || position >= sizes.get(dims.cacheLength()) || tokens.length != n) {
            throw new IllegalArgumentException("position " + position + " with " + tokens.length + " tokens: the caches hold "
                    + sizes.get(dims.cacheLength()) + " positions of " + n + " sentences");
        }
        System.arraycopy(tokens, 0, inputs.tgtIn().array(), 0, n);
        sizes.set(dims.decodePosition(), position);
        sizes.set(dims.decodeKeys(), position + 1);
        sizes.set(dims.cacheUsed(), (position + 1) * config.dModel());
    }

    /** The next {@code reorderBeams} makes row r's self-attention caches those of row parents[r]. */
    public void setBeamParents(int[] parents) {
        int n = sizes.get(dims.batch());
        if (parents.length != n) throw new IllegalArgumentException(parents.length + " beam parents for " + n + " rows");
        for (int r = 0; r < n; r++) {
            if (parents[r] < 0 || parents[r] >= n) throw new IllegalArgumentException("beam parent " + parents[r] + " of row " + r + " is not a row");
        }
        System.arraycopy(parents, 0, beamParents.array(), 0, n);
    }

    /**
     * What token reduction chooses from, after {@code encode} ran (download it first): the
     * self-attention probabilities of the layer it follows (pruning) or that layer's keys (merging).
     */
    public FloatBuf reductionEvidence() {
        Attention a = ((EncoderLayer) encoderFront().getLast()).selfAttention();
        return reduction.method() == TokenReduction.Method.PRUNE ? a.probabilities() : a.keyVectors();
    }

    /**
     * Chooses each sentence row's tokens from {@link #reductionEvidence} (on the host) and sets what
     * {@code encodeReduced} reads: every token's slot and the reduced lengths and sizes.
     */
    public void reduceTokens() {
        int n = sizes.get(dims.batch()), len = sizes.get(dims.srcLen()), h = config.heads(), d = config.dModel();
        float[] evidence = reductionEvidence().array();
        int base = reductionEvidence().offset(), longest = 1;
        for (int r = 0; r < n; r++) {
            int length = inputs.srcLengths().get(r), kept = reduction.kept(length);
            int[] dest;
            if (reduction.method() == TokenReduction.Method.PRUNE) {
                double[] received = new double[length];  // attention each key received, over heads and the sentence's queries
                for (int head = 0; head < h; head++) {
                    for (int i = 0; i < length; i++) {
                        int row = base + ((r * h + head) * len + i) * len;
                        for (int j = 0; j < length; j++) received[j] += evidence[row + j];
                    }
                }
                dest = TokenReduction.prune(received, length, kept);
            } else {
                float[][] keys = new float[length][];
                for (int t = 0; t < length; t++) keys[t] = java.util.Arrays.copyOfRange(evidence, base + (r * len + t) * d, base + (r * len + t + 1) * d);
                dest = TokenReduction.merge(keys, length, kept);
            }
            int slots = 0;
            for (int t = 0; t < len; t++) {
                int slot = t < length ? dest[t] : -1;
                inputs.tokenDest().set(r * len + t, slot);
                slots = Math.max(slots, slot + 1);
            }
            inputs.reducedLengths().set(r, slots);
            longest = Math.max(longest, slots);
        }
        sizes.set(dims.reducedLen(), longest);
        sizes.set(dims.reducedRows(), n * longest);
        sizes.set(dims.reducedScores(), n * h * longest * longest);
        sizes.set(dims.crossScores(), n * h * sizes.get(dims.tgtLen()) * longest);
    }

    /** The training step counter that dropout masks are drawn from. */
    public void setStep(int step) { sizes.set(dims.step(), step); }

    public List<Tensor> parameters() { return buffers.parameters(); }

    /**
     * One attention layer's probabilities after a run of {@code evaluate}: {@code probs[head][query][key]} of a sentence, over the
     * live queries and keys. {@code name} is the layer's parameter prefix, e.g.
     * decoder.layers.1.multihead_attn (the cross-attention).
     */
    public record AttentionMap(String name, float[][][] probs) {}

    /** The probabilities every attention layer holds now, for sentence {@code sentence} of the batch (the buffers must be on the host). */
    public List<AttentionMap> attentionMaps(int sentence) {
        int[] live = sizes.buffer().array();
        List<AttentionMap> maps = new ArrayList<>();
        for (Attention a : attentions) {
            int h = config.heads(), q = a.queries().value(live), k = a.keys().value(live);
            FloatBuf p = a.probabilities();
            float[][][] probs = new float[h][q][k];
            for (int head = 0; head < h; head++) {
                for (int i = 0; i < q; i++) {
                    for (int j = 0; j < k; j++) probs[head][i][j] = p.get(((sentence * h + head) * q + i) * k + j);
                }
            }
            maps.add(new AttentionMap(a.name(), probs));
        }
        return maps;
    }

    /** The buffers {@link #attentionMaps} reads, for a backend to download first. */
    public List<FloatBuf> attentionBuffers() { return attentions.stream().map(Attention::probabilities).toList(); }

    /** The shape a buffer of this model was declared with (at the largest batch), or null if it has none (roots, inputs). */
    public int[] declaredShape(tt.kernels.Buf buffer) { return buffers.shapeOf(buffer.name()); }

    public FloatBuf parameterRoot() { return buffers.params.root(); }

    /** What the model's buffers take, in MiB: the activation gradients as planned, and what they would take unshared. */
    public String memory() {
        double mib = 4.0 / (1 << 20);
        long unshared = buffers.actGrads.handedOut().stream().mapToLong(FloatBuf::length).sum();
        return String.format(java.util.Locale.ROOT, "parameters %.1f MiB (and as much for their gradients%s), activations %.1f MiB,"
                        + " activation gradients %.1f MiB (%.1f MiB if none shared storage)", buffers.params.used() * mib,
                optimizer != null ? " and twice that for Adam's moments" : "", buffers.acts.used() * mib, buffers.actGrads.used() * mib, unshared * mib);
    }

    public FloatBuf gradientRoot() { return buffers.grads.root(); }

    public int parameterCount() { return buffers.params.used(); }

    public FloatBuf logProbs() { return generator.logProbs(); }

    /** Every buffer that holds state across steps: what a backend uploads once and a checkpoint saves. */
    public List<FloatBuf> stateBuffers() {
        List<FloatBuf> state = new ArrayList<>(List.of(buffers.params.root(), buffers.grads.root(), positional));
        if (optimizer != null) state.addAll(optimizer.state());
        return state;
    }
}
