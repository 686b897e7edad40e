package tt.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parameter initialisation by role, on a model large enough for the statistics (d_model 64,
 * untied vocabularies so every kind of matrix exists). Sample means and variances must lie within
 * 4 standard errors of the distribution's (a fixed seed makes the test deterministic; 4 sigma
 * keeps it valid for any seed).
 */
class InitTest {
    private static final TransformerConfig BASE = TransformerConfig.paper(2, 64, 4, 128, 0.1f, 200).toBuilder()
            .vocab(200, 150).tieEmbeddings(false).build();

    /**
     * Layer norms 1 and 0; biases U(+-1/sqrt(fan_in)) under both; matrices xavier_uniform
     * U(+-sqrt(6 / (fan_in + fan_out))), or under DEFAULT embeddings N(0, 1) and the rest U(+-1/sqrt(fan_in)).
     */
    @ParameterizedTest
    @EnumSource(TransformerConfig.Init.class)
    void everyParameterIsDrawnAsItsRoleSays(TransformerConfig.Init init) {
        List<Tensor> params = initialized(init, 1);
        Map<String, Tensor> byName = new HashMap<>();
        for (Tensor t : params) byName.put(t.name(), t);
        int normals = 0;
        for (Tensor t : params) {
            int[] shape = t.shape();
            if (t.name().matches(".*norm\\d?\\.(weight|bias)")) {
                float expected = t.name().endsWith("weight") ? 1f : 0f;
                for (double v : values(t)) assertEquals(expected, v, 0, t.name());
            } else if (shape.length == 1) {
                assertUniform(t, 1 / Math.sqrt(byName.get(t.name().replaceFirst("bias$", "weight")).shape()[1]));
            } else if (init == TransformerConfig.Init.XAVIER_UNIFORM) {
                assertUniform(t, Math.sqrt(6.0 / (shape[0] + shape[1])));
            } else if (t.name().endsWith("_embed.weight")) {
                assertStandardNormal(t);
                normals++;
            } else {
                assertUniform(t, 1 / Math.sqrt(shape[1]));
            }
        }
        assertEquals(init == TransformerConfig.Init.DEFAULT ? 2 : 0, normals, "embeddings drawn from N(0, 1)");
    }

    @Test
    void theSeedDecidesEveryParameter() {
        for (TransformerConfig.Init init : TransformerConfig.Init.values()) {
            float[] a = all(initialized(init, 42)), b = all(initialized(init, 42)), c = all(initialized(init, 43));
            assertArrayEquals(a, b, init + ": same seed, same parameters");
            int same = 0;
            for (int i = 0; i < a.length; i++) if (a[i] == c[i] && a[i] != 0f && a[i] != 1f) same++;
            assertTrue(same < a.length / 1000, init + ": " + same + " random entries equal under another seed");
        }
    }

    /**
     * Every entry inside [-bound, bound], mean 0 and variance bound^2 / 3 within 4 standard errors
     * (for U(-b, b): sd of x is b / sqrt(3), sd of x^2 is b^2 sqrt(4/45)).
     */
    private static void assertUniform(Tensor t, double bound) {
        double[] v = values(t);
        for (double x : v) assertTrue(Math.abs(x) <= bound, t.name() + ": " + x + " outside +-" + bound);
        double mean = Arrays.stream(v).average().orElseThrow(), meanSquare = Arrays.stream(v).map(x -> x * x).average().orElseThrow();
        assertEquals(0, mean, 4 * bound / Math.sqrt(3.0 * v.length), t.name() + " mean");
        assertEquals(bound * bound / 3, meanSquare, 4 * bound * bound * Math.sqrt(4.0 / 45 / v.length), t.name() + " variance");
    }

    /** Mean 0 and variance 1 within 4 standard errors (1 / sqrt(n) and sqrt(2 / n)). */
    private static void assertStandardNormal(Tensor t) {
        double[] v = values(t);
        double mean = Arrays.stream(v).average().orElseThrow();
        double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).average().orElseThrow();
        assertEquals(0, mean, 4 / Math.sqrt(v.length), t.name() + " mean of N(0, 1)");
        assertEquals(1, var, 4 * Math.sqrt(2.0 / v.length), t.name() + " variance of N(0, 1)");
    }

    private static List<Tensor> initialized(TransformerConfig.Init init, long seed) {
        Transformer m = Transformer.create(BASE.toBuilder().init(init).build(), new BatchLimits(64, 4, 16), AdamConfig.paper(), 1);
        Init.initialize(m.parameters(), init, seed);
        return m.parameters();
    }

    private static double[] values(Tensor t) {
        double[] v = new double[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = t.value().get(i);
        return v;
    }

    private static float[] all(List<Tensor> params) {
        return params.getFirst().value().root().toArray();
    }
}
