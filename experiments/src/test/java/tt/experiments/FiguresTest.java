package tt.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tt.kernels.jvm.JvmBackend;
import tt.model.AdamConfig;
import tt.model.BatchLimits;
import tt.model.Transformer;
import tt.model.Transformer.AttentionMap;
import tt.model.TransformerConfig;
import tt.model.Translator;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Attention maps (from the graphs that translate) and the paper's figures. */
class FiguresTest {
    @TempDir Path dir;

    private static BufferedImage png(Path file) throws IOException {
        assertTrue(Files.size(file.resolveSibling(file.getFileName().toString().replace(".png", ".svg"))) > 1000, "an SVG beside " + file);
        return ImageIO.read(file.toFile());
    }

    @Test
    void attentionRowsAreDistributionsOverVisibleKeysOnly() {
        TransformerConfig c = TransformerConfig.preset("tiny", 20).toBuilder().layers(1).dModel(32).heads(2).dFF(64).maxLen(16).build();
        Transformer model = Transformer.create(c, new BatchLimits(64, 4, 12), null, 3);
        try (JvmBackend backend = new JvmBackend(2)) {
            tt.model.Init.initialize(model.parameters(), c.init(), 5);
            backend.upload(model.parameterRoot());
            Translator translator = new Translator(model, backend);
            // Sentence 1 is shorter than sentence 0: its keys past its length are padding.
            model.setBatch(Batch.of(List.of(new EncodedPair(0, new int[] {5, 6, 7, 8, 9, 10}, new int[] {11, 12, 13, 14, 15}),
                    new EncodedPair(1, new int[] {5, 6, 7}, new int[] {11, 12}))));
            backend.compile(model.evaluate).run();
            for (AttentionMap map : model.attentionMaps(1)) {
                boolean cross = map.name().endsWith("multihead_attn"), encoder = map.name().startsWith("encoder.");
                int visible = encoder || cross ? 4 : 3;  // 3 source tokens + </s>; <s> + 2 target tokens
                for (float[][] head : map.probs()) {
                    for (int q = 0; q < (encoder ? 4 : 3); q++) {
                        double sum = 0;
                        for (int k = 0; k < head[q].length; k++) {
                            if (k >= visible || (!encoder && !cross && k > q)) assertEquals(0f, head[q][k], map.name() + " [" + q + "][" + k + "] is masked");
                            sum += head[q][k];
                        }
                        assertEquals(1.0, sum, 1e-5, map.name() + " row " + q + " sums to 1");
                    }
                }
            }
            assertEquals(2, translator.attention(new int[] {5, 6, 7}, new int[] {11, 12}).stream().filter(m -> m.probs()[0].length == 3).count(),
                    "decoder self-attention and cross-attention have a query per output position (<s>, y1, y2); the encoder's has 4");
        }
    }

    @Test
    void aReverseTaskModelsCrossAttentionFollowsTheAntiDiagonalAndTheFiguresAreDrawn() throws Exception {
        TrainOptions o = TrainOptions.parse("--task", "reverse", "--preset", "tiny", "--d-model", "64", "--d-ff", "256", "--max-len", "17",
                "--max-tokens", "1024", "--steps", "300", "--warmup", "100", "--eval-every", "300", "--eval-sentences", "50", "--val-size", "50",
                "--log-every", "100", "--checkpoint-every", "0");
        Path run = dir.resolve("reverse");
        try (JvmBackend backend = new JvmBackend(2)) {
            new TrainingRun(o, run, backend, new java.io.PrintStream(java.io.OutputStream.nullOutputStream())).run(false);
        }
        int[] source = {13, 5, 9, 4, 12, 6, 8, 7, 10, 11, 4, 5, 13, 9, 6, 8};
        try (JvmBackend backend = new JvmBackend(2)) {
            LoadedCheckpoint loaded = LoadedCheckpoint.open(run, backend, 1, 1, 1, "test");
            int[] output = loaded.translator().greedy(new int[][] {source}, 20)[0];
            AttentionMap cross = loaded.translator().attention(source, output).stream().filter(m -> m.name().equals("decoder.layers.1.multihead_attn"))
                    .findFirst().orElseThrow();
            int onDiagonal = 0, n = source.length;
            for (int i = 0; i < Math.min(n, output.length); i++) {  // query i predicts output token i, the source token n - 1 - i
                double best = -1;
                int argmax = -1;
                for (int k = 0; k <= n; k++) {
                    double mean = 0;
                    for (float[][] head : cross.probs()) mean += head[i][k];
                    if (mean > best) {
                        best = mean;
                        argmax = k;
                    }
                }
                if (argmax == n - 1 - i) onDiagonal++;
            }
            assertTrue(onDiagonal >= 0.8 * n, onDiagonal + " of " + n + " queries attend most to the source token they reverse");
        }

        String text = String.join(" ", java.util.Arrays.stream(source).mapToObj(id -> Integer.toString(id - 4)).toList());
        assertEquals(0, Main.commandLine().execute("attention", "-c", run.toString(), text, "--out", dir.resolve("maps").toString(), "--threads", "2"));
        for (String kind : List.of("encoder_self", "decoder_self", "cross")) {
            BufferedImage grid = png(dir.resolve("maps").resolve(kind + "_layer1.png"));
            assertEquals(2 * Math.max(360, 160 + 26 * 17), grid.getWidth(), kind + ": 4 heads in 2 columns, sized to 17 tokens");
        }
        for (String figure : List.of("schedule", "positional", "smoothing")) {
            assertEquals(0, Main.commandLine().execute("plot", figure, "--out", dir.resolve("figs").toString()));
            BufferedImage image = png(dir.resolve("figs").resolve(figure + ".png"));
            assertEquals(Figures.WIDTH, image.getWidth());
            assertEquals(Figures.HEIGHT, image.getHeight());
        }
    }
}
