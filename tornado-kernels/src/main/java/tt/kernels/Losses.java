package tt.kernels;

/**
 * The arithmetic of the label-smoothed loss that every backend shares: the smoothed target's
 * off-target probability and the reduction's normalizer. Static methods over ints and floats only,
 * so TornadoVM compiles them into device kernels as they are.
 */
public final class Losses {
    /** Reduction codes, as {@link Kernel.Reduction#code()} gives them to device kernels. */
    public static final int SUM = 0, MEAN = 1, BATCHMEAN = 2, TOKEN = 3;

    private Losses() {}

    /** Probability the smoothed target gives each token that is neither the target nor pad. */
    public static float offTargetProbability(int vocab, float epsilon) {
        return vocab > 2 ? epsilon / (vocab - 2) : 0f;
    }

    /**
     * The label-smoothed target's probability of class {@code c} for a row whose target is
     * {@code target}: 1 - epsilon on the target, 0 on pad (and everywhere in a pad row), the rest
     * spread evenly. The definition the loss kernels implement and `tt plot smoothing` draws.
     */
    public static float targetProbability(int c, int target, int padId, int vocab, float epsilon) {
        if (target == padId || c == padId) return 0f;
        return c == target ? 1f - epsilon : offTargetProbability(vocab, epsilon);
    }

    /** What a summed loss is divided by under reduction {@code code}, given the live rows, vocabulary, sentences and non-pad tokens. */
    public static float normalizer(int code, int rows, int vocab, int sentences, float tokens) {
        if (code == MEAN) return (float) rows * vocab;
        if (code == BATCHMEAN) return sentences > 1 ? sentences : 1f;
        if (code == TOKEN) return tokens > 1f ? tokens : 1f;
        return 1f;
    }
}
