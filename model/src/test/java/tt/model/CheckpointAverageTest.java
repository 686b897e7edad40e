package tt.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tt.kernels.jvm.JvmBackend;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;
import tt.model.io.Safetensors;
import tt.model.io.Tensor;
import tt.model.text.WordTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoint.average: fairseq's average_checkpoints.py on our checkpoint directories. */
class CheckpointAverageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Saves checkpoints after 1, 2 and 3 updates of a small model, keeping all three; returns them oldest first. */
    private static List<Path> threeCheckpoints(Path checkpoints, int dModel) throws IOException {
        TransformerConfig c = TransformerConfig.preset("tiny", 24).toBuilder().layers(1).dModel(dModel).heads(2).dFF(64).build();
        Transformer model = Transformer.create(c, new BatchLimits(256, 32, 16), AdamConfig.paper(), 3);
        var tokenizer = WordTokenizer.train(List.of("a b c", "c d e"), 1, 24);
        Batch batch = Batch.of(List.of(new EncodedPair(0, new int[] {4, 5, 6}, new int[] {6, 5, 4})));
        try (JvmBackend backend = new JvmBackend(2)) {
            Trainer trainer = new Trainer(model, backend, new Schedule.Constant(1e-2));
            trainer.initialize(3);
            for (int i = 0; i < 3; i++) {
                trainer.step(batch);
                Checkpoint.save(checkpoints, 3, trainer, tokenizer, new Checkpoint.Position(0, i, 0, JSON.createObjectNode()),
                        JSON.createObjectNode().put("preset", "tiny"));
            }
        }
        return Checkpoint.steps(checkpoints).reversed();
    }

    private static Map<String, Tensor> tensors(Path checkpoint) throws IOException {
        return Safetensors.read(checkpoint.resolve(Checkpoint.MODEL)).tensors();
    }

    @Test
    void averagingCopiesOfOneCheckpointGivesItsWeightsBitForBit(@TempDir Path dir) throws IOException {
        Path a = threeCheckpoints(dir.resolve("checkpoints"), 32).getFirst(), out = dir.resolve("average");
        Checkpoint.average(List.of(a, a, a), out);
        Checkpoint.verify(out);
        Map<String, Tensor> expected = tensors(a), actual = tensors(out);
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(((Tensor.F32) expected.get(name)).data(), ((Tensor.F32) actual.get(name)).data(), name);
        }
        assertEquals(Checkpoint.config(a), Checkpoint.config(out), "the averaged checkpoint loads as the same model");
    }

    @Test
    void averagingTwoCheckpointsGivesTheirMeanAndLoadsIntoAModel(@TempDir Path dir) throws IOException {
        List<Path> saved = threeCheckpoints(dir.resolve("checkpoints"), 32);
        Path a = saved.get(0), b = saved.get(2), out = dir.resolve("average");
        Checkpoint.average(List.of(a, b), out);
        Map<String, Tensor> ta = tensors(a), tb = tensors(b), mean = tensors(out);
        boolean differ = false;
        for (String name : ta.keySet()) {
            float[] x = ((Tensor.F32) ta.get(name)).data(), y = ((Tensor.F32) tb.get(name)).data(), m = ((Tensor.F32) mean.get(name)).data();
            for (int i = 0; i < m.length; i++) {
                assertEquals((float) (((double) x[i] + y[i]) / 2), m[i], 0f, name + "[" + i + "]");
                differ |= x[i] != y[i];
            }
        }
        assertTrue(differ, "two updates apart, the checkpoints must differ somewhere");
        Transformer model = Transformer.create(Checkpoint.config(out), new BatchLimits(256, 32, 16), null, 0);
        Checkpoint.loadParameters(out.resolve(Checkpoint.MODEL), model);
        assertTrue(Files.exists(out.resolve(Checkpoint.TOKENIZER)) && !Files.exists(out.resolve(Checkpoint.OPTIMIZER)),
                "a checkpoint to translate with: tokenizer, no optimizer state");
    }

    @Test
    void checkpointsOfDifferentModelsAreRefusedNamingTheFile(@TempDir Path dir) throws IOException {
        Path small = threeCheckpoints(dir.resolve("small"), 32).getFirst(), wide = threeCheckpoints(dir.resolve("wide"), 64).getFirst();
        IOException e = assertThrows(IOException.class, () -> Checkpoint.average(List.of(small, wide), dir.resolve("average")));
        assertTrue(e.getMessage().contains(wide.resolve(Checkpoint.MODEL).toString()) && e.getMessage().contains("shape"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("average")), "nothing written");
    }
}
