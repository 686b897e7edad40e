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
 * hypothesis one token at a time until &lt;/s&gt; or the length limit. Greedy decoding and beam
 * search, both batched over sentences. The decoder graph recomputes the prefix each step (no key
 * or value cache), which keeps the graph static; fine at research lengths.
 */
public final class Translator {
    private final Transformer model;
    private final Backend backend;
    private final Backend.Executable encode, decode;

    public Translator(Transformer model, Backend backend) {
        this.model = model;
        this.backend = backend;
        this.encode = backend.compile(model.encode);
        this.decode = backend.compile(model.decode);
    }

    /** Greedy decoding: each output excludes &lt;s&gt; and &lt;/s&gt;. */
    public int[][] greedy(int[][] sources, int maxLen) {
        return beam(sources, 1, 0.0, maxLen);
    }

    /**
     * Beam search with GNMT's length penalty: a finished hypothesis scores
     * logP / ((5 + length) / 6)^alpha. Returns the best finished hypothesis per sentence. A source
     * longer than {@link #maxSourceLength()} is an error, never cut.
     */
    public int[][] beam(int[][] sources, int beamSize, double alpha, int maxLen) {
        if (beamSize < 1) throw new IllegalArgumentException("beam size must be >= 1, got " + beamSize);
        for (int i = 0; i < sources.length; i++) {
            if (sources[i].length > maxSourceLength()) {
                throw new IllegalArgumentException("sentence " + (i + 1) + " has " + sources[i].length + " tokens, more than the "
                        + maxSourceLength() + " this model was built for");
            }
        }
        // Similar lengths together: each chunk decodes only as long as its longest source allows.
        Integer[] order = new Integer[sources.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt(i -> sources[i].length));
        int[][] out = new int[sources.length][];
        for (int start = 0; start < order.length; ) {
            int longestSrc = sources[order[start]].length, count = 0;
            while (start + count < order.length) {
                int longer = Math.max(longestSrc, sources[order[start + count]].length);
                int rows = (count + 1) * beamSize;
                if (count > 0 && (rows > model.limits.maxSentences()
                        || (long) rows * Math.max(steps(longer, maxLen), longer + 1) > model.limits.maxTokens())) break;
                longestSrc = longer;
                count++;
            }
            int[][] chunk = new int[count][];
            for (int i = 0; i < count; i++) chunk[i] = sources[order[start + i]];
            int[][] best = beamChunk(chunk, beamSize, alpha, steps(longestSrc, maxLen));
            for (int i = 0; i < count; i++) out[order[start + i]] = best[i];
            start += count;
        }
        return out;
    }

    /**
     * Every attention layer's probabilities for one sentence and a given output, from the graphs that
     * translate: the encoder on {@code source}, then the decoder teacher-forced on &lt;s&gt; + output
     * (queries &lt;s&gt;, y1..yn; the source keys end with &lt;/s&gt;).
     */
    public List<Transformer.AttentionMap> attention(int[] source, int[] output) {
        model.setBatch(Batch.of(List.of(new tt.model.data.EncodedPair(0, source, output))));
        encode.run();
        decode.run();
        backend.download(model.attentionBuffers().toArray(tt.kernels.Buf[]::new));
        return model.attentionMaps(0);
    }

    /** The longest source this translator takes, in tokens (its model's batch length minus &lt;/s&gt;). */
    public int maxSourceLength() { return model.limits.maxLen() - 1; }

    /** Decoder positions for a chunk: at most maxLen tokens + &lt;/s&gt;, and at most 2 * source + 10 (fairseq-style a*x+b). */
    private int steps(int longestSource, int maxLen) {
        return Math.min(Math.min(maxLen + 1, model.limits.maxLen()), 2 * longestSource + 10);
    }

    private record Hypothesis(int[] tokens, double logProb) {}

    private int[][] beamChunk(int[][] sources, int k, double alpha, int steps) {
        int n = sources.length, vocab = model.config.tgtVocab();
        int[][] replicated = new int[n * k][];
        for (int i = 0; i < n * k; i++) replicated[i] = sources[i / k];
        List<List<Hypothesis>> alive = new ArrayList<>(), finished = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            alive.add(new ArrayList<>(List.of(new Hypothesis(new int[0], 0.0))));
            finished.add(new ArrayList<>());
        }
        model.setBatch(prefixBatch(replicated, alive, k, 1));
        encode.run();
        for (int t = 1; t <= steps; t++) {
            model.setBatch(prefixBatch(replicated, alive, k, t));
            decode.run();
            FloatBuf logProbs = model.logProbs();
            backend.download(logProbs);
            boolean allDone = true;
            for (int s = 0; s < n; s++) {
                if (done(finished.get(s), alive.get(s), k, alpha, steps)) continue;
                List<Hypothesis> next = new ArrayList<>();
                for (int h = 0; h < alive.get(s).size(); h++) {
                    Hypothesis hyp = alive.get(s).get(h);
                    int row = ((s * k + h) * t + (t - 1)) * vocab;
                    for (int tok : topTokens(logProbs, row, vocab, 2 * k)) {
                        next.add(new Hypothesis(append(hyp.tokens, tok), hyp.logProb + logProbs.get(row + tok)));
                    }
                }
                next.sort(Comparator.comparingDouble(Hypothesis::logProb).reversed());
                List<Hypothesis> kept = new ArrayList<>();
                for (int rank = 0; rank < next.size() && kept.size() < k; rank++) {
                    Hypothesis hyp = next.get(rank);
                    boolean ends = hyp.tokens[hyp.tokens.length - 1] == TransformerConfig.EOS || t == steps;
                    // As fairseq: an ending candidate counts only if it ranks within the beam.
                    if (ends && rank < k) keepBest(finished.get(s), hyp, k, alpha);
                    else if (!ends) kept.add(hyp);
                }
                alive.set(s, kept);
                allDone &= done(finished.get(s), kept, k, alpha, steps);
            }
            if (allDone) break;
        }
        int[][] best = new int[n][];
        for (int s = 0; s < n; s++) {
            List<Hypothesis> pool = finished.get(s).isEmpty() ? alive.get(s) : finished.get(s);
            best[s] = strip(pool.stream().max(Comparator.comparingDouble(h -> score(h, alpha))).orElseThrow().tokens);
        }
        return best;
    }

    private static double score(Hypothesis h, double alpha) {
        return h.logProb / lengthPenalty(h.tokens.length, alpha);
    }

    /** Keeps the k best finished hypotheses by length-normalised score. */
    private static void keepBest(List<Hypothesis> finished, Hypothesis hyp, int k, double alpha) {
        finished.add(hyp);
        finished.sort(Comparator.comparingDouble((Hypothesis h) -> score(h, alpha)).reversed());
        if (finished.size() > k) finished.removeLast();
    }

    /**
     * Done when nothing is alive, or k hypotheses have finished and no live one can still beat the
     * worst of them: log probabilities only fall as a hypothesis grows, and the length penalty is
     * at most that of the longest allowed output.
     */
    private static boolean done(List<Hypothesis> finished, List<Hypothesis> alive, int k, double alpha, int steps) {
        if (alive.isEmpty()) return true;
        if (finished.size() < k) return false;
        double bestAlive = alive.getFirst().logProb / lengthPenalty(steps, alpha);
        return bestAlive <= score(finished.getLast(), alpha);
    }

    /**
     * Sources (ending in &lt;/s&gt;, as the batcher trains them) and, per hypothesis slot,
     * &lt;s&gt; + its tokens, padded to exactly t decoder positions; dead slots repeat a live one.
     */
    private static Batch prefixBatch(int[][] sources, List<List<Hypothesis>> alive, int k, int t) {
        int n = sources.length, srcLen = longest(sources) + 1;
        int[] src = new int[n * srcLen], in = new int[n * t], srcLengths = new int[n], tgtLengths = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(sources[i], 0, src, i * srcLen, sources[i].length);
            src[i * srcLen + sources[i].length] = TransformerConfig.EOS;
            srcLengths[i] = sources[i].length + 1;
            List<Hypothesis> hyps = alive.get(i / k);
            int[] tokens = hyps.isEmpty() ? new int[0] : hyps.get(Math.min(i % k, hyps.size() - 1)).tokens;
            int len = Math.min(t, tokens.length + 1);
            in[i * t] = TransformerConfig.BOS;
            System.arraycopy(tokens, 0, in, i * t + 1, len - 1);
            tgtLengths[i] = len;
        }
        return new Batch(n, srcLen, t, src, in, new int[n * t], srcLengths, tgtLengths, new int[n]);
    }

    /** The {@code count} most likely tokens of a row, best first, never &lt;pad&gt; or &lt;s&gt; (one pass, insertion into a short list). */
    private static int[] topTokens(FloatBuf logProbs, int row, int vocab, int count) {
        int[] top = new int[Math.min(count, vocab)];
        int n = 0;
        for (int tok = 0; tok < vocab; tok++) {
            if (tok == TransformerConfig.PAD || tok == TransformerConfig.BOS) continue;
            float lp = logProbs.get(row + tok);
            if (n == top.length && lp <= logProbs.get(row + top[n - 1])) continue;
            int i = Math.min(n, top.length - 1);
            while (i > 0 && logProbs.get(row + top[i - 1]) < lp) {
                top[i] = top[i - 1];
                i--;
            }
            top[i] = tok;
            if (n < top.length) n++;
        }
        return Arrays.copyOf(top, n);
    }

    static double lengthPenalty(int length, double alpha) {
        return Math.pow((5.0 + length) / 6.0, alpha);
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

    private static int longest(int[][] seqs) {
        int m = 1;
        for (int[] s : seqs) m = Math.max(m, s.length);
        return m;
    }
}
