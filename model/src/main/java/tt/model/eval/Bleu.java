package tt.model.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Corpus BLEU exactly as sacreBLEU 2.x computes it by default: 13a tokenization, case-sensitive, n-grams up to 4,
 * 'exp' smoothing, brevity penalty against the closest reference length, no effective order, any number of
 * references per segment (their n-gram counts merged by maximum). Optionally case-insensitive as
 * {@code sacrebleu -lc}: what papers scoring lowercased text (e.g. most multimodal-MT work on Multi30k) report.
 */
public final class Bleu {
    public static final int MAX_ORDER = 4;

    private Bleu() {}

    /** The sacreBLEU release whose scores (and signature strings) {@link Bleu} and {@link ChrF} reproduce. */
    public static final String SACREBLEU_VERSION = "2.6.0";

    /** sacreBLEU's signature of this BLEU: its defaults (13a tokens, exp smoothing), mixed case or lowercased. */
    public static String signature(int references, boolean lowercase) {
        return "nrefs:" + references + "|case:" + (lowercase ? "lc" : "mixed") + "|eff:no|tok:13a|smooth:exp|version:" + SACREBLEU_VERSION;
    }

    /** A corpus score; {@link #toString()} is sacreBLEU's plain score line. */
    public record Score(double score, long[] correct, long[] total, double[] precisions, double brevityPenalty,
                        long hypLength, long refLength, boolean lowercase) {
        public double ratio() { return refLength == 0 ? 0 : (double) hypLength / refLength; }

        @Override public String toString() { return "BLEU = " + PythonText.fixed(score, 2) + details(); }

        /** The line {@code sacrebleu -f text} prints: the name, signature and score to one decimal, then the same details. */
        public String withSignature(int references) {
            return "BLEU|" + signature(references, lowercase) + " = " + PythonText.fixed(score, 1) + details();
        }

        private String details() {
            List<String> precs = Arrays.stream(precisions).mapToObj(p -> PythonText.fixed(p, 1)).toList();
            return " " + String.join("/", precs) + " (BP = " + PythonText.fixed(brevityPenalty, 3) + " ratio = " + PythonText.fixed(ratio(), 3)
                    + " hyp_len = " + hypLength + " ref_len = " + refLength + ")";
        }
    }

    /**
     * BLEU of {@code hypotheses} against one or more reference streams, each with one segment per hypothesis
     * (sacreBLEU's {@code corpus_score(hyps, [refs1, refs2, ...])}).
     */
    public static Score corpus(List<String> hypotheses, List<? extends List<String>> referenceStreams) {
        return corpus(hypotheses, referenceStreams, false);
    }

    /** As {@link #corpus(List, List)}, case-insensitive with {@code lowercase} ({@code sacrebleu -lc}). */
    public static Score corpus(List<String> hypotheses, List<? extends List<String>> referenceStreams, boolean lowercase) {
        NGrams.checkCorpus(hypotheses, referenceStreams);
        long[] stats = new long[2 + 2 * MAX_ORDER];
        for (int i = 0; i < hypotheses.size(); i++) {
            List<String> references = NGrams.referencesOf(i, referenceStreams);
            long[] segment = lowercase
                    ? segmentStats(lower(hypotheses.get(i)), references.stream().map(Bleu::lower).toList())
                    : segmentStats(hypotheses.get(i), references);
            for (int k = 0; k < stats.length; k++) stats[k] += segment[k];
        }
        return fromStats(stats, false, lowercase);
    }

    /** Python's {@code str.lower()}, which sacreBLEU applies before tokenizing (full Unicode case mapping, no locale). */
    private static String lower(String segment) {
        return segment.toLowerCase(Locale.ROOT);
    }

    /** One segment's sufficient statistics: hyp length, ref length, correct[order], total[order]; they add up. */
    static long[] segmentStats(String hypothesis, List<String> references) {
        long[] stats = new long[2 + 2 * MAX_ORDER];
        Map<String, Integer> refCounts = new HashMap<>();
        List<Integer> refLengths = new ArrayList<>();
        for (String ref : references) {
            NGrams tokens = tokens(ref);
            refLengths.add(tokens.size());
            for (int n = 1; n <= MAX_ORDER; n++) tokens.count(n).forEach((g, c) -> refCounts.merge(g, c, Math::max));
        }
        NGrams hyp = tokens(hypothesis);
        stats[0] += hyp.size();
        stats[1] += closestLength(hyp.size(), refLengths);
        for (int n = 1; n <= MAX_ORDER; n++) {
            Map<String, Integer> hypCounts = hyp.count(n);
            stats[1 + n] += NGrams.clippedMatches(hypCounts, refCounts);
            stats[1 + MAX_ORDER + n] += NGrams.total(hypCounts);
        }
        return stats;
    }

    private static NGrams tokens(String segment) {
        return NGrams.words(Tokenizer13a.tokenize(PythonText.rstrip(segment)));
    }

    /** The reference length closest to the hypothesis length; ties go to the shorter reference. */
    private static int closestLength(int hypLength, List<Integer> refLengths) {
        int best = refLengths.getFirst();
        for (int len : refLengths) {
            int d = Math.abs(hypLength - len), bestD = Math.abs(hypLength - best);
            if (d < bestD || (d == bestD && len < best)) best = len;
        }
        return best;
    }

    /** sacreBLEU's compute_bleu with smooth_method='exp', step for step so the doubles agree. */
    static Score fromStats(long[] stats) {
        return fromStats(stats, false, false);
    }

    /**
     * The score sacreBLEU's significance tests give a bootstrap resample: they sum the statistics as float32 numpy
     * arrays, and under NumPy 2's promotion rules (NEP 50) {@code 100. * correct / total} then stays float32, so the
     * precisions are rounded to float (the sums themselves are exact below 2^24).
     */
    static double resampledScore(long[] stats) {
        return fromStats(stats, true, false).score();
    }

    private static Score fromStats(long[] stats, boolean floatPrecisions, boolean lowercase) {
        long hypLength = stats[0], refLength = stats[1];
        long[] correct = Arrays.copyOfRange(stats, 2, 2 + MAX_ORDER);
        long[] total = Arrays.copyOfRange(stats, 2 + MAX_ORDER, 2 + 2 * MAX_ORDER);
        double bp = hypLength >= refLength ? 1.0 : hypLength > 0 ? Math.exp(1 - (double) refLength / hypLength) : 0.0;
        double[] precisions = new double[MAX_ORDER];
        if (Arrays.stream(correct).allMatch(c -> c == 0)) {
            return new Score(0.0, correct, total, precisions, bp, hypLength, refLength, lowercase);
        }
        // 'exp' smoothing (mteval-v13a): the k-th order without a match gets precision 100 / (2^k * total).
        double smooth = 1;
        for (int n = 0; n < MAX_ORDER && total[n] > 0; n++) {
            if (correct[n] == 0) {
                smooth *= 2;
                precisions[n] = floatPrecisions ? 100f / ((float) smooth * total[n]) : 100.0 / (smooth * total[n]);
            } else {
                precisions[n] = floatPrecisions ? 100f * correct[n] / total[n] : 100.0 * correct[n] / total[n];
            }
        }
        double logSum = 0;
        for (double p : precisions) logSum += p == 0 ? -9999999999.0 : Math.log(p);  // sacreBLEU's my_log
        return new Score(bp * Math.exp(logSum / MAX_ORDER), correct, total, precisions, bp, hypLength, refLength, lowercase);
    }
}
