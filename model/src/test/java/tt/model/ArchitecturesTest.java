package tt.model;

import org.junit.jupiter.api.Test;
import tt.kernels.Backend;
import tt.kernels.jvm.JvmBackend;
import tt.model.TransformerConfig.Arch;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The encoder-only and decoder-only models beyond their gradients ({@link TransformerGradientTest}):
 * parameter names, exact causal masking, decoding one position at a time against rerunning the
 * whole prefix, encoder-only outputs, sampling.
 */
class ArchitecturesTest {
    private static final int VOCAB = 30;

    private static Transformer model(Arch arch, TransformerConfig.NormPlacement norm) {
        TransformerConfig c = TransformerConfig.preset("tiny", VOCAB).toBuilder().layers(2).dModel(32).heads(4).dFF(64).maxLen(32)
                .norm(norm).arch(arch).build();
        Transformer model = Transformer.create(c, new BatchLimits(256, 16, 24), null, 3);
        Init.initialize(model.parameters(), c.init(), 5);
        return model;
    }

    private static int[] tokens(SplittableRandom r, int n) { return r.ints(n, 4, VOCAB).toArray(); }

    /** The evaluate graph's log-probabilities of a batch laid out for the model's architecture, [rows, vocab]. */
    private static float[] logProbs(Transformer model, Backend backend, List<EncodedPair> pairs) {
        Batch b = model.config.arch().layout().batch(pairs);
        model.setBatch(b);
        backend.compile(model.evaluate).run();
        backend.download(model.logProbs());
        int rows = b.size() * (model.config.arch().hasDecoder() ? b.targetLength() : b.sourceLength());
        float[] out = new float[rows * VOCAB];
        for (int i = 0; i < out.length; i++) out[i] = model.logProbs().get(i);
        return out;
    }

    @Test
    void eachArchitectureHasItsStacksParametersUnderTorchNames() {
        List<String> decoderOnly = model(Arch.DECODER_ONLY, TransformerConfig.NormPlacement.PRE).parameters().stream().map(Tensor::name).toList();
        assertTrue(decoderOnly.containsAll(List.of("tgt_embed.weight", "decoder.layers.1.self_attn.in_proj_weight", "decoder.layers.1.linear2.bias",
                "decoder.layers.1.norm2.weight", "decoder.norm.weight")), decoderOnly.toString());
        assertTrue(decoderOnly.stream().noneMatch(n -> n.startsWith("encoder") || n.startsWith("src_embed") || n.contains("multihead_attn")
                || n.contains("norm3")), decoderOnly.toString());
        List<String> encoderOnly = model(Arch.ENCODER_ONLY, TransformerConfig.NormPlacement.POST).parameters().stream().map(Tensor::name).toList();
        assertTrue(encoderOnly.containsAll(List.of("src_embed.weight", "encoder.layers.1.self_attn.out_proj.weight", "encoder.layers.0.norm1.bias")),
                encoderOnly.toString());
        assertTrue(encoderOnly.stream().noneMatch(n -> n.startsWith("decoder") || n.startsWith("tgt_embed")), encoderOnly.toString());
    }

    /** Changing the tokens from position j on changes nothing, to the bit, at positions before j; padding changes nothing either. */
    @Test
    void decoderOnlyCausalMaskingIsExact() {
        Transformer model = model(Arch.DECODER_ONLY, TransformerConfig.NormPlacement.POST);
        SplittableRandom r = new SplittableRandom(3);
        int[] source = tokens(r, 4), target = tokens(r, 9), shortTarget = tokens(r, 3);
        int len = Batch.Layout.prompt(source).length + target.length, j = 8;
        try (JvmBackend backend = new JvmBackend(2)) {
            backend.upload(model.parameterRoot());
            float[] before = logProbs(model, backend, List.of(new EncodedPair(0, source, target), new EncodedPair(1, new int[0], shortTarget)));
            int[] changed = target.clone();
            for (int t = j - Batch.Layout.prompt(source).length; t < changed.length; t++) changed[t] = 4 + (changed[t] + 7) % (VOCAB - 4);
            float[] after = logProbs(model, backend, List.of(new EncodedPair(0, source, changed), new EncodedPair(1, new int[0], shortTarget)));
            assertArrayEquals(Arrays.copyOfRange(before, 0, j * VOCAB), Arrays.copyOfRange(after, 0, j * VOCAB), "positions before " + j);
            assertNotEquals(before[j * VOCAB + 5], after[j * VOCAB + 5], "position " + j + " reads the changed token");
            // The short sentence alone, unpadded, computes what it computed padded to the long one's length.
            float[] alone = logProbs(model, backend, List.of(new EncodedPair(1, new int[0], shortTarget)));
            assertArrayEquals(alone, Arrays.copyOfRange(before, len * VOCAB, (len + shortTarget.length + 1) * VOCAB), "padded row");
        }
    }

    @Test
    void decoderOnlyGreedyEqualsAGreedySearchThatRerunsThePrefix() {
        for (TransformerConfig.NormPlacement norm : TransformerConfig.NormPlacement.values()) {
            Transformer model = model(Arch.DECODER_ONLY, norm);
            SplittableRandom r = new SplittableRandom(41);
            int[][] sources = new int[5][];
            for (int i = 0; i < sources.length; i++) sources[i] = tokens(r, 1 + 2 * i);  // prompts of 3..11 tokens: rows start predicting apart
            int maxLen = 8;
            try (JvmBackend backend = new JvmBackend(2)) {
                backend.upload(model.parameterRoot());
                Translator translator = new Translator(model, backend);
                int[][] cached = translator.greedy(sources, maxLen);
                int[][] beamOfOne = translator.beam(sources, 1, LengthPenalty.forBeam(1, LengthPenalty.Form.POWER, 1.0), maxLen);
                for (int i = 0; i < sources.length; i++) {
                    int prompt = Batch.Layout.prompt(sources[i]).length;
                    int steps = Math.min(Math.min(maxLen + 1, model.limits.maxLen() - prompt + 1), 2 * sources[i].length + 10);
                    int[] expected = rerunningGreedy(model, backend, sources[i], steps);
                    assertArrayEquals(expected, cached[i], norm + " sentence " + i);
                    assertArrayEquals(expected, beamOfOne[i], norm + " sentence " + i + ", beam 1");
                }
            }
        }
    }

    /** Greedy search by the evaluate graph: the whole sequence through the model for every new token. */
    private static int[] rerunningGreedy(Transformer model, Backend backend, int[] source, int steps) {
        List<Integer> out = new ArrayList<>();
        int first = Batch.Layout.prompt(source).length - 1;
        for (int t = 0; t < steps; t++) {
            float[] lp = logProbs(model, backend, List.of(new EncodedPair(0, source, out.stream().mapToInt(Integer::intValue).toArray())));
            int best = argmax(lp, first + t);
            if (best == TransformerConfig.EOS) break;
            out.add(best);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int argmax(float[] logProbs, int row) {
        int best = -1;
        for (int v = 0; v < VOCAB; v++) {
            if (v == TransformerConfig.PAD || v == TransformerConfig.BOS) continue;
            if (best < 0 || logProbs[row * VOCAB + v] > logProbs[row * VOCAB + best]) best = v;
        }
        return best;
    }

    @Test
    void encoderOnlyOutputsAreTheBestTokenAtEverySourcePosition() {
        Transformer model = model(Arch.ENCODER_ONLY, TransformerConfig.NormPlacement.PRE);
        SplittableRandom r = new SplittableRandom(5);
        int[][] sources = {tokens(r, 7), tokens(r, 2), tokens(r, 12)};
        try (JvmBackend backend = new JvmBackend(2)) {
            backend.upload(model.parameterRoot());
            int[][] tags = new Translator(model, backend).beam(sources, 4, LengthPenalty.NONE, 100);
            for (int i = 0; i < sources.length; i++) {
                float[] lp = logProbs(model, backend, List.of(new EncodedPair(0, sources[i], new int[sources[i].length])));
                int[] expected = new int[sources[i].length];
                for (int t = 0; t < expected.length; t++) expected[t] = argmax(lp, t);
                assertArrayEquals(expected, tags[i], "sentence " + i);
            }
        }
    }

    @Test
    void samplingRepeatsWithItsSeedAndTopOneIsGreedy() {
        Transformer model = model(Arch.DECODER_ONLY, TransformerConfig.NormPlacement.POST);
        SplittableRandom r = new SplittableRandom(9);
        int[][] prompts = {tokens(r, 3), new int[0], tokens(r, 6)};
        try (JvmBackend backend = new JvmBackend(2)) {
            backend.upload(model.parameterRoot());
            Translator translator = new Translator(model, backend);
            int[][] a = translator.sample(prompts, 1.0, 0, 12, 7), b = translator.sample(prompts, 1.0, 0, 12, 7);
            assertArrayEquals(a, b, "same seed, same samples");
            assertTrue(!Arrays.deepEquals(a, translator.sample(prompts, 1.0, 0, 12, 8)), "another seed draws other tokens");
            int[][] topOne = translator.sample(prompts, 1.0, 1, 12, 7);
            for (int i = 0; i < prompts.length; i++) {
                // Top-1 sampling is greedy continuation: the rerun greedy search of the prompt read as a language model's prefix.
                List<Integer> out = new ArrayList<>();
                for (int t = 0; t <= 12; t++) {
                    int[] seq = new int[prompts[i].length + out.size()];
                    System.arraycopy(prompts[i], 0, seq, 0, prompts[i].length);
                    for (int k = 0; k < out.size(); k++) seq[prompts[i].length + k] = out.get(k);
                    float[] lp = logProbs(model, backend, List.of(new EncodedPair(0, new int[0], seq)));
                    int best = argmax(lp, seq.length);
                    if (best == TransformerConfig.EOS) break;
                    out.add(best);
                }
                assertArrayEquals(out.stream().mapToInt(Integer::intValue).toArray(), topOne[i], "prompt " + i);
            }
            assertThrows(IllegalArgumentException.class, () -> translator.sample(prompts, 0, 0, 12, 1));
            Transformer encDec = model(Arch.ENCODER_DECODER, TransformerConfig.NormPlacement.POST);
            assertThrows(IllegalArgumentException.class, () -> new Translator(encDec, backend).sample(prompts, 1, 0, 12, 1));
        }
    }
}
