package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import tt.kernels.Buf;
import tt.kernels.Kernel;
import tt.kernels.KernelCost;
import tt.kernels.StepGraph;
import tt.model.AdamConfig;
import tt.model.BatchLimits;
import tt.model.Transformer;
import tt.model.TransformerConfig;
import tt.model.data.Batch;
import tt.model.data.EncodedPair;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Prints a step graph as the model builds it: every call's label, kernel and operands with their
 * shapes at a given batch, and the totals of floating-point operations and bytes touched.
 */
@Command(name = "graph", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print a model's step graph: each call's label, kernel, operands at the live sizes, FLOPs and bytes.")
public final class GraphCommand implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "tiny", description = "tiny, small, base or big (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--graph", defaultValue = "train_step",
            description = "train_step, update, evaluate, encode, decode_step or reorder_beams (default: ${DEFAULT-VALUE}).")
    String graph;

    @Option(names = "--vocab", defaultValue = "8000", description = "Shared vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--sentences", defaultValue = "32", description = "Sentences in the batch (default: ${DEFAULT-VALUE}).")
    int sentences;

    @Option(names = "--len", defaultValue = "32", description = "Tokens per sentence and side, </s> included (default: ${DEFAULT-VALUE}).")
    int len;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        if (sentences < 1 || len < 2 || vocab < 16) {
            throw new ParameterException(spec.commandLine(), "--sentences must be at least 1, --len at least 2 and --vocab at least 16");
        }
        TransformerConfig config = TransformerConfig.preset(preset, vocab);
        Transformer model = Transformer.create(config, new BatchLimits(sentences * len, sentences, len), AdamConfig.paper(), 1);
        Batch batch = fullBatch(sentences, len, vocab);
        model.setBatch(batch);
        StepGraph g = switch (graph) {
            case "train_step" -> model.trainStep;
            case "update" -> model.optimizer.update;
            case "evaluate" -> model.evaluate;
            case "encode", "decode_step", "reorder_beams" -> {
                decodingLastPosition(model, batch);
                yield graph.equals("encode") ? model.encode : graph.equals("decode_step") ? model.decodeStep : model.reorderBeams;
            }
            default -> throw new ParameterException(spec.commandLine(),
                    "--graph " + graph + ": use train_step, update, evaluate, encode, decode_step or reorder_beams");
        };
        print(System.out, model, g, String.format(Locale.ROOT, "%s of %s (%d layers, d_model %d, %d heads, d_ff %d, vocabulary %d), batch of %d x %d tokens per side",
                g.name(), preset, config.layers(), config.dModel(), config.heads(), config.dFF(), vocab, sentences, len));
        return 0;
    }

    /** Every sentence at the full length, so each live size is at the batch's value. */
    static Batch fullBatch(int sentences, int len, int vocab) {
        SplittableRandom random = new SplittableRandom(1);
        List<EncodedPair> pairs = new ArrayList<>();
        for (int i = 0; i < sentences; i++) {
            pairs.add(new EncodedPair(i, random.ints(len - 1, 4, vocab).toArray(), random.ints(len - 1, 4, vocab).toArray()));
        }
        return Batch.of(pairs);
    }

    /** Decoding the batch's sources at its last target position, where the caches are full. */
    private static void decodingLastPosition(Transformer model, Batch batch) {
        int n = batch.size(), srcLen = batch.sourceLength();
        int[][] sources = new int[n][];
        for (int i = 0; i < n; i++) sources[i] = Arrays.copyOfRange(batch.source(), i * srcLen, (i + 1) * srcLen);
        model.startDecoding(sources, batch.targetLength());
        model.setDecodePosition(batch.targetLength() - 1, new int[n]);
    }

    /** One line per call, then the totals. */
    static void print(PrintStream out, Transformer model, StepGraph g, String title) {
        int[] sizes = g.sizes().buffer().array();
        out.println(title + ": " + g.calls().size() + " calls");
        out.printf("%4s  %-48s %-20s %10s %10s  %s%n", "#", "label", "kernel", "MFLOP", "KiB", "operands [live shape]");
        double flops = 0, gemmFlops = 0, bytes = 0;
        for (StepGraph.Call c : g.calls()) {
            double f = KernelCost.flops(c.kernel(), sizes);
            List<StepGraph.Use> uses = g.uses(c);
            double b = KernelCost.bytes(g, c);
            flops += f;
            bytes += b;
            if (c.kernel() instanceof Kernel.Gemm) gemmFlops += f;
            out.printf(Locale.ROOT, "%4d  %-48s %-20s %10.2f %10.1f  %s%n", c.index(), c.label(), c.kernel().getClass().getSimpleName(),
                    f / 1e6, b / 1024, uses.stream().map(u -> operand(model, u)).collect(Collectors.joining(", ")));
        }
        out.printf(Locale.ROOT, "total: %.3f GFLOP (GEMM %.3f GFLOP, %.1f%%), %.1f MiB touched%n", flops / 1e9, gemmFlops / 1e9,
                flops > 0 ? 100 * gemmFlops / flops : 0, bytes / (1 << 20));
        out.println("buffers: " + model.memory());
    }

    /** "name [live shape]": the declared shape with its first dimension cut to the elements in use. */
    private static String operand(Transformer model, StepGraph.Use u) {
        Buf b = u.buffer();
        int[] shape = model.declaredShape(b);
        long n = u.elements();
        if (shape == null || shape.length == 0) return b.name() + " [" + n + "]";
        long rest = Arrays.stream(shape).skip(1).asLongStream().reduce(1, (x, y) -> x * y);
        String dims = rest > 0 && n % rest == 0
                ? (n / rest) + Arrays.stream(shape).skip(1).mapToObj(d -> " x " + d).collect(Collectors.joining())
                : Long.toString(n);
        return b.name() + " [" + dims + "]";
    }
}
