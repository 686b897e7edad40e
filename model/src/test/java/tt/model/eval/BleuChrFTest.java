package tt.model.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every expected string here was printed by sacrebleu 2.6.0 (str(BLEU().corpus_score(hyps, refs)) and likewise
 * for CHRF()) on the same input: the scores must agree to every printed digit.
 */
class BleuChrFTest {
    private static void check(String bleu, String chrf, List<String> hyps, List<List<String>> refs) {
        assertEquals(bleu, Bleu.corpus(hyps, refs).toString());
        assertEquals(chrf, ChrF.corpus(hyps, refs).toString());
    }

    @Test void identicalIsHundred() {
        List<String> text = List.of("The cat sat on the mat.", "A dog runs.");
        check("BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 11 ref_len = 11)",
                "chrF2 = 100.00", text, List.of(text));
    }

    @Test void emptyHypothesesScoreZero() {
        check("BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 0.000 ratio = 0.000 hyp_len = 0 ref_len = 11)", "chrF2 = 0.00",
                List.of("", ""), List.of(List.of("The cat sat on the mat.", "A dog runs.")));
        check("BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 0.368 ratio = 0.500 hyp_len = 1 ref_len = 2)", "chrF2 = 0.00",
                List.of("xyz"), List.of(List.of("abc def")));
    }

    @Test void expSmoothingForOrdersWithoutMatches() {
        // No 4-gram matches: p4 = 100 / (2 * 5 four-grams).
        check("BLEU = 17.29 75.0/28.6/8.3/5.0 (BP = 1.000 ratio = 1.333 hyp_len = 8 ref_len = 6)", "chrF2 = 48.87",
                List.of("the cat the dog sat on a mat"), List.of(List.of("the cat sat on the mat")));
        // No 3- or 4-gram matches: p3 = 100 / (2 * 4), p4 = 100 / (4 * 3).
        check("BLEU = 21.36 100.0/20.0/12.5/8.3 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)", "chrF2 = 48.92",
                List.of("cat the mat on sat the"), List.of(List.of("the cat sat on the mat")));
    }

    @Test void brevityPenalty() {
        check("BLEU = 67.03 100.0/100.0/100.0/100.0 (BP = 0.670 ratio = 0.714 hyp_len = 5 ref_len = 7)",
                "chrF2 = 63.94", List.of("the cat sat on the"), List.of(List.of("the cat sat on the mat today")));
        // Three tokens have no 4-gram: that precision stays 0 and BLEU is 0, as in sacreBLEU.
        check("BLEU = 0.00 100.0/100.0/100.0/0.0 (BP = 0.264 ratio = 0.429 hyp_len = 3 ref_len = 7)",
                "chrF2 = 37.91", List.of("the cat sat"), List.of(List.of("the cat sat on the mat today")));
    }

    @Test void multipleReferences() {
        check("BLEU = 39.76 100.0/60.0/25.0/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)", "chrF2 = 61.93",
                List.of("the cat is on the mat"),
                List.of(List.of("the cat sat on the mat"), List.of("there is a cat on the mat")));
        // Equally close reference lengths 4 and 6: the shorter one counts.
        check("BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.250 hyp_len = 5 ref_len = 4)",
                "chrF2 = 91.37", List.of("a b c d e"), List.of(List.of("a b c d"), List.of("a b c d e f")));
    }

    @Test void tokenizationMakesDetokenizedAndTokenizedAgree() {
        check("BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 14 ref_len = 14)",
                "chrF2 = 88.36", List.of("He paid $3.50, not 1,000 - \"ok\" &amp; left."),
                List.of(List.of("He paid $ 3.50 , not 1,000 - \" ok \" & left .")));
    }

    /** 200 corpora: random strings full of punctuation, entities, odd whitespace; and perturbed Multi30k lines. */
    @Test void agreesWithSacrebleuOnRecordedCorpora() throws IOException {
        ObjectMapper json = new ObjectMapper();
        int cases = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                getClass().getResourceAsStream("sacrebleu-2.6.0-cases.jsonl"), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; cases++) {
                JsonNode c = json.readTree(line);
                List<List<String>> refs = new ArrayList<>();
                c.get("refs").forEach(stream -> refs.add(strings(stream)));
                check(c.get("bleu").asText(), c.get("chrf").asText(), strings(c.get("hyps")), refs);
            }
        }
        assertEquals(200, cases);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Test void multi30kValidationGermanAgainstEnglish() throws IOException {
        Path dir = multi30k();
        List<String> en = SegmentFiles.read(dir.resolve("val.en.gz")), de = SegmentFiles.read(dir.resolve("val.de.gz"));
        check("BLEU = 0.49 11.0/0.3/0.2/0.1 (BP = 0.964 ratio = 0.965 hyp_len = 12825 ref_len = 13289)",
                "chrF2 = 17.93", de, List.of(en));
    }

    /** sacrebleu -lc (BLEU(lowercase=True)): Python's str.lower() on both sides, umlauts, ẞ, final sigma and İ included. */
    @Test void lowercasedAgreesWithSacrebleu() throws IOException {
        List<String> hyps = List.of("Ein Mann mit einem ORANGEFARBENEN Hut.", "ÄRGER über STRAẞE und Straße", "ΟΔΟΣ İstanbul",
                "The Cat sat ON the mat.");
        List<List<String>> refs = List.of(List.of("ein mann mit einem orangefarbenen Hut.", "ärger über straße und STRASSE",
                "οδος i̇stanbul", "the cat sat on the mat"));
        assertEquals("BLEU = 85.74 90.5/88.2/84.6/80.0 (BP = 1.000 ratio = 1.050 hyp_len = 21 ref_len = 20)",
                Bleu.corpus(hyps, refs, true).toString());
        assertEquals("BLEU = 9.23 42.9/17.6/3.8/2.5 (BP = 1.000 ratio = 1.050 hyp_len = 21 ref_len = 20)",
                Bleu.corpus(hyps, refs, false).toString());
        Path dir = multi30k();
        List<String> en = SegmentFiles.read(dir.resolve("val.en.gz")), de = SegmentFiles.read(dir.resolve("val.de.gz"));
        // zcat val.de.gz | sacrebleu val.en -lc -f text, sacreBLEU 2.6.0
        assertEquals("BLEU|nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:2.6.0 = 0.6 12.9/0.7/0.2/0.1 (BP = 0.964 ratio = 0.965"
                + " hyp_len = 12825 ref_len = 13289)", Bleu.corpus(de, List.of(en), true).withSignature(1));
    }

    @Test void mismatchedStreamsAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> Bleu.corpus(List.of("a", "b"), List.of(List.of("a"))));
        assertTrue(e.getMessage().contains("reference stream 1 has 1 segments but there are 2 hypotheses"), e.getMessage());
    }

    /** ../shared/data/multi30k beside the repository (or beside any folder above it). */
    static Path multi30k() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("shared/data/multi30k");
            if (Files.isDirectory(candidate)) return candidate;
        }
        assumeTrue(false, "Multi30k not found at ../shared/data/multi30k");
        return null;
    }
}
