package tt.model;

import java.util.Locale;

/**
 * How beam search ranks finished hypotheses of different lengths: log P(y) / penalty(|y|), |y|
 * counting &lt;/s&gt;. {@link Form#GNMT} is Wu et al. (2016)'s ((5 + |y|) / 6)^alpha, which the paper
 * used with alpha 0.6; {@link Form#POWER} is |y|^alpha, fairseq's --lenpen and Hugging Face's
 * length_penalty (alpha 1 ranks by the mean log-probability per token, OpenNMT's "avg"). Both grow
 * with the length for alpha &gt; 0, so dividing a negative log-probability by them favours longer
 * outputs; GNMT's grows far more slowly.
 */
public record LengthPenalty(Form form, double alpha) {
    public enum Form { GNMT, POWER }

    /** The defaults of every command's --length-norm and --length-penalty (fairseq's --lenpen 1), as option text. */
    public static final String DEFAULT_FORM = "power", DEFAULT_ALPHA = "1.0";

    /** No normalisation: hypotheses ranked by log P alone (what greedy search amounts to). */
    public static final LengthPenalty NONE = new LengthPenalty(Form.POWER, 0);

    /** The penalty a search of width {@code beam} uses: greedy search (width 1) compares nothing, so it has none. */
    public static LengthPenalty forBeam(int beam, Form form, double alpha) { return beam > 1 ? new LengthPenalty(form, alpha) : NONE; }

    public LengthPenalty {
        if (!(alpha >= 0) || !Double.isFinite(alpha)) throw new IllegalArgumentException("length penalty alpha must be 0 or more, got " + alpha);
    }

    double of(int length) {
        return form == Form.GNMT ? Math.pow((5.0 + length) / 6.0, alpha) : Math.pow(length, alpha);
    }

    @Override public String toString() { return form.name().toLowerCase(Locale.ROOT) + " " + alpha; }
}
