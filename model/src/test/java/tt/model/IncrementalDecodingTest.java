package tt.model;

import org.junit.jupiter.api.Test;
import tt.kernels.Backend;
import tt.kernels.jvm.JvmBackend;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Decoding one position at a time against cached keys and values computes what the whole decoder
 * computes on the same prefix: the log-probabilities of decodeStep against those of the evaluate
 * graph (teacher forcing, every position at once), step by step, after beam reordering, and
 * greedy translations against a greedy search that reruns the whole prefix every step; an
 * ensemble's likewise, by its members' mean probability.
 */
class IncrementalDecodingTest {
    private static final int VOCAB = 30, T = 7;
    /** Both passes sum the same products; the full one in GEMM blocks, the cached one per key. */
    private static final double TOLERANCE = 2e-5;

    private static Transformer model(TransformerConfig.NormPlacement norm) {
        return model(norm, 5);
    }

    private static Transformer model(TransformerConfig.NormPlacement norm, int initSeed) {
        TransformerConfig c = TransformerConfig.preset("tiny", VOCAB).toBuilder().layers(2).dModel(32).heads(4).dFF(64).maxLen(24)
                .norm(norm).build();
        Transformer model = Transformer.create(c, new BatchLimits(256, 16, 16), null, 3);
        Init.initialize(model.parameters(), c.init(), initSeed);
        return model;
    }

    private static int[] tokens(SplittableRandom r, int n) { return r.ints(n, 4, VOCAB).toArray(); }

    /** The evaluate graph's log-probabilities, [sentences * T, vocab], for targets of T - 1 tokens each (T decoder positions). */
    private static float[] teacherForced(Transformer model, Backend backend, List<EncodedPair> pairs) {
        model.setBatch(Batch.of(pairs));
        backend.compile(model.evaluate).run();
        backend.download(model.logProbs());
        return copy(model, pairs.size() * T);
    }

    private static float[] copy(Transformer model, int rows) {
        float[] out = new float[rows * VOCAB];
        for (int i = 0; i < out.length; i++) out[i] = model.logProbs().get(i);
        return out;
    }

    private static int[][] withEos(List<EncodedPair> pairs) {
        return pairs.stream().map(p -> {
            int[] s = Arrays.copyOf(p.source(), p.source().length + 1);
            s[p.source().length] = TransformerConfig.EOS;
            return s;
        }).toArray(int[][]::new);
    }

    private static void assertRowsClose(String what, float[] expected, int expectedRow, float[] actual, int actualRow) {
        for (int v = 0; v < VOCAB; v++) {
            assertEquals(expected[expectedRow * VOCAB + v], actual[actualRow * VOCAB + v], TOLERANCE, what + ", token " + v);
        }
    }

    @Test
    void eachStepGivesTheLogProbabilitiesOfTheWholeDecoderOnTheSamePrefix() {
        for (TransformerConfig.NormPlacement norm : TransformerConfig.NormPlacement.values()) {
            Transformer model = model(norm);
            SplittableRandom r = new SplittableRandom(17);
            // Sources of different lengths: the shorter ones are padded, and their padding must stay masked.
            List<EncodedPair> pairs = new ArrayList<>();
            for (int i = 0; i < 3; i++) pairs.add(new EncodedPair(i, tokens(r, 3 + 3 * i), tokens(r, T - 1)));
            try (JvmBackend backend = new JvmBackend(2)) {
                backend.upload(model.parameterRoot());
                float[] full = teacherForced(model, backend, pairs);
                Batch teacher = Batch.of(pairs);
                model.startDecoding(withEos(pairs), T);
                backend.compile(model.encode).run();
                Backend.Executable step = backend.compile(model.decodeStep);
                for (int t = 0; t < T; t++) {
                    int[] in = new int[pairs.size()];
                    for (int s = 0; s < in.length; s++) in[s] = teacher.targetIn()[s * T + t];
                    model.setDecodePosition(t, in);
                    step.run();
                    backend.download(model.logProbs());
                    float[] stepped = copy(model, pairs.size());
                    for (int s = 0; s < in.length; s++) assertRowsClose(norm + " sentence " + s + " position " + t, full, s * T + t, stepped, s);
                }
            }
        }
    }

    @Test
    void reorderedBeamsContinueTheirParentsPrefixes() {
        Transformer model = model(TransformerConfig.NormPlacement.POST);
        SplittableRandom r = new SplittableRandom(29);
        int rows = 4, position = 3;
        int[] source = tokens(r, 6), parents = {2, 2, 0, 1}, next = tokens(r, rows);
        // Row i is fed <s> and prefixes[i] at positions 0..position-1, then next[i] at position after reordering.
        int[][] prefixes = new int[rows][];
        for (int i = 0; i < rows; i++) prefixes[i] = tokens(r, position - 1);
        try (JvmBackend backend = new JvmBackend(2)) {
            backend.upload(model.parameterRoot());
            List<EncodedPair> beams = new ArrayList<>();
            for (int i = 0; i < rows; i++) beams.add(new EncodedPair(i, source, prefixes[i]));
            model.startDecoding(withEos(beams), T);
            backend.compile(model.encode).run();
            Backend.Executable step = backend.compile(model.decodeStep);
            for (int t = 0; t < position; t++) {
                int[] in = new int[rows];
                for (int i = 0; i < rows; i++) in[i] = t == 0 ? TransformerConfig.BOS : prefixes[i][t - 1];
                model.setDecodePosition(t, in);
                step.run();
            }
            model.setBeamParents(parents);
            backend.compile(model.reorderBeams).run();
            model.setDecodePosition(position, next);
            step.run();
            backend.download(model.logProbs());
            float[] stepped = copy(model, rows);

            // What row i decoded: its parent's prefix, then next[i] (the rest of the target only pads it to T positions).
            List<EncodedPair> continued = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                int[] target = new int[T - 1];
                Arrays.fill(target, 4);
                System.arraycopy(prefixes[parents[i]], 0, target, 0, position - 1);
                target[position - 1] = next[i];
                continued.add(new EncodedPair(i, source, target));
            }
            float[] full = teacherForced(model, backend, continued);
            for (int i = 0; i < rows; i++) assertRowsClose("row " + i + " after reordering", full, i * T + position, stepped, i);
        }
    }

    @Test
    void greedyTranslationsEqualAGreedySearchThatRerunsThePrefix() {
        for (TransformerConfig.NormPlacement norm : TransformerConfig.NormPlacement.values()) {
            Transformer model = model(norm);
            SplittableRandom r = new SplittableRandom(41);
            int[][] sources = new int[5][];
            for (int i = 0; i < sources.length; i++) sources[i] = tokens(r, 2 + 2 * i);
            int maxLen = 8;
            try (JvmBackend backend = new JvmBackend(2)) {
                backend.upload(model.parameterRoot());
                Translator translator = new Translator(model, backend);
                int[][] cached = translator.greedy(sources, maxLen);
                // A beam of one is greedy search whatever the length penalty: one hypothesis, ended by its own </s>.
                int[][] beamOfOne = translator.beam(sources, 1, new LengthPenalty(LengthPenalty.Form.POWER, 1.0), maxLen);
                for (int i = 0; i < sources.length; i++) {
                    int[] expected = rerunningGreedy(List.of(model), backend, sources[i], Math.min(maxLen + 1, 2 * sources[i].length + 10));
                    assertArrayEquals(expected, cached[i], norm + " sentence " + i);
                    assertArrayEquals(expected, beamOfOne[i], norm + " sentence " + i + ", beam 1 with length penalty 1");
                }
            }
        }
    }

    @Test
    void anEnsembleSearchesByItsMembersMeanProbability() {
        // Two random models that choose differently: their ensemble's greedy outputs are neither's.
        Transformer a = model(TransformerConfig.NormPlacement.POST, 5), b = model(TransformerConfig.NormPlacement.POST, 8);
        SplittableRandom r = new SplittableRandom(43);
        int[][] sources = new int[6][];
        for (int i = 0; i < sources.length; i++) sources[i] = tokens(r, 2 + i);
        int maxLen = 8;
        try (JvmBackend backend = new JvmBackend(2)) {
            backend.upload(a.parameterRoot());
            backend.upload(b.parameterRoot());
            Translator single = new Translator(a, backend), withItself = new Translator(List.of(a, a), backend), pair = new Translator(List.of(a, b), backend);
            LengthPenalty penalty = new LengthPenalty(LengthPenalty.Form.POWER, 1.0);
            // A model's mean with itself is its own distribution, to the bit: the same search, the same outputs.
            assertArrayEquals(single.greedy(sources, maxLen), withItself.greedy(sources, maxLen));
            assertArrayEquals(single.beam(sources, 4, penalty, maxLen), withItself.beam(sources, 4, penalty, maxLen));
            int[][] ensembled = pair.greedy(sources, maxLen);
            for (int i = 0; i < sources.length; i++) {
                int[] expected = rerunningGreedy(List.of(a, b), backend, sources[i], Math.min(maxLen + 1, 2 * sources[i].length + 10));
                assertArrayEquals(expected, ensembled[i], "sentence " + i);
            }
            // Else the check above could not tell the ensemble from either member alone.
            assertFalse(Arrays.deepEquals(single.greedy(sources, maxLen), ensembled), "the ensemble decodes as its first member alone");
            assertFalse(Arrays.deepEquals(new Translator(b, backend).greedy(sources, maxLen), ensembled), "the ensemble decodes as its second member alone");
            assertThrows(IllegalStateException.class, () -> pair.attention(sources[0], sources[1]));
            Transformer smallerBatches = Transformer.create(a.config, new BatchLimits(128, 16, 16), null, 3);
            assertThrows(IllegalArgumentException.class, () -> new Translator(List.of(a, smallerBatches), backend), "members with other limits");
        }
    }

    @Test
    void theEnsemblesLogProbabilityIsTheLogOfTheMembersMeanProbability() {
        SplittableRandom r = new SplittableRandom(47);
        int members = 3, entries = 500;
        List<tt.kernels.FloatBuf> lp = new ArrayList<>();
        for (int m = 0; m < members; m++) {
            float[] values = new float[entries + 7];  // offset views: each member's entries start elsewhere
            for (int i = 0; i < values.length; i++) values[i] = (float) (-r.nextDouble() * (i % 5 == 0 ? 200 : 12));
            values[7 + 3] = Float.NEGATIVE_INFINITY;  // one member rules a token out: the others still carry it
            lp.add(tt.kernels.FloatBuf.of("member" + m, values).view("lp", m, entries));
        }
        for (int m = 0; m < members; m++) lp.get(m).set(4, Float.NEGATIVE_INFINITY);  // every member rules token 4 out
        tt.kernels.FloatBuf out = tt.kernels.FloatBuf.allocate("out", entries + 1);
        out.set(entries, 42);
        Translator.logMeanProbability(lp, out, entries);
        for (int i = 0; i < entries; i++) {
            double mean = 0;
            for (var m : lp) mean += Math.exp(m.get(i)) / members;
            double expected = Math.log(mean);
            // A float32 result of float64 arithmetic: relative 1e-6 (values reach -200, where members differ by e^100).
            assertEquals(expected, out.get(i), 1e-6 * Math.max(1, Math.abs(expected)), "entry " + i);
        }
        assertEquals(Float.NEGATIVE_INFINITY, out.get(4));
        assertEquals(42, out.get(entries), "only the entries asked for are written");
    }

    @Test
    void theEnsemblesTopTokensFromItsMembersOwnAreThoseOfTheWholeCombinedRow() {
        SplittableRandom r = new SplittableRandom(53);
        int vocab = 40, rows = 300;
        for (int members = 2; members <= 3; members++) {
            List<tt.kernels.FloatBuf> lp = new ArrayList<>();
            float[] shared = new float[rows * vocab];
            for (int i = 0; i < shared.length; i++) shared[i] = (float) (-r.nextDouble() * 8);
            for (int m = 0; m < members; m++) {
                float[] values = new float[rows * vocab];
                // Rows from members that agree (a small perturbation of one row) to members that do not (independent rows).
                for (int i = 0; i < values.length; i++) {
                    double agreement = (i / vocab) / (double) rows;
                    values[i] = (float) (agreement * shared[i] + (1 - agreement) * -r.nextDouble() * 8 + r.nextDouble() * 0.1);
                }
                values[vocab + 7] = values[vocab + 9];  // ties
                lp.add(tt.kernels.FloatBuf.of("member" + m, values));
            }
            tt.kernels.FloatBuf viaMembers = tt.kernels.FloatBuf.allocate("a", rows * vocab), whole = tt.kernels.FloatBuf.allocate("b", rows * vocab);
            Translator.logMeanProbability(lp, whole, rows * vocab);
            for (int row = 0; row < rows; row++) {
                for (int count : new int[] {1, 2, 10, 38}) {
                    int[] expected = Translator.topTokens(whole, row * vocab, vocab, count);
                    int[] actual = Translator.topOfMean(lp, viaMembers, row * vocab, vocab, count);
                    assertArrayEquals(expected, actual, members + " members, row " + row + ", top " + count);
                    for (int tok : actual) assertEquals(whole.get(row * vocab + tok), viaMembers.get(row * vocab + tok), "row " + row + " token " + tok);
                }
            }
        }
    }

    /**
     * Greedy search by the evaluate graph: the whole prefix through each model's decoder for every
     * new token, choosing by the models' mean probability (in float64).
     */
    private static int[] rerunningGreedy(List<Transformer> models, Backend backend, int[] source, int steps) {
        List<Integer> out = new ArrayList<>();
        for (int t = 0; t < steps; t++) {
            int[] target = out.stream().mapToInt(Integer::intValue).toArray();
            double[] mean = new double[VOCAB];
            for (Transformer model : models) {
                model.setBatch(Batch.of(List.of(new EncodedPair(0, source, target))));
                backend.compile(model.evaluate).run();
                backend.download(model.logProbs());
                for (int v = 0; v < VOCAB; v++) mean[v] += Math.exp(model.logProbs().get(t * VOCAB + v)) / models.size();
            }
            int best = -1;
            for (int v = 0; v < VOCAB; v++) {
                if (v == TransformerConfig.PAD || v == TransformerConfig.BOS) continue;
                if (best < 0 || mean[v] > mean[best]) best = v;
            }
            if (best == TransformerConfig.EOS) break;
            out.add(best);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void decodingOutsideTheCachesIsRefusedWithTheLimits() {
        Transformer model = model(TransformerConfig.NormPlacement.POST);
        int[][] sources = {{5, 6, TransformerConfig.EOS}, {7, TransformerConfig.EOS}};
        assertThrows(IllegalArgumentException.class, () -> model.startDecoding(sources, 17));
        model.startDecoding(sources, 4);
        assertThrows(IllegalArgumentException.class, () -> model.setDecodePosition(4, new int[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> model.setDecodePosition(0, new int[] {1}));
        assertThrows(IllegalArgumentException.class, () -> model.setBeamParents(new int[] {0, 2}));
    }
}
