package tt.model.eval;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * sacreBLEU 2.x's paired bootstrap resampling test ({@code sacrebleu REF -i BASELINE SYSTEM --paired-bs}, after Moses'
 * bootstrap-hypothesis-difference-significance.pl) with the default BLEU, reproducing sacreBLEU's arithmetic: the same
 * resamples ({@link NumpyRandom}), the same float32 precisions in resampled scores ({@link Bleu#resampledScore}) and
 * numpy's pairwise summation in the means. Only Java's Math.exp/log can differ from the C library's, in the last bit
 * of a few resampled scores: that can move a mean by an ulp, and a p-value only on an exact tie.
 */
public final class PairedBootstrap {
    public static final int SAMPLES = 1000;
    public static final long SEED = 12345;

    private PairedBootstrap() {}

    /**
     * Baseline and system corpus BLEU on the full set, p-value, system's bootstrap mean and 95% CI half-width
     * (sacreBLEU's "mu = m +- ci"), and the same two for the baseline: sacreBLEU draws the baseline's resamples from
     * the same seed, so they are the system's resamples.
     */
    public record Result(double baselineScore, double systemScore, double pValue, double systemMean, double systemCi,
                         double baselineMean, double baselineCi) {}

    /** sacreBLEU --paired-bs for one baseline and one system against one reference stream. */
    public static Result test(List<String> baseline, List<String> system, List<String> references, int samples,
                              long seed) {
        return testSeeds(List.of(baseline), List.of(system), references, samples, seed);
    }

    /**
     * Several training seeds of each: the statistic is the mean over seeds of (system_s - baseline_s) BLEU, every seed
     * resampled with the same sentence indices; baselines.get(i) pairs with systems.get(i). With one seed this is
     * exactly sacreBLEU's test. Scores in the Result are means over seeds. (Not an overload of test: both erase to
     * test(List, List, List, int, long).)
     */
    public static Result testSeeds(List<List<String>> baselines, List<List<String>> systems, List<String> references,
                                   int samples, long seed) {
        if (baselines.isEmpty() || baselines.size() != systems.size()) {
            throw new IllegalArgumentException(baselines.size() + " baselines for " + systems.size() + " systems");
        }
        if (references.isEmpty() || samples < 1) throw new IllegalArgumentException("nothing to resample");
        int seeds = baselines.size(), n = references.size();
        List<long[][]> bl = baselines.stream().map(hyps -> segmentStats(hyps, references)).toList();
        List<long[][]> sys = systems.stream().map(hyps -> segmentStats(hyps, references)).toList();

        // Seeds are averaged in order from 0.0, so with one seed every mean is that seed's value unchanged.
        int[] all = IntStream.range(0, n).toArray();
        double blScore = 0, sysScore = 0, delta = 0;
        for (int s = 0; s < seeds; s++) {
            double b = Bleu.fromStats(sum(bl.get(s), all)).score(), y = Bleu.fromStats(sum(sys.get(s), all)).score();
            blScore += b;
            sysScore += y;
            delta += y - b;
        }
        double diff = Math.abs(delta / seeds);

        int[][] idxs = new NumpyRandom(seed).choice(n, samples, n);
        double[] blScores = new double[samples], sysScores = new double[samples], sampleDiffs = new double[samples];
        for (int r = 0; r < samples; r++) {
            double b = 0, y = 0, d = 0;
            for (int s = 0; s < seeds; s++) {
                double bs = Bleu.resampledScore(sum(bl.get(s), idxs[r]));
                double ys = Bleu.resampledScore(sum(sys.get(s), idxs[r]));
                b += bs;
                y += ys;
                d += ys - bs;
            }
            blScores[r] = b / seeds;
            sysScores[r] = y / seeds;
            sampleDiffs[r] = Math.abs(d / seeds);
        }
        // The bootstrap distribution is shifted to mean 0 (the null hypothesis); p counts resampled differences that
        // exceed the real one strictly, plus one. Identical systems thus get p = 1 / (samples + 1), as in sacreBLEU.
        double meanDiff = mean(sampleDiffs);
        long exceed = Arrays.stream(sampleDiffs).filter(x -> x - meanDiff > diff).count();
        Estimate sysEstimate = estimate(sysScores), blEstimate = estimate(blScores);
        return new Result(blScore / seeds, sysScore / seeds, (exceed + 1.0) / (samples + 1),
                sysEstimate.mean, sysEstimate.ci, blEstimate.mean, blEstimate.ci);
    }

    private static long[][] segmentStats(List<String> hypotheses, List<String> references) {
        NGrams.checkCorpus(hypotheses, List.of(references));
        return IntStream.range(0, hypotheses.size())
                .mapToObj(i -> Bleu.segmentStats(hypotheses.get(i), List.of(references.get(i))))
                .toArray(long[][]::new);
    }

    /** The statistics of the given segments added up; a segment drawn twice counts twice. */
    private static long[] sum(long[][] segments, int[] rows) {
        long[] total = new long[segments[0].length];
        for (int i : rows) {
            for (int k = 0; k < total.length; k++) total[k] += segments[i][k];
        }
        return total;
    }

    private record Estimate(double mean, double ci) {}

    /** sacreBLEU's estimate_ci: the mean of the sorted scores and half the width of their central 95%. */
    private static Estimate estimate(double[] scores) {
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        int lower = sorted.length / 40, upper = sorted.length - lower - 1;
        return new Estimate(mean(sorted), 0.5 * (sorted[upper] - sorted[lower]));
    }

    /** ndarray.mean() of float64: numpy's pairwise summation, whose rounding depends on the order, then a division. */
    private static double mean(double[] values) {
        return pairwiseSum(values, 0, values.length) / values.length;
    }

    /** numpy's pairwise_sum (numpy/_core/src/umath/loops_utils.h.src): 8 accumulators in blocks of up to 128. */
    private static double pairwiseSum(double[] a, int from, int n) {
        if (n < 8) {
            double sum = -0.0;  // numpy's start, so that a sum of -0.0 stays -0.0
            for (int i = 0; i < n; i++) sum += a[from + i];
            return sum;
        }
        if (n <= 128) {
            double[] r = Arrays.copyOfRange(a, from, from + 8);
            int i = 8;
            for (; i < n - n % 8; i += 8) {
                for (int j = 0; j < 8; j++) r[j] += a[from + i + j];
            }
            double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) sum += a[from + i];
            return sum;
        }
        int half = n / 2;
        half -= half % 8;
        return pairwiseSum(a, from, half) + pairwiseSum(a, from + half, n - half);
    }
}
