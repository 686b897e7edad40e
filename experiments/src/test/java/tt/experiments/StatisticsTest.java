package tt.experiments;

import org.junit.jupiter.api.Test;
import tt.experiments.Statistics.Difference;
import tt.experiments.Statistics.Spread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spread and paired differences against values worked out by hand (tolerance 1e-6). */
class StatisticsTest {
    private static final double TOL = 1e-6;

    @Test
    void spreadIsMeanSampleStdMinMax() {
        Spread s = Spread.of(new double[] {1, 2, 4});
        assertEquals(3, s.n());
        assertEquals(7.0 / 3, s.mean(), TOL);
        assertEquals(Math.sqrt(7.0 / 3), s.std(), TOL, "sample std: sum of squares 14/3 over n - 1 = 2");
        assertEquals(1, s.min());
        assertEquals(4, s.max());
        assertEquals(4.302653 * Math.sqrt(7.0 / 3) / Math.sqrt(3), s.halfWidth95(), TOL);

        Spread one = Spread.of(new double[] {5});
        assertEquals(5, one.mean());
        assertTrue(Double.isNaN(one.std()) && Double.isNaN(one.halfWidth95()), "one seed has no spread");
        assertTrue(Double.isNaN(Spread.of(new double[0]).mean()));
    }

    @Test
    void studentQuantilesMatchTables() {
        assertEquals(12.706205, Statistics.tQuantile975(1), TOL);
        assertEquals(4.302653, Statistics.tQuantile975(2), TOL);
        assertEquals(2.228139, Statistics.tQuantile975(10), TOL);
        assertEquals(1.962339, Statistics.tQuantile975(1000), TOL);
    }

    @Test
    void pairedDifferenceHasAStudentTInterval() {
        // d = {2, 3, 0}: mean 5/3, sd sqrt(7/3), standard error sd / sqrt(3) = 0.881917, t(2) = 4.302653: half-width 3.794583.
        Difference d = Difference.paired(new double[] {3, 5, 4}, new double[] {1, 2, 4});
        assertEquals(3, d.pairs());
        assertEquals(5.0 / 3, d.mean(), TOL);
        assertEquals(5.0 / 3 - 3.794583, d.low(), TOL);
        assertEquals(5.0 / 3 + 3.794583, d.high(), TOL);
        assertFalse(d.excludesZero());
        assertTrue(Difference.paired(new double[] {3, 4, 5}, new double[] {1, 2, 3.1}).excludesZero(), "constant-ish gap of 2");

        Difference single = Difference.paired(new double[] {2}, new double[] {1});
        assertEquals(1, single.mean());
        assertTrue(Double.isNaN(single.low()) && Double.isNaN(single.high()), "one pair has no interval");
    }
}
