package tt.model;

import tt.kernels.DropoutMask;
import tt.model.data.Batch;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The Transformer's training loss in plain float64, to check the fp32 model against: double[][]
 * matrices, straightforward loops, one method per layer, sharing no code with the layer classes.
 * It computes padded positions as the fp32 model does; they never reach the loss (padded keys are
 * masked, pad-target rows are excluded).
 *
 * <p>Dropout multiplies by {@code DropoutMask.factor(seed, step, site, index, p)} as the model does.
 * The model numbers its sites in construction order ({@code Layout.dropout}), which is also the
 * order its forward pass meets them: source embedding; per encoder layer the self-attention
 * probabilities, that block's residual, the FFN hidden layer, that block's residual; target
 * embedding; per decoder layer self-attention probabilities, residual, cross-attention
 * probabilities, residual, FFN hidden, residual. So this forward numbers sites as it meets them.
 * The index is the flat index into the live [rows, cols] activation, or into the live
 * [sentences, heads, queries, keys] attention probabilities.
 */
final class ReferenceTransformer {
    private final TransformerConfig c;
    /** Parameters by torch-style name, matrices [out, in] and vectors as one row; tests perturb them in place. */
    final Map<String, double[][]> params;
    private final int dropoutSeed, step;
    private int nextSite;

    ReferenceTransformer(TransformerConfig c, Map<String, double[][]> params, int dropoutSeed, int step) {
        this.c = c;
        this.params = params;
        this.dropoutSeed = dropoutSeed;
        this.step = step;
    }

    /** The fp32 model's current parameter values, in double. */
    static Map<String, double[][]> parametersOf(Transformer model) {
        Map<String, double[][]> p = new LinkedHashMap<>();
        for (Tensor t : model.parameters()) {
            int cols = t.shape()[t.shape().length - 1];
            double[][] a = new double[t.size() / cols][cols];
            for (int i = 0; i < t.size(); i++) a[i / cols][i % cols] = t.value().get(i);
            p.put(t.name(), a);
        }
        return p;
    }

    /**
     * The training loss of one batch under the configured loss and reduction, with dropout at the
     * configured rate: the encoder-decoder's, or that of the encoder alone predicting at every
     * source position, or of the decoder's causal self-attention alone (no cross-attention).
     */
    double loss(Batch b) {
        nextSite = 0;
        String srcTable = "src_embed.weight", tgtTable = c.tieEmbeddings() && c.arch().hasEncoder() ? srcTable : "tgt_embed.weight";
        String outTable = !c.tieEmbeddings() ? "generator.weight" : c.arch().hasEncoder() ? srcTable : tgtTable;
        double[][] memory = null, y = null;
        if (c.arch().hasEncoder()) {
            double[][] x = embed(srcTable, b.source(), b.sourceLength());
            for (int i = 0; i < c.layers(); i++) {
                x = selfAttentionLayer("encoder.layers." + i, x, b.size(), b.sourceLength(), b.sourceLengths(), false);
            }
            memory = preNorm() ? layerNorm("encoder.norm", x) : x;
        }
        if (c.arch().hasDecoder()) {
            y = embed(tgtTable, b.targetIn(), b.targetLength());
            for (int i = 0; i < c.layers(); i++) {
                String name = "decoder.layers." + i;
                y = c.arch().hasEncoder() ? decoderLayer(name, y, memory, b)
                        : selfAttentionLayer(name, y, b.size(), b.targetLength(), b.targetLengths(), true);
            }
            if (preNorm()) y = layerNorm("decoder.norm", y);
        }
        double[][] logits = linear(c.arch().hasDecoder() ? y : memory, params.get(outTable), null);
        return reducedLoss(c, logSoftmax(logits), b.targetOut(), b.size());
    }

    /** Self-attention (causal or not) and feed-forward: an encoder layer, or a decoder-only model's layer. */
    private double[][] selfAttentionLayer(String name, double[][] x, int sentences, int len, int[] lengths, boolean causal) {
        x = residual(name + ".norm1", x, in -> attention(name + ".self_attn", in, in, sentences, len, len, lengths, causal));
        return residual(name + ".norm2", x, in -> feedForward(name, in));
    }

    private double[][] decoderLayer(String name, double[][] y, double[][] memory, Batch b) {
        y = residual(name + ".norm1", y, in -> attention(name + ".self_attn", in, in, b.size(), b.targetLength(), b.targetLength(),
                b.targetLengths(), true));
        y = residual(name + ".norm2", y, in -> attention(name + ".multihead_attn", in, memory, b.size(), b.targetLength(),
                b.sourceLength(), b.sourceLengths(), false));
        return residual(name + ".norm3", y, in -> feedForward(name, in));
    }

    /** Post-LN: LayerNorm(x + Dropout(sublayer(x))); pre-LN: x + Dropout(sublayer(LayerNorm(x))). */
    private double[][] residual(String norm, double[][] x, UnaryOperator<double[][]> sublayer) {
        if (preNorm()) return add(x, dropout(sublayer.apply(layerNorm(norm, x))));
        return layerNorm(norm, add(x, dropout(sublayer.apply(x))));
    }

    /** Dropout(table[id] * sqrt(d) + PE(position in its sentence)). */
    private double[][] embed(String table, int[] ids, int len) {
        double[][] t = params.get(table);
        int d = c.dModel();
        double[][] x = new double[ids.length][d];
        for (int r = 0; r < ids.length; r++) {
            int pos = r % len;
            for (int j = 0; j < d; j++) {
                double angle = pos / Math.pow(10000, (double) (j - j % 2) / d);
                x[r][j] = t[ids[r]][j] * Math.sqrt(d) + (j % 2 == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        return dropout(x);
    }

    /**
     * Multi-head attention of queries from xq over keys/values from xkv, both laid out [sentences * len, d]:
     * keys at or past keyLengths[sentence] are masked, and keys after the query when causal.
     */
    private double[][] attention(String name, double[][] xq, double[][] xkv, int sentences, int qLen, int kLen,
                                 int[] keyLengths, boolean causal) {
        int d = c.dModel(), heads = c.heads(), dk = d / heads;
        double[][] w = params.get(name + ".in_proj_weight");
        double[] bias = params.get(name + ".in_proj_bias")[0];
        double[][] q = linear(xq, Arrays.copyOfRange(w, 0, d), Arrays.copyOfRange(bias, 0, d));
        double[][] k = linear(xkv, Arrays.copyOfRange(w, d, 2 * d), Arrays.copyOfRange(bias, d, 2 * d));
        double[][] v = linear(xkv, Arrays.copyOfRange(w, 2 * d, 3 * d), Arrays.copyOfRange(bias, 2 * d, 3 * d));
        int site = nextSite++;
        double[][] context = new double[sentences * qLen][d];
        for (int s = 0; s < sentences; s++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < qLen; i++) {
                    int visible = causal ? Math.min(keyLengths[s], i + 1) : keyLengths[s];
                    double[] p = new double[kLen];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < visible; j++) {
                        for (int e = 0; e < dk; e++) p[j] += q[s * qLen + i][h * dk + e] * k[s * kLen + j][h * dk + e];
                        p[j] /= Math.sqrt(dk);
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < visible; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int j = 0; j < visible; j++) {
                        double dropped = p[j] / sum * mask(site, ((s * heads + h) * qLen + i) * kLen + j, c.attentionDropout());
                        for (int e = 0; e < dk; e++) context[s * qLen + i][h * dk + e] += dropped * v[s * kLen + j][h * dk + e];
                    }
                }
            }
        }
        return linear(context, params.get(name + ".out_proj.weight"), params.get(name + ".out_proj.bias")[0]);
    }

    /** linear2(Dropout(relu(linear1(x)))), at the activation dropout rate. */
    private double[][] feedForward(String name, double[][] x) {
        double[][] hidden = linear(x, params.get(name + ".linear1.weight"), params.get(name + ".linear1.bias")[0]);
        for (double[] row : hidden) for (int j = 0; j < row.length; j++) row[j] = Math.max(row[j], 0);
        return linear(dropout(hidden, c.activationDropout()), params.get(name + ".linear2.weight"), params.get(name + ".linear2.bias")[0]);
    }

    /** x W^T + b (no bias when b is null), W stored [out, in]. */
    private static double[][] linear(double[][] x, double[][] w, double[] b) {
        double[][] y = new double[x.length][w.length];
        for (int r = 0; r < x.length; r++) {
            for (int o = 0; o < w.length; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < w[o].length; i++) s += x[r][i] * w[o][i];
                y[r][o] = s;
            }
        }
        return y;
    }

    private double[][] layerNorm(String name, double[][] x) {
        double[] gamma = params.get(name + ".weight")[0], beta = params.get(name + ".bias")[0];
        int d = gamma.length;
        double[][] y = new double[x.length][d];
        for (int r = 0; r < x.length; r++) {
            double mean = 0, var = 0;
            for (double v : x[r]) mean += v / d;
            for (double v : x[r]) var += (v - mean) * (v - mean) / d;
            for (int j = 0; j < d; j++) y[r][j] = (x[r][j] - mean) / Math.sqrt(var + c.layerNormEps()) * gamma[j] + beta[j];
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int r = 0; r < a.length; r++) for (int j = 0; j < a[r].length; j++) y[r][j] = a[r][j] + b[r][j];
        return y;
    }

    /** A new dropout site over a [rows, cols] activation, at the model's dropout rate. */
    private double[][] dropout(double[][] x) {
        return dropout(x, c.dropout());
    }

    private double[][] dropout(double[][] x, float rate) {
        int site = nextSite++;
        double[][] y = new double[x.length][x[0].length];
        for (int r = 0; r < x.length; r++) for (int j = 0; j < x[r].length; j++) y[r][j] = x[r][j] * mask(site, r * x[r].length + j, rate);
        return y;
    }

    private double mask(int site, int index, float rate) {
        return DropoutMask.factor(dropoutSeed, step, site, index, rate);
    }

    private boolean preNorm() { return c.norm() == TransformerConfig.NormPlacement.PRE; }

    static double[][] logSoftmax(double[][] x) {
        double[][] y = new double[x.length][x[0].length];
        for (int r = 0; r < x.length; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double v : x[r]) max = Math.max(max, v);
            for (double v : x[r]) sum += Math.exp(v - max);
            for (int j = 0; j < x[r].length; j++) y[r][j] = x[r][j] - max - Math.log(sum);
        }
        return y;
    }

    /**
     * The configured loss of log-probabilities [sentences * tgtLen, vocab] against targets: the
     * smoothed target q puts 1 - epsilon on the true token and epsilon / (vocab - 2) on every other
     * token but pad; a row's loss is KL(q || p) = sum q (log q - log p) or the cross-entropy
     * -sum q log p; pad-target rows count nothing. The sum is divided by 1 (SUM), rows * vocab
     * (MEAN), sentences (BATCHMEAN) or non-pad targets (TOKEN).
     */
    static double reducedLoss(TransformerConfig c, double[][] logProbs, int[] targets, int sentences) {
        int rows = logProbs.length, vocab = logProbs[0].length, tokens = 0;
        double eps = c.labelSmoothing(), sum = 0;
        for (int r = 0; r < rows; r++) {
            if (targets[r] == TransformerConfig.PAD) continue;
            tokens++;
            for (int v = 0; v < vocab; v++) {
                double q = v == TransformerConfig.PAD ? 0 : v == targets[r] ? 1 - eps : eps / (vocab - 2);
                if (q > 0) sum += c.loss() == TransformerConfig.LossKind.KL ? q * (Math.log(q) - logProbs[r][v]) : -q * logProbs[r][v];
            }
        }
        return sum / switch (c.reduction()) {
            case SUM -> 1;
            case MEAN -> (double) rows * vocab;
            case BATCHMEAN -> sentences;
            case TOKEN -> tokens;
        };
    }
}
