package tt.model.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Corpus chrF exactly as sacreBLEU 2.x computes it by default (chrF2): character n-grams of orders 1..6 with
 * whitespace removed, no word n-grams, beta 2, case-sensitive, precision and recall averaged over the orders that
 * both sides have (no eps smoothing). With several references, each segment keeps the one with the best F-score.
 */
public final class ChrF {
    public static final int CHAR_ORDER = 6;
    public static final int BETA = 2;

    private ChrF() {}

    public record Score(double score) {
        @Override public String toString() { return "chrF" + BETA + " = " + PythonText.fixed(score, 2); }

        /** The line {@code sacrebleu -m chrf -f text} prints: name, signature (sacreBLEU's chrF2 defaults), score to one decimal. */
        public String withSignature(int references) {
            return "chrF" + BETA + "|nrefs:" + references + "|case:mixed|eff:yes|nc:" + CHAR_ORDER + "|nw:0|space:no|version:"
                    + Bleu.SACREBLEU_VERSION + " = " + PythonText.fixed(score, 1);
        }
    }

    /** chrF of {@code hypotheses} against reference streams laid out as for {@link Bleu#corpus}. */
    public static Score corpus(List<String> hypotheses, List<? extends List<String>> referenceStreams) {
        NGrams.checkCorpus(hypotheses, referenceStreams);
        long[] stats = new long[3 * CHAR_ORDER];
        for (int i = 0; i < hypotheses.size(); i++) {
            List<Map<String, Integer>> hyp = charNGrams(hypotheses.get(i));
            long[] best = null;
            double bestF = -1;
            for (String ref : NGrams.referencesOf(i, referenceStreams)) {
                long[] segment = matchStatistics(hyp, charNGrams(ref));
                double f = fScore(segment);
                if (f > bestF) {
                    bestF = f;
                    best = segment;
                }
            }
            for (int k = 0; k < stats.length; k++) stats[k] += best[k];
        }
        return new Score(fScore(stats));
    }

    /** For orders 1..CHAR_ORDER, the counts of the character (code point) n-grams of the line without whitespace. */
    private static List<Map<String, Integer>> charNGrams(String line) {
        NGrams chars = NGrams.chars(line);
        List<Map<String, Integer>> counts = new ArrayList<>();
        for (int n = 1; n <= CHAR_ORDER; n++) counts.add(chars.count(n));
        return counts;
    }

    /** Per order: hypothesis n-grams (0 when the reference has none of that order), reference n-grams, matches. */
    private static long[] matchStatistics(List<Map<String, Integer>> hyp, List<Map<String, Integer>> ref) {
        long[] stats = new long[3 * CHAR_ORDER];
        for (int n = 0; n < CHAR_ORDER; n++) {
            stats[3 * n] = ref.get(n).isEmpty() ? 0 : NGrams.total(hyp.get(n));
            stats[3 * n + 1] = NGrams.total(ref.get(n));
            stats[3 * n + 2] = NGrams.clippedMatches(hyp.get(n), ref.get(n));
        }
        return stats;
    }

    /** sacreBLEU's _compute_f_score without eps smoothing, in its order of operations. */
    private static double fScore(long[] stats) {
        double factor = BETA * BETA, avgPrec = 0, avgRec = 0;
        int effectiveOrder = 0;
        for (int n = 0; n < CHAR_ORDER; n++) {
            long hyp = stats[3 * n], ref = stats[3 * n + 1], match = stats[3 * n + 2];
            if (hyp > 0 && ref > 0) {
                avgPrec += (double) match / hyp;
                avgRec += (double) match / ref;
                effectiveOrder++;
            }
        }
        if (effectiveOrder > 0) {
            avgPrec /= effectiveOrder;
            avgRec /= effectiveOrder;
        }
        if (avgPrec + avgRec == 0) return 0.0;
        return 100 * ((1 + factor) * avgPrec * avgRec / (factor * avgPrec + avgRec));
    }
}
