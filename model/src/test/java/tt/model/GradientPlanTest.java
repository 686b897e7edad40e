package tt.model;

import org.junit.jupiter.api.Test;
import tt.kernels.Buf;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The activation gradients' shared storage: smaller, never shared by two live gradients, each zeroed
 * before its first call or overwritten by it.
 */
class GradientPlanTest {

    @Test
    void liveGradientsNeverShareStorageAndEachIsZeroedOrOverwrittenByItsFirstCall() {
        for (TransformerConfig.NormPlacement norm : TransformerConfig.NormPlacement.values()) {
            TransformerConfig c = TransformerConfig.preset("tiny", 40).toBuilder().layers(2).dModel(32).heads(2).dFF(64).norm(norm).build();
            Transformer model = Transformer.create(c, new BatchLimits(128, 16, 16), AdamConfig.paper(), 1);
            List<FloatBuf> gradients = model.buffers.actGrads.handedOut();
            long unshared = gradients.stream().mapToLong(Buf::length).sum();
            int arena = model.buffers.actGrads.root().length();
            assertTrue(arena < unshared / 2, norm + ": planned " + arena + " floats, unshared " + unshared);

            // Each gradient's life in the step as built (zeroing calls included), and its storage.
            Map<FloatBuf, int[]> life = new HashMap<>();
            Map<FloatBuf, Integer> zeroedAt = new HashMap<>();
            int overwritten = 0;
            StepGraph step = model.trainStep;
            java.util.Set<Buf> named = new java.util.HashSet<>(gradients);
            for (StepGraph.Call call : step.calls()) {
                for (StepGraph.Use use : step.uses(call)) {
                    for (FloatBuf g : gradients) {
                        // A use of g, or of a slice of it (not of another gradient in the same storage).
                        if (use.buffer() instanceof FloatBuf b && (b == g || !named.contains(b) && b.overlaps(g))) {
                            if ((call.kernel() instanceof Kernel.Fill || overwrites(call.kernel(), g)) && b == g) {
                                zeroedAt.putIfAbsent(g, call.index());
                            }
                            life.computeIfAbsent(g, k -> new int[] {call.index(), call.index()})[1] = call.index();
                        }
                    }
                }
            }
            for (FloatBuf g : gradients) {
                int[] span = life.get(g);
                if (span == null) continue;
                if (!zeroedAt.containsKey(g) || zeroedAt.get(g) != span[0]) {
                    fail(norm + ": " + g.name() + " is neither zeroed before its first call nor overwritten by it");
                }
                if (overwrites(step.calls().get(span[0]).kernel(), g)) overwritten++;
            }
            List<FloatBuf> used = new ArrayList<>(life.keySet());
            for (FloatBuf a : used) {
                for (FloatBuf b : used) {
                    if (a == b || !a.overlaps(b)) continue;
                    int[] x = life.get(a), y = life.get(b);
                    // Sharing storage, a gradient's uses must end before the other's zeroing (which its first use is).
                    if (!(x[1] < y[0] || y[1] < x[0])) fail(norm + ": " + a.name() + " and " + b.name() + " share storage while both live");
                }
            }
            assertEquals(unshared > 0, !used.isEmpty());
            // Every gradient's first call can overwrite it (GEMM, head transpose, dropout, ReLU, axpy, layer norm and
            // softmax backward): the step zeroes nothing.
            assertTrue(overwritten == used.size(), norm + ": only " + overwritten + " of " + used.size() + " gradients are overwritten");
        }
    }

    /** Whether a call writes all of g without reading it: the overwriting forms of the accumulating kernels. */
    private static boolean overwrites(Kernel k, FloatBuf g) {
        return switch (k) {
            case Kernel.Gemm m -> m.beta() == 0f && m.c() == g;
            case Kernel.HeadTranspose t -> !t.accumulate() && t.out() == g;
            case Kernel.Dropout d -> d.y() == g;
            case Kernel.ReluBackward r -> !r.accumulate() && r.dx() == g;
            case Kernel.Axpy x -> !x.accumulate() && x.y() == g;
            case Kernel.LayerNormBackward n -> !n.accumulate() && n.dx() == g;
            case Kernel.SoftmaxBackward s -> !s.accumulate() && s.dScores() == g;
            default -> false;
        };
    }
}
