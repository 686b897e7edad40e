package tt.experiments;

import org.apache.commons.math3.distribution.TDistribution;

import java.util.Arrays;

/** What several training seeds of a variant say: spread, and the difference to the baseline with its confidence interval. */
final class Statistics {
    private Statistics() {}

    /** Count, mean, sample standard deviation (n - 1; NaN for one value), min and max; all NaN for none. */
    record Spread(int n, double mean, double std, double min, double max) {
        static Spread of(double[] xs) {
            int n = xs.length;
            if (n == 0) return new Spread(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            double mean = Arrays.stream(xs).sum() / n;
            double squares = Arrays.stream(xs).map(x -> (x - mean) * (x - mean)).sum();
            return new Spread(n, mean, n > 1 ? Math.sqrt(squares / (n - 1)) : Double.NaN,
                    Arrays.stream(xs).min().orElseThrow(), Arrays.stream(xs).max().orElseThrow());
        }

        /** "mean ± std" with {@code decimals} decimals, the mean alone for one value. */
        String meanStd(int decimals) {
            String f = "%." + decimals + "f";
            return String.format(java.util.Locale.ROOT, f, mean) + (n > 1 ? " ± " + String.format(java.util.Locale.ROOT, f, std) : "");
        }

        /** Half-width of the 95% Student t interval of the mean; NaN below two values. */
        double halfWidth95() { return n > 1 ? tQuantile975(n - 1) * std / Math.sqrt(n) : Double.NaN; }
    }

    /**
     * The mean of paired differences a[i] - b[i] (the same seed trained as variant and as baseline)
     * and its 95% Student t interval with pairs - 1 degrees of freedom; NaN bounds below two pairs.
     */
    record Difference(int pairs, double mean, double low, double high) {
        /** The baseline against itself: nothing to say. */
        static final Difference NONE = new Difference(0, Double.NaN, Double.NaN, Double.NaN);

        static Difference paired(double[] a, double[] b) {
            if (a.length != b.length) throw new IllegalArgumentException("paired samples of sizes " + a.length + " and " + b.length);
            double[] d = new double[a.length];
            for (int i = 0; i < d.length; i++) d[i] = a[i] - b[i];
            Spread s = Spread.of(d);
            double h = s.halfWidth95();
            return new Difference(s.n(), s.mean(), s.mean() - h, s.mean() + h);
        }

        /** The interval lies wholly above or below zero: a difference beyond the seed spread. */
        boolean excludesZero() { return low > 0 || high < 0; }
    }

    /** The 97.5th percentile of Student's t with {@code df} degrees of freedom (12.706 for 1, 4.303 for 2, 1.96 as df grows). */
    static double tQuantile975(int df) { return new TDistribution(null, df).inverseCumulativeProbability(0.975); }
}
