package tt.model;

import org.junit.jupiter.api.Test;
import tt.kernels.Backend;
import tt.kernels.jvm.JvmBackend;
import tt.kernels.tornado.TornadoBackend;

import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding one position at a time on TornadoVM against the JVM backend, on the same parameters and
 * the same tokens: encode, six decode steps with a beam reordering after the third, pre- and
 * post-LN, without token reduction and with pruning and merging after the first layer (the same
 * tokens chosen from each backend's own attention and keys). Every step's log-probabilities must agree.
 */
class DecodingTornadoTest {
    /** Log-probabilities after two layers, |tornado - jvm| / max(1, |jvm|). */
    static final double TOLERANCE = 1e-5;

    private static final TokenReduction[] REDUCTIONS = {null, new TokenReduction(TokenReduction.Method.PRUNE, 1, 0.6),
            new TokenReduction(TokenReduction.Method.MERGE, 1, 0.6)};

    @Test
    void decodeStepsAndBeamReorderingMatchTheJvmBackend() {
        for (TransformerConfig.NormPlacement norm : TransformerConfig.NormPlacement.values()) for (TokenReduction reduction : REDUCTIONS) {
            TransformerConfig c = TransformerConfig.preset("tiny", 24).toBuilder().layers(2).dModel(32).heads(2).dFF(64).maxLen(16)
                    .norm(norm).build();
            BatchLimits limits = new BatchLimits(64, 8, 12);
            Transformer onJvm = Transformer.create(c, limits, null, 0, reduction), onTornado = Transformer.create(c, limits, null, 0, reduction);
            Init.initialize(onJvm.parameters(), c.init(), 7);
            Init.initialize(onTornado.parameters(), c.init(), 7);
            SplittableRandom rnd = new SplittableRandom(3);
            int rows = 4, positions = 6;
            int[][] sources = new int[rows][];
            for (int r = 0; r < rows; r++) {
                sources[r] = rnd.ints(2 + 2 * r, 4, 24).toArray();
                sources[r][sources[r].length - 1] = TransformerConfig.EOS;
            }
            int[][] tokens = new int[positions][];
            for (int t = 0; t < positions; t++) tokens[t] = t == 0 ? new int[] {1, 1, 1, 1} : rnd.ints(rows, 4, 24).toArray();
            int[] parents = {1, 0, 0, 3};
            try (Backend jvm = new JvmBackend(2); TornadoBackend tornado = new TornadoBackend("0:0")) {
                Run expected = new Run(onJvm, jvm, sources, positions), actual = new Run(onTornado, tornado, sources, positions);
                for (int i = 0; i < onJvm.inputs.tokenDest().length(); i++) {
                    assertEquals(onJvm.inputs.tokenDest().get(i), onTornado.inputs.tokenDest().get(i), reduction + ": token " + i + "'s slot");
                }
                double worst = 0;
                for (int t = 0; t < positions; t++) {
                    if (t == 3) {
                        expected.reorder(parents);
                        actual.reorder(parents);
                    }
                    float[] e = expected.step(t, tokens[t]), a = actual.step(t, tokens[t]);
                    for (int i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]) / Math.max(1, Math.abs(e[i])));
                }
                System.out.printf(Locale.ROOT, "%s, %s: %d decode steps on %s, worst log-probability error %.2e (tolerance %.0e)%n",
                        norm, reduction == null ? "all tokens" : reduction, positions, tornado.device(), worst, TOLERANCE);
                assertTrue(worst <= TOLERANCE, norm + ", " + reduction + ": worst error " + worst + " > " + TOLERANCE);
            }
        }
    }

    /** One backend's decoding graphs over one model. */
    private static final class Run {
        final Transformer model;
        final Backend backend;
        final Backend.Executable step, reorder;

        Run(Transformer model, Backend backend, int[][] sources, int positions) {
            this.model = model;
            this.backend = backend;
            backend.upload(model.parameterRoot());
            // Every graph compiled before the first run: a graph compiled later would upload the host's buffers over the device's.
            Backend.Executable encode = backend.compile(model.encode);
            Backend.Executable encodeReduced = model.encodeReduced != null ? backend.compile(model.encodeReduced) : null;
            step = backend.compile(model.decodeStep);
            reorder = backend.compile(model.reorderBeams);
            model.startDecoding(sources, positions);
            encode.run();
            if (encodeReduced != null) {
                backend.download(model.reductionEvidence());
                model.reduceTokens();
                encodeReduced.run();
            }
        }

        float[] step(int position, int[] tokens) {
            model.setDecodePosition(position, tokens);
            step.run();
            backend.download(model.logProbs());
            float[] out = new float[tokens.length * model.config.tgtVocab()];
            for (int i = 0; i < out.length; i++) out[i] = model.logProbs().get(i);
            return out;
        }

        void reorder(int[] parents) {
            model.setBeamParents(parents);
            reorder.run();
        }
    }
}
