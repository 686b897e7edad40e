package tt.experiments;

import org.knowm.xchart.HeatMapChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tt.kernels.Backend;
import tt.model.Transformer.AttentionMap;
import tt.model.text.Tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * Translates one sentence and draws what the model attends to: encoder self-attention, decoder
 * self-attention (its causal triangle) and cross-attention, one figure per kind and layer with a
 * heat map per head, the subword tokens on both axes and one colour scale, from the same graphs that
 * translate.
 */
@Command(name = "attention", mixinStandardHelpOptions = true, sortOptions = false, description = {
        "Translate a sentence (argument, or the first line of stdin) and draw its attention maps, PNG and SVG:",
        "encoder self-attention, decoder self-attention and cross-attention, every layer and head."})
public final class AttentionCommand implements Callable<Integer> {
    @Option(names = {"-c", "--checkpoint"}, required = true, description = "A run directory, its checkpoints/ directory, or one step-NNNNNN directory.")
    Path checkpoint;

    @Parameters(arity = "0..1", description = "The sentence; read from stdin when neither it nor --index is given.")
    String sentence;

    @Option(names = "--index", description = "Instead of a sentence: pair N (from 0) of the run's --split.")
    Integer index;

    @Option(names = "--split", defaultValue = "val", description = "With --index: val or test, as the run defines them (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", defaultValue = "attention", description = "Directory for the figures (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--beam", defaultValue = "1", description = "Beam width of the translation, 1 = greedy (default: ${DEFAULT-VALUE}).")
    int beam;

    @Mixin SearchOptions search;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--layers", split = ",", description = "Layers to draw, e.g. 0,1 (default: all).")
    List<Integer> layers;

    @Option(names = "--heads", split = ",", description = "Heads to draw, e.g. 0,2 (default: all).")
    List<Integer> heads;

    @Mixin BackendOptions backendOptions;

    /** The three kinds of attention, by the layer name's ending, and their figures' file stems. */
    private enum Kind {
        ENCODER_SELF("encoder self-attention", "encoder_self"), DECODER_SELF("decoder self-attention", "decoder_self"),
        CROSS("cross-attention", "cross");

        final String title, file;

        Kind(String title, String file) {
            this.title = title;
            this.file = file;
        }

        static Kind of(String layer) {
            return layer.startsWith("encoder.") ? ENCODER_SELF : layer.endsWith(".multihead_attn") ? CROSS : DECODER_SELF;
        }
    }

    @Override public Integer call() throws IOException {
        search.check(spec, List.of(beam), false);
        if (index != null && sentence != null) throw new IllegalArgumentException("give a sentence or --index, not both");
        if (!split.equals("val") && !split.equals("test")) throw new IllegalArgumentException("--split " + split + ": use val or test");
        try (Backend backend = backendOptions.open()) {
            LoadedCheckpoint loaded = LoadedCheckpoint.open(checkpoint, backend, 1, 1, beam, "attention");
            Tokenizer tok = loaded.tokenizer();
            int[] source = index != null ? heldOut(loaded, tok) : tok.encode(text());
            if (source.length > loaded.translator().maxSourceLength()) {
                throw new IllegalArgumentException("the sentence has " + source.length + " tokens, more than the " + loaded.translator().maxSourceLength()
                        + " the model takes");
            }
            int[] output = search.translate(loaded.translator(), new int[][] {source}, beam)[0];
            String translation = tok.decode(output);
            System.out.println(translation);
            List<String> sourceTokens = tokens(tok, source, Tokenizer.EOS, false), targetTokens = tokens(tok, output, Tokenizer.BOS, true);
            int headCount = loaded.model().config.heads();
            List<Integer> chosenHeads = heads != null ? heads : IntStream.range(0, headCount).boxed().toList();
            for (int h : chosenHeads) if (h < 0 || h >= headCount) throw new IllegalArgumentException("--heads " + h + ": the model has heads 0 to " + (headCount - 1));
            int layerCount = loaded.model().config.layers();
            if (layers != null) for (int l : layers) if (l < 0 || l >= layerCount) throw new IllegalArgumentException("--layers " + l + ": the model has layers 0 to " + (layerCount - 1));
            List<String> written = new ArrayList<>();
            for (AttentionMap map : loaded.translator().attention(source, output)) {
                int layer = Integer.parseInt(map.name().split("\\.")[2]);
                if (layers != null && !layers.contains(layer)) continue;
                Kind kind = Kind.of(map.name());
                List<String> queries = kind == Kind.ENCODER_SELF ? sourceTokens : targetTokens;
                List<String> keys = kind == Kind.DECODER_SELF ? targetTokens : sourceTokens;
                String stem = kind.file + "_layer" + layer;
                Figures.saveGrid(panels(map, kind, layer, chosenHeads, queries, keys, translation), out, stem);
                written.add(stem);
            }
            System.err.println("wrote " + written.size() + " figures (PNG and SVG) to " + out + ": " + String.join(", ", written));
        }
        return 0;
    }

    private String text() throws IOException {
        String text = sentence != null ? sentence : new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (text == null || text.isBlank()) throw new IllegalArgumentException("give a sentence, as an argument or on stdin, or --index N");
        return text;
    }

    /** The source of pair --index of the run's validation or test set, as the run's own options define the data. */
    private int[] heldOut(LoadedCheckpoint loaded, Tokenizer tok) throws IOException {
        TrainOptions o = TrainOptions.fromJson(tt.model.Checkpoint.options(loaded.dir()));
        List<tt.model.data.EncodedPair> pairs = TaskData.heldout(o, tok, split.equals("test") ? TaskData.Split.TEST : TaskData.Split.VAL, null, null,
                Math.max(1000, index + 1)).pairs();
        if (index < 0 || index >= pairs.size()) throw new IllegalArgumentException("--index " + index + ": the " + split + " set has pairs 0 to " + (pairs.size() - 1));
        return pairs.get(index).source();
    }

    /** The tokens as the model sees them: {@code marker} (&lt;s&gt; or &lt;/s&gt;) first or last, made unique for the axes. */
    private static List<String> tokens(Tokenizer tok, int[] ids, int marker, boolean markerFirst) {
        List<String> labels = new ArrayList<>();
        if (markerFirst) labels.add(tok.token(marker));
        for (int id : ids) labels.add(tok.token(id));
        if (!markerFirst) labels.add(tok.token(marker));
        // Categories must differ: a repeated token gets an invisible suffix of zero-width spaces.
        for (int i = 0; i < labels.size(); i++) {
            String l = labels.get(i);
            int seen = 0;
            for (int j = 0; j < i; j++) if (labels.get(j).replace("\u200b", "").equals(l)) seen++;
            labels.set(i, l + "\u200b".repeat(seen));
        }
        return labels;
    }

    /** One heat map per head, sized to the tokens; all on the scale 0 to 1, so their colour bars are one. */
    private static List<HeatMapChart> panels(AttentionMap map, Kind kind, int layer, List<Integer> heads, List<String> queries, List<String> keys,
                                             String translation) {
        int cell = 26, width = Math.max(360, 160 + cell * keys.size()), height = Math.max(300, 150 + cell * queries.size());
        List<HeatMapChart> charts = new ArrayList<>();
        for (int i = 0; i < heads.size(); i++) {
            int h = heads.get(i);
            double[][] values = new double[queries.size()][keys.size()];
            for (int q = 0; q < queries.size(); q++) for (int k = 0; k < keys.size(); k++) values[q][k] = map.probs()[h][q][k];
            String title = kind.title + ", layer " + layer + ", head " + h;
            if (i == 0) title = abbreviate(title + ": " + translation, (width - 30) / 10);  // what fits a panel at the title font
            HeatMapChart chart = Figures.heatmap(title, kind == Kind.ENCODER_SELF || kind == Kind.CROSS ? "source token (key)" : "target token (key)",
                    kind == Kind.ENCODER_SELF ? "source token (query)" : "target token (query)", keys, queries, values, 0, 1, Figures.SEQUENTIAL,
                    width, height);
            chart.getStyler().setXAxisLabelRotation(60);
            charts.add(chart);
        }
        return charts;
    }

    private static String abbreviate(String s, int chars) { return s.length() <= chars ? s : s.substring(0, Math.max(0, chars - 3)) + "..."; }
}
