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
 * search, both batched over sentences (a beam is k rows of the batch). Each step feeds only the
 * newest token of every row: the decoder keeps each layer's keys and values, and beam search
 * reorders those caches when hypotheses change rows.
 */
public final class Translator {
    private final Transformer model;
    private final Backend backend;
    private final Backend.Executable encode, decodeStep, reorderBeams;
    private Backend.Executable evaluate;

    public Translator(Transformer model, Backend backend) {
        this.model = model;
        this.backend = backend;
        this.encode = backend.compile(model.encode);
        this.decodeStep = backend.compile(model.decodeStep);
        this.reorderBeams = backend.compile(model.reorderBeams);
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
            int[][] best = beamChunk(chunk, beamSize, penalty, steps(longestSrc, maxLen));
            for (int i = 0; i < count; i++) out[order[start + i]] = best[i];
            start += count;
        }
        return out;
    }

    /**
     * Every attention layer's probabilities for one sentence and a given output: the whole model,
     * teacher-forced on &lt;s&gt; + output (queries &lt;s&gt;, y1..yn; the source keys end with &lt;/s&gt;).
     */
    public List<Transformer.AttentionMap> attention(int[] source, int[] output) {
        if (evaluate == null) evaluate = backend.compile(model.evaluate);
        model.setBatch(Batch.of(List.of(new tt.model.data.EncodedPair(0, source, output))));
        evaluate.run();
        backend.download(model.attentionBuffers().toArray(tt.kernels.Buf[]::new));
        return model.attentionMaps(0);
    }

    /** The longest source this translator takes, in tokens (its model's batch length minus &lt;/s&gt;). */
    public int maxSourceLength() { return model.limits.maxLen() - 1; }

    /** Decoder positions for a chunk: at most maxLen tokens + &lt;/s&gt;, and at most 2 * source + 10 (fairseq-style a*x+b). */
    private int steps(int longestSource, int maxLen) {
        return Math.min(Math.min(maxLen + 1, model.limits.maxLen()), 2 * longestSource + 10);
    }

    /** A prefix (without &lt;s&gt;), its log-probability, and the row of its beam it was extended from. */
    private record Hypothesis(int[] tokens, double logProb, int parent) {}

    private int[][] beamChunk(int[][] sources, int k, LengthPenalty penalty, int steps) {
        int n = sources.length, rows = n * k, vocab = model.config.tgtVocab();
        int[][] replicated = new int[rows][];
        for (int i = 0; i < rows; i++) replicated[i] = append(sources[i / k], TransformerConfig.EOS);
        List<List<Hypothesis>> alive = new ArrayList<>(), finished = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            alive.add(new ArrayList<>(List.of(new Hypothesis(new int[0], 0.0, 0))));
            finished.add(new ArrayList<>());
        }
        model.startDecoding(replicated, steps);
        encode.run();
        // Row s*k + j holds hypothesis j of sentence s (rows past the live ones repeat the last).
        int[] tokens = new int[rows], parents = new int[rows];
        Arrays.fill(tokens, TransformerConfig.BOS);
        for (int t = 1; t <= steps; t++) {
            model.setDecodePosition(t - 1, tokens);
            decodeStep.run();
            FloatBuf logProbs = model.logProbs();
            backend.download(logProbs);
            boolean allDone = true, reordered = false;
            for (int s = 0; s < n; s++) {
                for (int j = 0; j < k; j++) parents[s * k + j] = s * k + j;
                if (done(finished.get(s), alive.get(s), k, penalty, steps)) continue;
                List<Hypothesis> next = new ArrayList<>();
                for (int h = 0; h < alive.get(s).size(); h++) {
                    Hypothesis hyp = alive.get(s).get(h);
                    int row = (s * k + h) * vocab;
                    for (int tok : topTokens(logProbs, row, vocab, 2 * k)) {
                        next.add(new Hypothesis(append(hyp.tokens, tok), hyp.logProb + logProbs.get(row + tok), h));
                    }
                }
                next.sort(Comparator.comparingDouble(Hypothesis::logProb).reversed());
                List<Hypothesis> kept = new ArrayList<>();
                for (int rank = 0; rank < next.size() && kept.size() < k; rank++) {
                    Hypothesis hyp = next.get(rank);
                    boolean ends = hyp.tokens[hyp.tokens.length - 1] == TransformerConfig.EOS || t == steps;
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
                allDone &= done(finished.get(s), kept, k, penalty, steps);
            }
            if (allDone) break;
            if (reordered) {
                model.setBeamParents(parents);
                reorderBeams.run();
            }
        }
        int[][] best = new int[n][];
        for (int s = 0; s < n; s++) {
            List<Hypothesis> pool = finished.get(s).isEmpty() ? alive.get(s) : finished.get(s);
            best[s] = strip(pool.stream().max(Comparator.comparingDouble(h -> score(h, penalty))).orElseThrow().tokens);
        }
        return best;
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
    private static int[] topTokens(FloatBuf logProbs, int row, int vocab, int count) {
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
