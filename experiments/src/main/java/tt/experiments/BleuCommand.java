package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import tt.model.eval.Bleu;
import tt.model.eval.ChrF;
import tt.model.eval.ErrorRate;
import tt.model.eval.SegmentFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tt bleu REF... < HYP}: the lines {@code sacrebleu REF... -m bleu chrf -f text < HYP} prints,
 * one per metric, each with sacreBLEU's signature (what papers quote with the score).
 */
@Command(name = "bleu", description = "Score detokenized hypotheses against"
        + " references with sacreBLEU 2.x's defaults: BLEU (13a tokens, exp smoothing) and chrF2; also CER and WER in"
        + " percent. Files are UTF-8, plain or .gz, one segment per line.")
public final class BleuCommand implements Callable<Integer> {
    enum Metric { bleu, chrf, cer, wer } // spelled as typed after --metrics

    @Parameters(arity = "1..*", paramLabel = "REF_FILE", description = "Reference files, one per reference set.")
    List<Path> referenceFiles;

    @Option(names = {"-i", "--input"}, paramLabel = "HYP_FILE", description = "Hypotheses (default: standard input).")
    Path input;

    @Option(names = {"-m", "--metrics"}, split = ",", defaultValue = "bleu", paramLabel = "METRIC",
            description = "Comma-separated: bleu, chrf, cer, wer (default: ${DEFAULT-VALUE}).")
    EnumSet<Metric> metrics;

    @Option(names = {"-lc", "--lowercase"}, description = "Case-insensitive BLEU, as sacreBLEU's -lc (signature case:lc): how"
            + " papers that score lowercased text report theirs.")
    boolean lowercase;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Spec CommandSpec spec;

    private final InputStream stdin;

    public BleuCommand() { this(System.in); }

    BleuCommand(InputStream stdin) { this.stdin = stdin; }

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if ((metrics.contains(Metric.cer) || metrics.contains(Metric.wer)) && referenceFiles.size() != 1) {
            throw new ParameterException(spec.commandLine(), "--metrics cer and wer take exactly one REF_FILE, got " + referenceFiles.size());
        }
        String hypName = input != null ? input.toString() : "standard input";
        List<String> hypotheses;
        List<List<String>> references = new ArrayList<>();
        try {
            hypotheses = input != null ? SegmentFiles.read(input) : SegmentFiles.read(stdin, hypName);
            for (Path file : referenceFiles) references.add(SegmentFiles.read(file));
        } catch (IOException e) {
            err.println("tt bleu: " + e.getMessage());
            return 1;
        }
        for (int r = 0; r < references.size(); r++) {
            if (references.get(r).size() != hypotheses.size()) {
                throw new ParameterException(spec.commandLine(), String.format(Locale.ROOT,
                        "%s has %d lines but reference %s has %d lines", hypName, hypotheses.size(),
                        referenceFiles.get(r), references.get(r).size()));
            }
        }
        try {
            List<String> lines = new ArrayList<>();
            for (Metric metric : metrics) {
                lines.add(switch (metric) {
                    case bleu -> Bleu.corpus(hypotheses, references, lowercase).withSignature(references.size());
                    case chrf -> ChrF.corpus(hypotheses, references).withSignature(references.size());
                    case cer -> "CER = " + String.format(Locale.ROOT, "%.2f", ErrorRate.cer(hypotheses, references.getFirst()));
                    case wer -> "WER = " + String.format(Locale.ROOT, "%.2f", ErrorRate.wer(hypotheses, references.getFirst()));
                });
            }
            // As sacreBLEU's text format: the names and signatures right-aligned, so the " = " line up.
            int width = lines.stream().mapToInt(l -> l.indexOf(" = ")).max().orElse(0);
            for (String line : lines) out.println(" ".repeat(width - line.indexOf(" = ")) + line);
        } catch (IllegalArgumentException e) { // e.g. an error rate against empty references
            err.println("tt bleu: " + e.getMessage());
            return 1;
        }
        out.flush();
        return 0;
    }
}
