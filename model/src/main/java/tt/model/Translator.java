package tt.model;

import tt.kernels.Backend;
import tt.kernels.FloatBuf;
import tt.model.data.Batch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Inference: the encoder runs once per chunk of sentences, then the decoder extends every
 * hypothesis one token at a time until &lt;/s&gt; or the length limit. Greedy decoding, beam
 * search and sampling, batched over sentences (a beam is k rows of the batch). Each step feeds
 * only the newest token of every row: the decoder keeps each layer's keys and values, and beam
 * search reorders those caches when hypotheses change rows.
 *
 * <p>Every row starts from a prefix the decoder reads before it predicts: &lt;s&gt; for an
 * encoder-decoder; for a decoder-only model the source as its batches lay it out
 * ({@link Batch.Layout#prompt}), or a language model's prompt. Rows whose prefix is longer keep
 * reading it while shorter ones already predict, so every row moves one position per step. An
 * encoder-only model predicts every position at once: its output is the best token at each
 * source position.
 *
 * <p>An ensemble (fairseq's {@code --path a.pt:b.pt}) runs every member side by side on the same
 * rows and searches by the members' mean next-token probability ({@link #logMeanProbability}).
 */
public final class Translator {
    /** One model of the ensemble with its compiled graphs; encodeReduced is null in a model without token reduction. */
    private record Member(Transformer model, Backend.Executable encode, Backend.Executable encodeReduced, Backend.Executable decodeStep,
                          Backend.Executable reorderBeams) {}

    private final List<Member> members;
    /** The first member's model: the kind, vocabularies and batch limits every member shares. */
    private final Transformer model;
    private final Backend backend;
    /**
     * The members' next-token log-probabilities combined, entry by entry as {@link #top} reads them;
     * null for one model, whose own need no combining.
     */
    private final FloatBuf combined;
    /** Each member's next-token log-probabilities, the buffers its decodeStep writes. */
    private final List<FloatBuf> memberLogProbs;
    private Backend.Executable evaluate;

    public Translator(Transformer model, Backend backend) {
        this(List.of(model), backend);
    }

    /** An ensemble of models that share their kind (encoder-decoder, ...), vocabularies and batch limits. */
    public Translator(List<Transformer> models, Backend backend) {
        if (models.isEmpty()) throw new IllegalArgumentException("an ensemble needs at least one model");
        this.model = models.getFirst();
        for (Transformer m : models) {
            TransformerConfig a = model.config, b = m.config;
            if (a.arch() != b.arch() || a.srcVocab() != b.srcVocab() || a.tgtVocab() != b.tgtVocab() || !model.limits.equals(m.limits)) {
                throw new IllegalArgumentException("ensemble members must share their kind, vocabularies and batch limits: " + a.arch().label() + " "
                        + a.srcVocab() + "/" + a.tgtVocab() + " " + model.limits + " vs " + b.arch().label() + " " + b.srcVocab() + "/"
                        + b.tgtVocab() + " " + m.limits);
            }
        }
        this.backend = backend;
        this.members = models.stream().map(m -> new Member(m, backend.compile(m.encode), m.encodeReduced != null ? backend.compile(m.encodeReduced) : null,
                backend.compile(m.decodeStep), backend.compile(m.reorderBeams))).toList();
        this.combined = models.size() == 1 ? null : FloatBuf.allocate("ensemble_log_probs", model.logProbs().length());
        this.memberLogProbs = models.stream().map(Transformer::logProbs).toList();
    }

    /** Greedy decoding: each output excludes &lt;s&gt; and &lt;/s&gt;. */
    public int[][] greedy(int[][] sources, int maxLen) {
        return beam(sources, 1, LengthPenalty.NONE, maxLen);
    }

    /**
     * Beam search: a finished hypothesis scores log P / penalty(length). Returns the best finished
     * hypothesis per sentence. A source longer than {@link #maxSourceLength()} is an error, never cut.
     */
    public int[][] beam(int[][] sources, int beamSize, LengthPenalty penalty, int maxLen) {
        if (beamSize < 1) throw new IllegalArgumentException("beam size must be >= 1, got " + beamSize);
        checkLengths(sources, maxSourceLength(), "sentence");
        TransformerConfig.Arch arch = model.config.arch();
        if (!arch.hasDecoder()) return tag(sources);
        int[][] prefixes = new int[sources.length][];
        for (int i = 0; i < sources.length; i++) prefixes[i] = arch.hasEncoder() ? new int[] {TransformerConfig.BOS} : Batch.Layout.prompt(sources[i]);
        Candidates best = (logProbs, row) -> top(logProbs, row, 2 * beamSize);
        return search(sources, prefixes, beamSize, penalty, maxLen, best);
    }

    /**
     * Sampling from a decoder-only model (a language model): each prompt (tokens without &lt;s&gt;,
     * which is put first) continues with tokens drawn from the next-token distribution at
     * {@code temperature}, among the {@code topK} most likely (0: all), until &lt;/s&gt; or
     * {@code maxLen} tokens. The same seed draws the same tokens.
     */
    public int[][] sample(int[][] prompts, double temperature, int topK, int maxLen, long seed) {
        if (model.config.arch() != TransformerConfig.Arch.DECODER_ONLY) {
            throw new IllegalArgumentException("sampling continues a prompt, which only a decoder-only model reads; this model is "
                    + model.config.arch().label());
        }
        if (!(temperature > 0) || !Double.isFinite(temperature)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be 0 (all tokens) or more, got " + topK);
        checkLengths(prompts, model.limits.maxLen() - 2, "prompt");
        int[][] prefixes = new int[prompts.length][];
        for (int i = 0; i < prompts.length; i++) {
            prefixes[i] = new int[prompts[i].length + 1];
            prefixes[i][0] = TransformerConfig.BOS;
            System.arraycopy(prompts[i], 0, prefixes[i], 1, prompts[i].length);
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        int vocab = model.config.tgtVocab(), pool = topK == 0 ? vocab : Math.min(topK, vocab);
        Candidates drawn = (logProbs, row) -> new int[] {draw(logProbs, row, top(logProbs, row, pool), temperature, random)};
        return search(new int[prompts.length][0], prefixes, 1, LengthPenalty.NONE, maxLen, drawn);
    }

    private void checkLengths(int[][] inputs, int max, String what) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].length > max) {
                throw new IllegalArgumentException(what + " " + (i + 1) + " has " + inputs[i].length + " tokens, more than the " + max
                        + " this model was built for");
            }
        }
    }

    /**
     * Chunks of sentences of similar length, each searched from its prefixes; outputs back in the
     * sentences' order. As fairseq, a chunk's output limit follows its longest source.
     */
    private int[][] search(int[][] sources, int[][] prefixes, int beamSize, LengthPenalty penalty, int maxLen, Candidates candidates) {
        Integer[] order = new Integer[sources.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> sources[i].length).thenComparingInt(i -> prefixes[i].length));
        int[][] out = new int[sources.length][];
        for (int start = 0; start < order.length; ) {
            int count = 1;
            while (start + count < order.length) {
                int rows = (count + 1) * beamSize, longestSource = sources[order[start + count]].length;
                int positions = positions(List.of(order).subList(start, start + count + 1), prefixes, longestSource, maxLen);
                if (rows > model.limits.maxSentences() || (long) rows * Math.max(positions, longestSource + 1) > model.limits.maxTokens()) break;
                count++;
            }
            List<Integer> chunk = List.of(order).subList(start, start + count);
            int longestSource = sources[chunk.getLast()].length;
            int[][] chunkSources = new int[count][], chunkPrefixes = new int[count][];
            int[] outputs = new int[count];
            for (int j = 0; j < count; j++) {
                chunkSources[j] = sources[chunk.get(j)];
                chunkPrefixes[j] = prefixes[chunk.get(j)];
                outputs[j] = outputSteps(chunkPrefixes[j].length, longestSource, maxLen);
            }
            int[][] best = beamChunk(chunkSources, chunkPrefixes, outputs, positions(chunk, prefixes, longestSource, maxLen), beamSize,
                    penalty, candidates);
            for (int j = 0; j < count; j++) out[chunk.get(j)] = best[j];
            start += count;
        }
        return out;
    }

    /**
     * An encoder-only model's outputs: at each source position the most likely token (never
     * &lt;pad&gt; or &lt;s&gt;), as many as the source has (the prediction at its &lt;/s&gt; is left out).
     */
    private int[][] tag(int[][] sources) {
        int[][] out = new int[sources.length][];
        int vocab = model.config.tgtVocab();
        for (int start = 0; start < sources.length; ) {
            int count = 0, longest = 0;
            while (start + count < sources.length) {
                int longer = Math.max(longest, sources[start + count].length + 1);
                if (count > 0 && (count + 1 > model.limits.maxSentences() || (long) (count + 1) * longer > model.limits.maxTokens())) break;
                longest = longer;
                count++;
            }
            List<tt.model.data.EncodedPair> pairs = new ArrayList<>();
            for (int j = 0; j < count; j++) pairs.add(new tt.model.data.EncodedPair(j, sources[start + j], new int[sources[start + j].length]));
            for (Member m : members) {
                m.model.setBatch(Batch.Layout.TAGGED.batch(pairs));
                m.encode.run();
            }
            FloatBuf logProbs = logProbs();
            for (int j = 0; j < count; j++) {
                int[] tags = new int[sources[start + j].length];
                for (int t = 0; t < tags.length; t++) tags[t] = top(logProbs, (j * longest + t) * vocab, 1)[0];
                out[start + j] = tags;
            }
            start += count;
        }
        return out;
    }

    /**
     * Every attention layer's probabilities for one sentence and a given output: the whole model,
     * teacher-forced on &lt;s&gt; + output (queries &lt;s&gt;, y1..yn; the source keys end with &lt;/s&gt;).
     */
    public List<Transformer.AttentionMap> attention(int[] source, int[] output) {
        if (members.size() > 1) throw new IllegalStateException("attention maps are one model's, and this translator is an ensemble");
        if (evaluate == null) evaluate = backend.compile(model.evaluate);
        model.setBatch(model.config.arch().layout().batch(List.of(new tt.model.data.EncodedPair(0, source, output))));
        evaluate.run();
        backend.download(model.attentionBuffers().toArray(tt.kernels.Buf[]::new));
        return model.attentionMaps(0);
    }

    /**
     * The longest source this translator takes, in tokens: its model's batch length minus
     * &lt;/s&gt;, or for a decoder-only model minus the &lt;s&gt; and &lt;/s&gt; around it and a first output token.
     */
    public int maxSourceLength() { return model.limits.maxLen() - (model.config.arch().hasEncoder() ? 1 : 3); }

    /**
     * Output tokens a row may take, &lt;/s&gt; included: at most maxLen + 1, at most 2 * source + 10
     * (fairseq-style a*x+b; none for a language model's prompt, which has no source), and no more
     * than the model's positions leave after the prefix.
     */
    private int outputSteps(int prefixLength, int sourceLength, int maxLen) {
        int steps = Math.min(maxLen + 1, model.limits.maxLen() - prefixLength + 1);
        return sourceLength > 0 || model.config.arch().hasEncoder() ? Math.min(steps, 2 * sourceLength + 10) : steps;
    }

    /** Decoder positions the rows of a chunk read: each its prefix, then every output token but the last. */
    private int positions(List<Integer> chunk, int[][] prefixes, int longestSource, int maxLen) {
        return chunk.stream().mapToInt(i -> prefixes[i].length + outputSteps(prefixes[i].length, longestSource, maxLen) - 1).max().orElseThrow();
    }

    /** The tokens a hypothesis in {@code row} (its offset in the log-probabilities) may be extended with, best first. */
    private interface Candidates {
        int[] of(FloatBuf logProbs, int row);
    }

    /** A prefix (without &lt;s&gt;), its log-probability, and the row of its beam it was extended from. */
    private record Hypothesis(int[] tokens, double logProb, int parent) {}

    /**
     * Searches one chunk: sentence s reads prefixes[s] first (its hypotheses start after it) and
     * then takes at most outputs[s] tokens; the caches hold {@code positions} positions.
     */
    private int[][] beamChunk(int[][] sources, int[][] prefixes, int[] outputs, int positions, int k, LengthPenalty penalty,
                              Candidates candidates) {
        int n = sources.length, rows = n * k, vocab = model.config.tgtVocab();
        int[][] replicated = new int[rows][];
        for (int i = 0; i < rows; i++) replicated[i] = append(sources[i / k], TransformerConfig.EOS);
        List<List<Hypothesis>> alive = new ArrayList<>(), finished = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            alive.add(new ArrayList<>(List.of(new Hypothesis(new int[0], 0.0, 0))));
            finished.add(new ArrayList<>());
        }
        for (Member m : members) {
            m.model.startDecoding(replicated, positions);
            encode(m);
        }
        // Row s*k + j holds hypothesis j of sentence s (rows past the live ones repeat the last).
        int[] tokens = new int[rows], parents = new int[rows];
        for (int r = 0; r < rows; r++) tokens[r] = prefixes[r / k][0];
        for (int t = 1; t <= positions; t++) {
            for (Member m : members) {
                m.model.setDecodePosition(t - 1, tokens);
                m.decodeStep.run();
            }
            FloatBuf logProbs = logProbs();
            boolean allDone = true, reordered = false;
            for (int s = 0; s < n; s++) {
                for (int j = 0; j < k; j++) parents[s * k + j] = s * k + j;
                int output = t - prefixes[s].length + 1;  // the output token this step predicts, from 1; below 1 the prefix is still read
                if (output < 1) {
                    for (int j = 0; j < k; j++) tokens[s * k + j] = prefixes[s][t];
                    allDone = false;
                    continue;
                }
                if (done(finished.get(s), alive.get(s), k, penalty, outputs[s])) continue;
                List<Hypothesis> next = new ArrayList<>();
                for (int h = 0; h < alive.get(s).size(); h++) {
                    Hypothesis hyp = alive.get(s).get(h);
                    int row = (s * k + h) * vocab;
                    for (int tok : candidates.of(logProbs, row)) {
                        next.add(new Hypothesis(append(hyp.tokens, tok), hyp.logProb + logProbs.get(row + tok), h));
                    }
                }
                next.sort(Comparator.comparingDouble(Hypothesis::logProb).reversed());
                List<Hypothesis> kept = new ArrayList<>();
                for (int rank = 0; rank < next.size() && kept.size() < k; rank++) {
                    Hypothesis hyp = next.get(rank);
                    boolean ends = hyp.tokens[hyp.tokens.length - 1] == TransformerConfig.EOS || output == outputs[s];
                    // As fairseq: an ending candidate counts only if it ranks within the beam.
                    if (ends && rank < k) keepBest(finished.get(s), hyp, k, penalty);
                    else if (!ends) kept.add(hyp);
                }
                alive.set(s, kept);
                for (int j = 0; j < k && !kept.isEmpty(); j++) {
                    Hypothesis hyp = kept.get(Math.min(j, kept.size() - 1));
                    parents[s * k + j] = s * k + hyp.parent;
                    tokens[s * k + j] = hyp.tokens[hyp.tokens.length - 1];
                    reordered |= hyp.parent != j;
                }
                allDone &= done(finished.get(s), kept, k, penalty, outputs[s]);
            }
            if (allDone) break;
            if (reordered) {
                for (Member m : members) {
                    m.model.setBeamParents(parents);
                    m.reorderBeams.run();
                }
            }
        }
        int[][] best = new int[n][];
        for (int s = 0; s < n; s++) {
            List<Hypothesis> pool = finished.get(s).isEmpty() ? alive.get(s) : finished.get(s);
            best[s] = strip(pool.stream().max(Comparator.comparingDouble(h -> score(h, penalty))).orElseThrow().tokens);
        }
        return best;
    }

    /** A member's encoder, with its token reduction chosen on the host between its two graphs if the model has one. */
    private void encode(Member m) {
        m.encode.run();
        if (m.encodeReduced == null) return;
        backend.download(m.model.reductionEvidence());
        m.model.reduceTokens();
        m.encodeReduced.run();
    }

    /**
     * The next-token log-probabilities the members just computed, downloaded: the model's own, or
     * for an ensemble the buffer {@link #top} fills with the combined entries it reads.
     */
    private FloatBuf logProbs() {
        for (FloatBuf lp : memberLogProbs) backend.download(lp);
        return combined == null ? model.logProbs() : combined;
    }

    /**
     * The {@code count} most likely tokens of a row (its offset in the log-probabilities), best
     * first, never &lt;pad&gt; or &lt;s&gt;; for an ensemble also the combined log-probability of
     * each written to {@link #combined}. An ensemble combines only the union of its members' own
     * top {@code count}: a token outside all of them has in every member at most that member's
     * {@code count}-th log-probability, so at most the combination of those (the bound); when the
     * union's {@code count}-th best beats the bound, the union holds the whole answer. Otherwise
     * (rarely, and always when {@code count} nears the vocabulary) it combines the whole row.
     */
    private int[] top(FloatBuf logProbs, int row, int count) {
        int vocab = model.config.tgtVocab();
        if (combined == null) return topTokens(logProbs, row, vocab, count);
        return topOfMean(memberLogProbs, combined, row, vocab, count);
    }

    /** {@link #top} of an ensemble whose members' log-probabilities are {@code each}, combined into {@code combined}. */
    static int[] topOfMean(List<FloatBuf> each, FloatBuf combined, int row, int vocab, int count) {
        java.util.TreeSet<Integer> union = new java.util.TreeSet<>();
        float[] worst = new float[each.size()];
        boolean complete = true;
        for (int m = 0; m < each.size(); m++) {
            int[] own = topTokens(each.get(m), row, vocab, count);
            complete &= own.length == count;
            for (int tok : own) union.add(tok);
            worst[m] = own.length == 0 ? Float.NEGATIVE_INFINITY : each.get(m).get(row + own[own.length - 1]);
        }
        if (complete && union.size() < vocab - 2) {
            for (int tok : union) logMeanProbability(each, row + tok, combined, row + tok, 1);
            Integer[] ranked = union.toArray(Integer[]::new);  // ascending token ids: ties go to the lower id, as topTokens does
            Arrays.sort(ranked, Comparator.comparingDouble((Integer tok) -> combined.get(row + tok)).reversed());
            if (combined.get(row + ranked[count - 1]) > logMeanProbability(worst, Math.log(worst.length))) {
                return Arrays.stream(ranked, 0, count).mapToInt(Integer::intValue).toArray();
            }
        }
        logMeanProbability(each, row, combined, row, vocab);
        return topTokens(combined, row, vocab, count);
    }

    /**
     * An ensemble's log-probabilities, as fairseq's: the log of the members' mean probability,
     * log(sum_m exp(lp_m) / M), over the first {@code entries} of each (shifted by their maximum, so
     * that it neither overflows nor loses a member far below the others).
     */
    public static void logMeanProbability(List<FloatBuf> members, FloatBuf out, int entries) {
        logMeanProbability(members, 0, out, 0, entries);
    }

    /** As above, over entries [from, from + entries) of each member, written from {@code to} in out. */
    private static void logMeanProbability(List<FloatBuf> members, int from, FloatBuf out, int to, int entries) {
        float[][] lp = new float[members.size()][];
        int[] base = new int[lp.length];
        for (int m = 0; m < lp.length; m++) {
            lp[m] = members.get(m).array();
            base[m] = members.get(m).offset() + from;
        }
        float[] o = out.array(), values = new float[lp.length];
        double logCount = Math.log(lp.length);
        for (int i = 0, at = out.offset() + to; i < entries; i++) {
            for (int m = 0; m < lp.length; m++) values[m] = lp[m][base[m] + i];
            o[at + i] = logMeanProbability(values, logCount);
        }
    }

    /** log(mean of exp(values)), shifted by their maximum; {@code logCount} is log(values.length), taken once by the caller. */
    private static float logMeanProbability(float[] values, double logCount) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) max = Math.max(max, v);
        if (max == Float.NEGATIVE_INFINITY) return max;
        double sum = 0;
        for (float v : values) sum += Math.exp(v - max);
        return (float) (max + Math.log(sum) - logCount);
    }

    /** A token drawn from softmax(logProbs / temperature) over the candidates (the top-k). */
    private static int draw(FloatBuf logProbs, int row, int[] candidates, double temperature, java.util.SplittableRandom random) {
        double[] weights = new double[candidates.length];
        double top = logProbs.get(row + candidates[0]) / temperature, total = 0;
        for (int i = 0; i < candidates.length; i++) total += weights[i] = Math.exp(logProbs.get(row + candidates[i]) / temperature - top);
        double u = random.nextDouble() * total;
        for (int i = 0; i < candidates.length; i++) {
            u -= weights[i];
            if (u < 0) return candidates[i];
        }
        return candidates[candidates.length - 1];
    }

    private static double score(Hypothesis h, LengthPenalty penalty) {
        return h.logProb / penalty.of(h.tokens.length);
    }

    /** Keeps the k best finished hypotheses by length-normalised score. */
    private static void keepBest(List<Hypothesis> finished, Hypothesis hyp, int k, LengthPenalty penalty) {
        finished.add(hyp);
        finished.sort(Comparator.comparingDouble((Hypothesis h) -> score(h, penalty)).reversed());
        if (finished.size() > k) finished.removeLast();
    }

    /**
     * Done when nothing is alive, or k hypotheses have finished and no live one can still beat the
     * worst of them: log probabilities only fall as a hypothesis grows, and the length penalty is
     * at most that of the longest allowed output.
     */
    private static boolean done(List<Hypothesis> finished, List<Hypothesis> alive, int k, LengthPenalty penalty, int steps) {
        if (alive.isEmpty()) return true;
        if (finished.size() < k) return false;
        double bestAlive = alive.getFirst().logProb / penalty.of(steps);
        return bestAlive <= score(finished.getLast(), penalty);
    }

    /** The {@code count} most likely tokens of a row, best first, never &lt;pad&gt; or &lt;s&gt; (one pass, insertion into a short list). */
    static int[] topTokens(FloatBuf logProbs, int row, int vocab, int count) {
        float[] lp = logProbs.array();
        int base = logProbs.offset() + row;
        int[] top = new int[Math.min(count, vocab)];
        int n = 0;
        for (int tok = 0; tok < vocab; tok++) {
            if (tok == TransformerConfig.PAD || tok == TransformerConfig.BOS) continue;
            float p = lp[base + tok];
            if (n == top.length && p <= lp[base + top[n - 1]]) continue;
            int i = Math.min(n, top.length - 1);
            while (i > 0 && lp[base + top[i - 1]] < p) {
                top[i] = top[i - 1];
                i--;
            }
            top[i] = tok;
            if (n < top.length) n++;
        }
        return Arrays.copyOf(top, n);
    }

    private static int[] append(int[] tokens, int tok) {
        int[] r = Arrays.copyOf(tokens, tokens.length + 1);
        r[tokens.length] = tok;
        return r;
    }

    private static int[] strip(int[] tokens) {
        int n = tokens.length;
        if (n > 0 && tokens[n - 1] == TransformerConfig.EOS) n--;
        return Arrays.copyOf(tokens, n);
    }
}
