package tt.model;

import org.junit.jupiter.api.Test;
import tt.kernels.jvm.JvmBackend;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingTest {
    private static final int VOCAB = 24;

    /** Eight random pairs of different lengths (content tokens 4..VOCAB-1). */
    private static List<EncodedPair> randomPairs(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<EncodedPair> pairs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pairs.add(new EncodedPair(i, r.ints(4 + i % 4, 4, VOCAB).toArray(), r.ints(3 + (i * 5) % 6, 4, VOCAB).toArray()));
        }
        return pairs;
    }

    @Test
    void tinyModelMemorisesEightPairsAndGreedyDecodingReproducesThem() {
        TransformerConfig c = TransformerConfig.preset("tiny", VOCAB).toBuilder().dropout(0f).maxLen(32).build();
        Transformer model = Transformer.create(c, new BatchLimits(512, 64, 16), AdamConfig.paper(), 7);
        List<EncodedPair> pairs = randomPairs(11);
        Batch batch = Batch.of(pairs);
        try (JvmBackend backend = new JvmBackend(2)) {
            Trainer trainer = new Trainer(model, backend, new Schedule.Constant(1e-3));
            trainer.initialize(5);
            Trainer.StepResult last = null;
            for (int step = 0; step < 300 && (last == null || last.totals().objectivePerToken() > 0.05 || last.totals().correct() < last.totals().tokens()); step++) {
                last = trainer.step(batch);
            }
            // Memorising needs no regularisation: dropout off, so teacher forcing and decoding see the trained function.
            assertTrue(last.totals().correct() == last.totals().tokens(), "not memorised after " + last.update() + " steps: " + last);
            Trainer.LossTotals eval = trainer.evaluate(List.of(batch));
            assertTrue(eval.accuracy() == 1.0, "teacher-forced accuracy " + eval.accuracy());

            Translator translator = new Translator(model, backend);
            int[][] sources = pairs.stream().map(EncodedPair::source).toArray(int[][]::new);
            int[][] greedy = translator.greedy(sources, 12);
            int[][] beam = translator.beam(sources, 4, new LengthPenalty(LengthPenalty.Form.GNMT, 0.6), 12);
            for (int i = 0; i < pairs.size(); i++) {
                assertArrayEquals(pairs.get(i).target(), greedy[i], "greedy output of sentence " + i);
                assertArrayEquals(pairs.get(i).target(), beam[i], "beam output of sentence " + i);
            }
        }
    }

    @Test
    void sameSeedGivesBitIdenticalParametersOnTheSameBackendAndThreads() {
        float[] first = trainTwenty(2, 3), second = trainTwenty(2, 3), otherSeed = trainTwenty(2, 4);
        assertArrayEquals(first, second, "same seed, same thread count");
        assertFalse(java.util.Arrays.equals(first, otherSeed), "a different seed must change the parameters");
    }

    private static float[] trainTwenty(int threads, int seed) {
        TransformerConfig c = TransformerConfig.preset("tiny", VOCAB).toBuilder().layers(1).dModel(32).heads(2).dFF(64).build();
        Transformer model = Transformer.create(c, new BatchLimits(256, 32, 16), AdamConfig.paper().withClipNorm(1f), seed);
        try (JvmBackend backend = new JvmBackend(threads)) {
            Trainer trainer = new Trainer(model, backend, new Schedule.Noam(32, 10, 1.0));
            trainer.initialize(seed);
            for (int step = 0; step < 20; step++) trainer.step(Batch.of(randomPairs(step)));
            return model.parameterRoot().toArray();
        }
    }
}
