package tt.model.eval;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * NumpyRandom against numbers printed by NumPy 2.4.6, PairedBootstrap against sacreBLEU 2.6.0 (Python 3.11) on the
 * fixtures paired-bs.{ref,greedy,beam4}.en: the first 200 lines of Multi30k's test_2016_flickr.en and of
 * results/multi30k-small/test2016.{greedy,beam4}.en. Tolerances: indices and p-values (a count over 1001) must be
 * equal; scores, means and CIs must equal sacreBLEU's JSON output (repr, 17 significant digits) to 1e-12, which
 * leaves room only for last-bit differences between Java's and glibc's exp/log (here 8 of the baseline's 1000
 * resampled scores differ by an ulp and its mean comes out 34.053479647666315 against 34.05347964766631; everything
 * else is bit-equal), and its table to every printed digit.
 */
class PairedBootstrapTest {
    private static final double EXACT_BUT_LIBM = 1e-12;

    private static int[] row(int[][] idxs, int r, int from, int to) { return Arrays.copyOfRange(idxs[r], from, to); }

    @Test void choiceMatchesNumpy() {
        // i = np.random.default_rng(12345).choice(1000, size=(1000, 1000), replace=True)
        // print(i.ravel()[:20].tolist(), i[499, 120:130].tolist(), i[999, -10:].tolist())
        int[][] idxs = new NumpyRandom(12345).choice(1000, 1000, 1000);
        assertArrayEquals(new int[] {699, 227, 788, 316, 204, 797, 642, 676, 988, 391, 839, 332, 567, 598, 213, 186, 229,
                672, 613, 941}, row(idxs, 0, 0, 20));
        assertArrayEquals(new int[] {309, 188, 295, 106, 181, 85, 171, 106, 165, 746}, row(idxs, 499, 120, 130));
        assertArrayEquals(new int[] {53, 939, 196, 916, 664, 604, 70, 218, 528, 919}, row(idxs, 999, 990, 1000));

        // i = np.random.default_rng(12345).choice(7, size=(1000, 7), replace=True)
        // print(i.ravel()[:20].tolist(), i[500].tolist(), i[999].tolist())
        idxs = new NumpyRandom(12345).choice(7, 1000, 7);
        int[] first20 = Arrays.stream(idxs).limit(3).flatMapToInt(Arrays::stream).limit(20).toArray();
        assertArrayEquals(new int[] {4, 1, 5, 2, 1, 5, 4, 4, 6, 2, 5, 2, 3, 4, 1, 1, 1, 4, 4, 6}, first20);
        assertArrayEquals(new int[] {3, 3, 1, 5, 5, 3, 2}, idxs[500]);
        assertArrayEquals(new int[] {3, 4, 5, 4, 3, 2, 4}, idxs[999]);

        // np.random.default_rng(0).choice(1000, size=10).tolist(); the same with 2**40 + 7 (two entropy words)
        assertArrayEquals(new int[] {850, 636, 511, 269, 307, 40, 75, 16, 175, 813},
                new NumpyRandom(0).choice(1000, 1, 10)[0]);
        assertArrayEquals(new int[] {206, 829, 609, 255, 17, 153, 504, 674, 885, 738},
                new NumpyRandom((1L << 40) + 7).choice(1000, 1, 10)[0]);
        // np.random.default_rng(12345).choice(1, size=5).tolist(): nothing is drawn
        assertArrayEquals(new int[5], new NumpyRandom(12345).choice(1, 1, 5)[0]);
    }

    @Test void integersRejectLikeNumpy() {
        // np.random.default_rng(12345).integers(0, 2**31 + 1, size=12).tolist(): Lemire rejects almost half the draws
        NumpyRandom rng = new NumpyRandom(12345);
        assertArrayEquals(new long[] {488200390, 1693606511, 680233354, 438466540, 1712329281, 1380152456, 1452245847,
                        714712467, 457721135, 492064534, 533103612, 2037706757},
                LongStream.range(0, 12).map(i -> rng.integer((1L << 31) + 1)).toArray());
        // np.random.default_rng(12345).integers(0, 2**32 - 1, size=6).tolist(): products above 2^63
        NumpyRandom rng2 = new NumpyRandom(12345);
        assertArrayEquals(new long[] {3003105692L, 976400780, 3387213021L, 1360466708, 876933080, 3424658561L},
                LongStream.range(0, 6).map(i -> rng2.integer((1L << 32) - 1)).toArray());
    }

    private static List<String> lines(String name) {
        try (var in = new BufferedReader(new InputStreamReader(
                PairedBootstrapTest.class.getResourceAsStream(name), StandardCharsets.UTF_8))) {
            return in.lines().toList();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static final List<String> REF = lines("paired-bs.ref.en"), GREEDY = lines("paired-bs.greedy.en"),
            BEAM = lines("paired-bs.beam4.en");

    private static PairedBootstrap.Result greedyVsBeam() {
        return PairedBootstrap.test(GREEDY, BEAM, REF, PairedBootstrap.SAMPLES, PairedBootstrap.SEED);
    }

    /** sacreBLEU's table cell: "score (mean ± ci)" at width 1. */
    private static String cell(double score, double mean, double ci) {
        return PythonText.fixed(score, 1) + " (" + PythonText.fixed(mean, 1) + " ± " + PythonText.fixed(ci, 1) + ")";
    }

    @Test void matchesSacrebleuPairedBs() {
        // cd model/src/test/resources/tt/model/eval
        // sacrebleu paired-bs.ref.en -i paired-bs.greedy.en paired-bs.beam4.en --paired-bs -m bleu | cat
        // (the same without -m bleu; piped, sacreBLEU prints JSON):
        //   "Baseline: paired-bs.greedy.en": score 34.11903481524603, p_value null,
        //                                    mean 34.05347964766631, ci 3.1768312777166905
        //   "paired-bs.beam4.en":            score 32.76043898021995, p_value 0.030969030969030968,
        //                                    mean 32.72141791565474, ci 3.124526024991024
        // With -f text the table reads "34.1 (34.1 ± 3.2)" and "32.8 (32.7 ± 3.1) (p = 0.0310)*".
        PairedBootstrap.Result r = greedyVsBeam();
        assertEquals(34.11903481524603, r.baselineScore(), EXACT_BUT_LIBM);
        assertEquals(34.05347964766631, r.baselineMean(), EXACT_BUT_LIBM);
        assertEquals(3.1768312777166905, r.baselineCi(), EXACT_BUT_LIBM);
        assertEquals(32.76043898021995, r.systemScore(), EXACT_BUT_LIBM);
        assertEquals(0.030969030969030968, r.pValue());
        assertEquals(32.72141791565474, r.systemMean(), EXACT_BUT_LIBM);
        assertEquals(3.124526024991024, r.systemCi(), EXACT_BUT_LIBM);
        assertEquals("34.1 (34.1 ± 3.2)", cell(r.baselineScore(), r.baselineMean(), r.baselineCi()));
        assertEquals("32.8 (32.7 ± 3.1)", cell(r.systemScore(), r.systemMean(), r.systemCi()));
        assertEquals("0.0310", PythonText.fixed(r.pValue(), 4));
    }

    @Test void identicalSystemsGetTheSmallestPValue() {
        // cp paired-bs.greedy.en /tmp/copy.en  (sacreBLEU drops a system given under the baseline's own name)
        // sacrebleu paired-bs.ref.en -i paired-bs.greedy.en /tmp/copy.en --paired-bs -m bleu | cat
        //   "/tmp/copy.en": score 34.11903481524603, p_value 0.000999000999000999,
        //                   mean 34.05347964766631, ci 3.1768312777166905; table "(p = 0.0010)*"
        // Every resampled difference is 0, and sacreBLEU counts only those exceeding the real difference (0) after
        // centring, so it reports p = 1/1001 and calls the copy significantly different, not p = 1.
        PairedBootstrap.Result r = PairedBootstrap.test(GREEDY, GREEDY, REF, PairedBootstrap.SAMPLES, PairedBootstrap.SEED);
        assertEquals(0.000999000999000999, r.pValue());
        assertEquals(34.11903481524603, r.systemScore(), EXACT_BUT_LIBM);
        assertEquals(34.05347964766631, r.systemMean(), EXACT_BUT_LIBM);
        assertEquals(3.1768312777166905, r.systemCi(), EXACT_BUT_LIBM);
    }

    @Test void oneSeedIsTheSingleSystemTest() {
        PairedBootstrap.Result single = greedyVsBeam();
        assertEquals(single, PairedBootstrap.testSeeds(List.of(GREEDY), List.of(BEAM), REF, PairedBootstrap.SAMPLES,
                PairedBootstrap.SEED));
        // Two copies of a seed average to that seed exactly: (x + x) / 2 == x.
        assertEquals(single, PairedBootstrap.testSeeds(List.of(GREEDY, GREEDY), List.of(BEAM, BEAM), REF,
                PairedBootstrap.SAMPLES, PairedBootstrap.SEED));
    }
}
