package tt.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Parameter initialisation, seeded and reproducible (parameters are filled in layout order from
 * one generator). By parameter role, read from its torch-style name:
 * <ul>
 *   <li>layer norm weight 1, bias 0;</li>
 *   <li>matrices (linear weights, in_proj_weight, embeddings, generator): xavier_uniform
 *       U(+-sqrt(6 / (fan_in + fan_out))) under XAVIER_UNIFORM; under DEFAULT what torch's modules do
 *       by default: nn.Linear's kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)), nn.Embedding N(0, 1).
 *       The attention projections count as nn.Linear, as in implementations that build attention
 *       from nn.Linear (hkproj, gordicaleksa), not nn.MultiheadAttention (xavier weights, zero biases);</li>
 *   <li>biases: nn.Linear's default U(+-1/sqrt(fan_in)) under both.</li>
 * </ul>
 */
public final class Init {
    private Init() {}

    public static void initialize(List<Tensor> parameters, TransformerConfig.Init init, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> byName = new HashMap<>();
        for (Tensor t : parameters) byName.put(t.name(), t);
        for (Tensor t : parameters) {
            String name = t.name();
            int[] shape = t.shape();
            if (name.matches(".*norm\\d?\\.weight")) {
                t.value().fill(1f);
            } else if (name.matches(".*norm\\d?\\.bias")) {
                t.value().fill(0f);
            } else if (shape.length == 1) {
                Tensor weight = byName.get(name.endsWith("in_proj_bias") ? name.replace("in_proj_bias", "in_proj_weight")
                        : name.substring(0, name.length() - "bias".length()) + "weight");
                uniform(t, 1.0 / Math.sqrt(weight.shape()[1]), rnd);
            } else if (init == TransformerConfig.Init.XAVIER_UNIFORM) {
                uniform(t, Math.sqrt(6.0 / (shape[0] + shape[1])), rnd);
            } else if (name.endsWith("_embed.weight")) {
                for (int i = 0; i < t.size(); i++) t.value().set(i, (float) rnd.nextGaussian());
            } else {
                uniform(t, 1.0 / Math.sqrt(shape[1]), rnd);
            }
        }
    }

    private static void uniform(Tensor t, double bound, SplittableRandom rnd) {
        for (int i = 0; i < t.size(); i++) t.value().set(i, (float) rnd.nextDouble(-bound, bound));
    }
}
