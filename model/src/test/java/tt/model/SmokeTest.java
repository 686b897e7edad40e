package tt.model;

import org.junit.jupiter.api.Test;
import tt.kernels.jvm.JvmBackend;

import java.util.SplittableRandom;

class SmokeTest {
    @Test
    void lossFalls() {
        TransformerConfig c = TransformerConfig.preset("tiny", 20).toBuilder().dropout(0f).build();
        Transformer m = Transformer.create(c, new BatchLimits(256, 16, 16), AdamConfig.paper(), 1);
        try (JvmBackend be = new JvmBackend(2)) {
            Trainer t = new Trainer(m, be, new Schedule.Constant(1e-3));
            t.initialize(1);
            SplittableRandom r = new SplittableRandom(3);
            int[][] src = new int[8][], tgt = new int[8][];
            for (int i = 0; i < 8; i++) {
                src[i] = r.ints(5 + i % 3, 4, 20).toArray();
                tgt[i] = r.ints(4 + i % 4, 4, 20).toArray();
            }
            Batch b = Batch.of(src, tgt);
            for (int s = 0; s < 200; s++) {
                var res = t.step(b);
                if (s % 20 == 0) System.out.println(res);
            }
        }
    }
}
