package tt.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Learning-rate schedules against their formulas at sample steps, step 0 and the turning points (relative 1e-12). */
class ScheduleTest {
    private static final double TOLERANCE = 1e-12;

    @Test
    void noamIsThePapersFormulaWithStepZeroReadAsOne() {
        int d = 512, warmup = 4000;
        double factor = 2;
        Schedule s = new Schedule.Noam(d, warmup, factor);
        for (int step : new int[] {1, 2, 100, 3999, 4000, 4001, 10_000, 1_000_000}) {
            double expected = factor / Math.sqrt(d) * Math.min(1 / Math.sqrt(step), step / (warmup * Math.sqrt(warmup)));
            assertClose(expected, s.lr(step), "noam step " + step);
        }
        assertClose(s.lr(1), s.lr(0), "noam step 0");
        double peak = factor / Math.sqrt(d) / Math.sqrt(warmup);
        assertClose(peak, s.lr(warmup), "noam peak at warmup");
        assertTrue(s.lr(warmup - 1) < peak && s.lr(warmup + 1) < peak, "noam rises to warmup and decays after");
        assertClose(factor / Math.sqrt(d) * 200 / Math.pow(warmup, 1.5), s.lr(200), "noam is linear during warmup");
    }

    @Test
    void cosineWarmupRisesLinearlyThenDecaysToZeroAtTotal() {
        double peak = 3e-4;
        int warmup = 100, total = 1100;
        Schedule s = new Schedule.CosineWarmup(peak, warmup, total);
        assertEquals(0, s.lr(0), "cosine lr(0)");
        assertClose(peak * 0.25, s.lr(25), "cosine during warmup");
        assertClose(peak, s.lr(warmup), "cosine peak at warmup");
        assertClose(peak * 0.5 * (1 + Math.cos(Math.PI * 0.25)), s.lr(warmup + 250), "cosine a quarter into the decay");
        assertClose(peak * 0.5, s.lr(warmup + 500), "cosine half way");
        assertEquals(0, s.lr(total), 1e-12 * peak, "cosine lr(total)");
        assertEquals(0, s.lr(total + 500), 1e-12 * peak, "cosine after total");
        double previous = peak;
        for (int step = warmup + 1; step <= total; step++) {
            assertTrue(s.lr(step) <= previous, "cosine decays monotonically, step " + step);
            previous = s.lr(step);
        }
    }

    @Test
    void constantIsConstant() {
        Schedule s = new Schedule.Constant(5e-4);
        for (int step : new int[] {0, 1, 7, 100_000}) assertEquals(5e-4, s.lr(step));
    }

    @Test
    void parseNamesTheSchedulesAndRejectsOthersByName() {
        assertInstanceOf(Schedule.Noam.class, Schedule.parse("Noam", 1, 10, 100, 16));
        assertInstanceOf(Schedule.CosineWarmup.class, Schedule.parse("cosine-warmup", 1e-3, 10, 100, 16));
        assertInstanceOf(Schedule.Constant.class, Schedule.parse("constant", 1e-3, 10, 100, 16));
        var e = assertThrows(IllegalArgumentException.class, () -> Schedule.parse("linear", 1e-3, 10, 100, 16));
        assertTrue(e.getMessage().contains("'linear'"), e.getMessage());
    }

    private static void assertClose(double expected, double actual, String what) {
        assertEquals(expected, actual, TOLERANCE * Math.abs(expected), what);
    }
}
