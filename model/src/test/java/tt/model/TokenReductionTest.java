package tt.model;

import org.junit.jupiter.api.Test;
import tt.kernels.Backend;
import tt.kernels.jvm.JvmBackend;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pruning and ToMe merging of the encoder's tokens: the choices, the sizes they leave, and the identity at keep 1. */
class TokenReductionTest {
    private static final int VOCAB = 30;

    private static TransformerConfig config(TransformerConfig.NormPlacement norm) {
        return TransformerConfig.preset("tiny", VOCAB).toBuilder().layers(2).dModel(32).heads(4).dFF(64).maxLen(32).norm(norm).build();
    }

    private static Transformer model(TransformerConfig c, TokenReduction reduction, Backend backend) {
        Transformer model = Transformer.create(c, new BatchLimits(512, 32, 24), null, 3, reduction);
        Init.initialize(model.parameters(), c.init(), 5);
        backend.upload(model.parameterRoot());
        return model;
    }

    private static int[][] sources(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] s = new int[n][];
        for (int i = 0; i < n; i++) s[i] = r.ints(2 + r.nextInt(14), 4, VOCAB).toArray();
        return s;
    }

    /** Keeping every token, after either layer, either method: the same translations as the plain model, greedy and beam. */
    @Test
    void keepingEveryTokenTranslatesAsThePlainModel() {
        int[][] sources = sources(9, 7);
        for (TransformerConfig.NormPlacement norm : TransformerConfig.NormPlacement.values()) {
            TransformerConfig c = config(norm);
            try (JvmBackend backend = new JvmBackend(2)) {
                Translator plain = new Translator(model(c, null, backend), backend);
                int[][] greedy = plain.greedy(sources, 12), beam = plain.beam(sources, 3, LengthPenalty.NONE, 12);
                for (TokenReduction.Method method : TokenReduction.Method.values()) {
                    for (int after = 1; after <= c.layers(); after++) {
                        TokenReduction all = new TokenReduction(method, after, 1.0);
                        Translator reduced = new Translator(model(c, all, backend), backend);
                        assertArrayEquals(greedy, reduced.greedy(sources, 12), norm + " " + all + ", greedy");
                        assertArrayEquals(beam, reduced.beam(sources, 3, LengthPenalty.NONE, 12), norm + " " + all + ", beam 3");
                    }
                }
            }
        }
    }

    /** Merged tokens' sizes add up to the sentence's tokens, and each sentence keeps what its ratio says; pruned keys are single tokens. */
    @Test
    void reducedLengthsAndSizesAddUp() {
        int[][] sources = sources(6, 11);
        TransformerConfig c = config(TransformerConfig.NormPlacement.POST);
        for (TokenReduction.Method method : TokenReduction.Method.values()) {
            TokenReduction half = new TokenReduction(method, 1, 0.5);
            try (JvmBackend backend = new JvmBackend(2)) {
                Transformer model = model(c, half, backend);
                model.startDecoding(withEos(sources), 4);
                backend.compile(model.encode).run();
                model.reduceTokens();
                backend.compile(model.encodeReduced).run();
                int reducedLen = model.sizes.get(model.dims.reducedLen());
                for (int s = 0; s < sources.length; s++) {
                    int length = sources[s].length + 1, kept = model.inputs.reducedLengths().get(s);
                    assertEquals(half.kept(length), kept, method + " sentence " + s + " of " + length + " tokens");
                    double total = 0;
                    for (int j = 0; j < kept; j++) {
                        float size = model.reducedKeySizes.get(s * reducedLen + j);
                        assertTrue(size >= 1 && (method == TokenReduction.Method.MERGE || size == 1), method + " slot " + j + " size " + size);
                        total += size;
                    }
                    assertEquals(method == TokenReduction.Method.MERGE ? length : kept, total, 0, method + " sentence " + s + ": sizes add up");
                }
            }
        }
    }

    @Test
    void pruningKeepsTheMostAttendedTokensInOrder() {
        double[] received = {0.5, 3.0, 0.1, 2.0, 2.0, 0.7};
        assertArrayEquals(new int[] {-1, 0, -1, 1, 2, -1}, TokenReduction.prune(received, 6, 3));
        assertArrayEquals(new int[] {-1, 0, -1, 1, -1, -1}, TokenReduction.prune(received, 6, 2), "a tie goes to the earlier token");
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, TokenReduction.prune(received, 6, 6));
    }

    /** Even tokens merge into their most similar odd token, the most similar pairs first; survivors keep their order. */
    @Test
    void mergingJoinsTheMostSimilarEvenTokensToTheirOddMatch() {
        float[][] keys = {{1, 0}, {0.9f, 0.1f}, {0, 1}, {-1, 0}, {0.1f, 1}, {0, -1}};
        // Even tokens 0, 2, 4 match odd 1 (cos ~0.99), 5 or 1 / 3 ..., token 4 matches 1 (0.2) or 3 (-0.1) or 5 (-1).
        int[] one = TokenReduction.merge(keys, 6, 5);
        assertArrayEquals(new int[] {0, 0, 1, 2, 3, 4}, one, "token 0 joins token 1");
        int[] none = TokenReduction.merge(keys, 6, 6);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, none);
        assertEquals(3, java.util.Arrays.stream(TokenReduction.merge(keys, 6, 3)).max().orElseThrow() + 1, "three slots left");
        assertEquals(3, new TokenReduction(TokenReduction.Method.MERGE, 1, 0.1).kept(6), "merging removes at most the even half");
        assertThrows(IllegalArgumentException.class, () -> new TokenReduction(TokenReduction.Method.PRUNE, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Transformer.create(config(TransformerConfig.NormPlacement.PRE),
                new BatchLimits(64, 4, 16), AdamConfig.paper(), 1, new TokenReduction(TokenReduction.Method.PRUNE, 1, 0.5)));
    }

    private static int[][] withEos(int[][] sources) {
        int[][] out = new int[sources.length][];
        for (int i = 0; i < sources.length; i++) {
            out[i] = java.util.Arrays.copyOf(sources[i], sources[i].length + 1);
            out[i][sources[i].length] = TransformerConfig.EOS;
        }
        return out;
    }
}
