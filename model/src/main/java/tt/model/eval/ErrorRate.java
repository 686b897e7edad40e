package tt.model.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Character and word error rates in percent: Levenshtein edits (substitutions, insertions, deletions) summed over
 * the corpus, divided by the summed reference length. One reference per segment.
 */
public final class ErrorRate {
    private ErrorRate() {}

    /** CER over code points, spaces included. */
    public static double cer(List<String> hypotheses, List<String> references) {
        return rate(hypotheses, references, s -> s.codePoints().toArray());
    }

    /** WER over whitespace-separated words. */
    public static double wer(List<String> hypotheses, List<String> references) {
        Map<String, Integer> ids = new HashMap<>();
        return rate(hypotheses, references,
                s -> PythonText.split(s).stream().mapToInt(w -> ids.computeIfAbsent(w, k -> ids.size())).toArray());
    }

    private static double rate(List<String> hypotheses, List<String> references, Function<String, int[]> units) {
        NGrams.checkCorpus(hypotheses, List.of(references));
        long edits = 0, refLength = 0;
        for (int i = 0; i < hypotheses.size(); i++) {
            int[] ref = units.apply(references.get(i));
            edits += editDistance(units.apply(hypotheses.get(i)), ref);
            refLength += ref.length;
        }
        if (refLength == 0) throw new IllegalArgumentException("error rate undefined: the references are empty");
        return 100.0 * edits / refLength;
    }

    static int editDistance(int[] a, int[] b) {
        int[] prev = new int[b.length + 1], cur = new int[b.length + 1];
        for (int j = 0; j <= b.length; j++) prev[j] = j;
        for (int i = 1; i <= a.length; i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length; j++) {
                int substitute = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                cur[j] = Math.min(substitute, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length];
    }
}
