package tt.model.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import tt.model.text.Tokenizer;

/**
 * What a model learns from a corpus of pairs, and how each pair becomes a training example for
 * its architecture's {@link Batch.Layout}:
 * <ul>
 *   <li>{@link #TRANSLATE}: the target given the source (an encoder-decoder; or a decoder-only
 *       model reading the source as its prompt);</li>
 *   <li>{@link #TAG}: one target token per source token (an encoder-only model; the synthetic
 *       tasks' reversal predicted position by position);</li>
 *   <li>{@link #LM}: the target side alone as a causal language model (decoder-only);</li>
 *   <li>{@link #MLM}: the target side alone with BERT's masked tokens (encoder-only): 15% of the
 *       positions are chosen, and of those 80% become the mask token, 10% a random token and 10%
 *       stay; only the chosen positions are predicted.</li>
 * </ul>
 */
public enum Objective {
    TRANSLATE, TAG, LM, MLM;

    /** BERT's rates: positions chosen for prediction, and of those the share masked and the share replaced by a random token. */
    public static final double MLM_CHOSEN = 0.15, MLM_MASKED = 0.8, MLM_RANDOM = 0.1;

    /** As the command line writes it. */
    public String label() { return name().toLowerCase(Locale.ROOT); }

    public static Objective parse(String label) {
        for (Objective o : values()) if (o.label().equals(label)) return o;
        throw new IllegalArgumentException(label + " is not an objective; use translate, tag, lm or mlm");
    }

    /** Whether outputs are decoded and scored against references (BLEU, exact match); LM and MLM are scored by NLL and accuracy alone. */
    public boolean decodes() { return this == TRANSLATE || this == TAG; }

    /** Token ids the model needs past the tokenizer's: the mask token, for MLM. */
    public int extraTokens() { return this == MLM ? 1 : 0; }

    /**
     * The examples of these pairs under this objective. {@code vocab} is the tokenizer's size (the
     * mask token is id {@code vocab}); MLM draws its masks from {@code seed} and each pair's id, so
     * every epoch and every run with the same seed sees the same masks.
     */
    public List<EncodedPair> examples(List<EncodedPair> pairs, int vocab, long seed) {
        return switch (this) {
            case TRANSLATE, TAG -> pairs;
            case LM -> pairs.stream().map(p -> new EncodedPair(p.id(), new int[0], p.target())).toList();
            case MLM -> {
                List<EncodedPair> masked = new ArrayList<>(pairs.size());
                for (EncodedPair p : pairs) masked.add(mask(p, vocab, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + p.id())));
                yield masked;
            }
        };
    }

    private static EncodedPair mask(EncodedPair p, int vocab, SplittableRandom random) {
        int[] tokens = p.target(), input = tokens.clone(), predict = new int[tokens.length];  // 0 = <pad>: nothing to predict
        boolean any = false;
        for (int i = 0; i < tokens.length; i++) {
            if (random.nextDouble() >= MLM_CHOSEN) continue;
            any = true;
            predict[i] = tokens[i];
            double u = random.nextDouble();
            if (u < MLM_MASKED) input[i] = vocab;
            else if (u < MLM_MASKED + MLM_RANDOM) input[i] = random.nextInt(Tokenizer.SPECIALS.size(), vocab);
        }
        if (!any && tokens.length > 0) {  // a sentence with nothing to predict would teach nothing: choose one position
            int i = random.nextInt(tokens.length);
            predict[i] = tokens[i];
            input[i] = vocab;
        }
        return new EncodedPair(p.id(), input, predict);
    }
}
