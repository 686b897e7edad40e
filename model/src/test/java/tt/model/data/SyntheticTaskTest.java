package tt.model.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tt.model.data.SyntheticTask.Kind;
import tt.model.text.Tokenizer;

class SyntheticTaskTest {
    @Test void sameSeedSameSequencesOtherSeedOthers() {
        var task = new SyntheticTask(Kind.REVERSE, 10, 3, 20, 200, 42);
        List<EncodedPair> a = task.pairs(), b = task.pairs();
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).source(), b.get(i).source());
            assertArrayEquals(a.get(i).target(), b.get(i).target());
        }
        List<EncodedPair> other = new SyntheticTask(Kind.REVERSE, 10, 3, 20, 200, 43).pairs();
        assertFalse(IntStream.range(0, a.size()).allMatch(i -> Arrays.equals(a.get(i).source(), other.get(i).source())));
    }

    @Test void targetsAreCopiedReversedOrSorted() {
        for (Kind kind : Kind.values()) {
            for (EncodedPair p : new SyntheticTask(kind, 7, 1, 25, 300, 5).pairs()) {
                int[] s = p.source(), t = p.target();
                assertEquals(s.length, t.length);
                int[] expected = switch (kind) {
                    case COPY -> s;
                    case REVERSE -> IntStream.range(0, s.length).map(i -> s[s.length - 1 - i]).toArray();
                    case SORT -> IntStream.of(s).sorted().toArray();
                };
                assertArrayEquals(expected, t, kind + " pair " + p.id());
            }
        }
    }

    @Test void symbolsAndLengthsStayInRangeAndCoverIt() {
        var task = new SyntheticTask(Kind.COPY, 13, 4, 9, 2000, 1);
        List<EncodedPair> pairs = task.pairs();
        assertEquals(2000, pairs.size());
        assertEquals(17, task.vocabSize());
        var lengths = pairs.stream().mapToInt(p -> p.source().length).summaryStatistics();
        assertEquals(4, lengths.getMin());
        assertEquals(9, lengths.getMax());
        var ids = pairs.stream().flatMapToInt(p -> IntStream.of(p.source())).summaryStatistics();
        assertEquals(SyntheticTask.FIRST_SYMBOL, ids.getMin());
        assertEquals(task.vocabSize() - 1, ids.getMax());
    }

    @Test void theUvaDefaultIsTenSymbolsOfLengthSixteen() {
        var task = SyntheticTask.of(Kind.REVERSE, 50, 0);
        assertEquals(14, task.vocabSize());
        assertTrue(task.pairs().stream().allMatch(p -> p.source().length == 16));
    }

    @Test void textFormEncodesBackToTheSameIds() {
        var task = new SyntheticTask(Kind.SORT, 12, 2, 6, 100, 9);
        ParallelCorpus corpus = task.corpus();
        Tokenizer words = task.tokenizer();
        assertEquals(task.vocabSize(), words.vocabSize());
        List<EncodedPair> pairs = task.pairs(), encoded = corpus.encode(words, words);
        for (int i = 0; i < pairs.size(); i++) {
            assertArrayEquals(pairs.get(i).source(), encoded.get(i).source());
            assertArrayEquals(pairs.get(i).target(), encoded.get(i).target());
        }
        assertTrue(corpus.source().get(0).matches("\\d+( \\d+)*"), corpus.source().get(0));
    }

    @Test void badSettingsAreRejectedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> new SyntheticTask(Kind.COPY, 10, 5, 4, 10, 0));
        assertTrue(e.getMessage().contains("lengths"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SyntheticTask(Kind.COPY, 0, 1, 4, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticTask(Kind.COPY, 10, 1, 4, -1, 0));
    }
}
