package tt.model.eval;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Hand-counted edit distances; the rates are exact ratios, so the tolerance is 1e-12. */
class ErrorRateTest {
    @Test void editDistance() {
        assertEquals(3, ErrorRate.editDistance("kitten".codePoints().toArray(), "sitting".codePoints().toArray()));
        assertEquals(5, ErrorRate.editDistance(new int[0], new int[] {1, 2, 3, 4, 5}));
        assertEquals(2, ErrorRate.editDistance(new int[] {1, 2, 3}, new int[] {2, 3, 4}));
        assertEquals(0, ErrorRate.editDistance(new int[] {7, 7}, new int[] {7, 7}));
    }

    @Test void corpusRatesSumEditsOverReferenceLength() {
        List<String> hyp = List.of("the cat sat", "a dog"), ref = List.of("the cat sat down", "the dog");
        assertEquals(100.0 * 2 / 6, ErrorRate.wer(hyp, ref), 1e-12);       // one deletion, one substitution
        assertEquals(100.0 * (5 + 3) / (16 + 7), ErrorRate.cer(hyp, ref), 1e-12); // " down" deleted; "a"->"the"
        assertEquals(0.0, ErrorRate.cer(ref, ref), 0.0);
    }

    @Test void emptyReferencesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ErrorRate.wer(List.of("a"), List.of("  ")));
    }
}
