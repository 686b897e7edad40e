package tt.model.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A text cut into units (words for BLEU, characters for chrF) whose n-grams are substrings: the n-gram starting
 * at unit i is text[from[i], to[i + n - 1]). Substrings keep the counting cheap and equal sacreBLEU's tuple keys.
 */
record NGrams(String text, int[] from, int[] to) {
    int size() { return from.length; }

    /** The tokens of a line whose tokens are separated by single spaces, as Tokenizer13a returns it. */
    static NGrams words(String singleSpaced) {
        List<String> tokens = PythonText.split(singleSpaced);
        int[] from = new int[tokens.size()], to = new int[tokens.size()];
        for (int i = 0, pos = 0; i < tokens.size(); pos = to[i] + 1, i++) {
            from[i] = pos;
            to[i] = pos + tokens.get(i).length();
        }
        return new NGrams(String.join(" ", tokens), from, to);
    }

    /** The characters (code points) of a line with its whitespace removed. */
    static NGrams chars(String line) {
        String text = String.join("", PythonText.split(line));
        int n = text.codePointCount(0, text.length());
        int[] from = new int[n], to = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            from[i] = pos;
            pos = to[i] = text.offsetByCodePoints(pos, 1);
        }
        return new NGrams(text, from, to);
    }

    /** How often each n-gram of order n occurs. */
    Map<String, Integer> count(int n) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= size(); i++) counts.merge(text.substring(from[i], to[i + n - 1]), 1, Integer::sum);
        return counts;
    }

    /** Hypothesis n-grams found in the reference, each counted at most as often as the reference has it. */
    static long clippedMatches(Map<String, Integer> hyp, Map<String, Integer> ref) {
        long matches = 0;
        for (var e : hyp.entrySet()) matches += Math.min(e.getValue(), ref.getOrDefault(e.getKey(), 0));
        return matches;
    }

    static long total(Map<String, Integer> counts) {
        long total = 0;
        for (int c : counts.values()) total += c;
        return total;
    }

    /** The i-th segment of every reference stream. */
    static List<String> referencesOf(int i, List<? extends List<String>> referenceStreams) {
        return referenceStreams.stream().map(stream -> stream.get(i)).toList();
    }

    /** Each reference stream must have one segment per hypothesis. */
    static void checkCorpus(List<String> hypotheses, List<? extends List<String>> referenceStreams) {
        if (referenceStreams.isEmpty()) throw new IllegalArgumentException("no reference stream given");
        for (int r = 0; r < referenceStreams.size(); r++) {
            if (referenceStreams.get(r).size() != hypotheses.size()) {
                throw new IllegalArgumentException("reference stream " + (r + 1) + " has " + referenceStreams.get(r).size()
                        + " segments but there are " + hypotheses.size() + " hypotheses");
            }
        }
    }
}
