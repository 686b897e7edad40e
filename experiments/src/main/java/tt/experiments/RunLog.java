package tt.experiments;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import tt.model.io.AtomicFile;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * runs.csv of one run: a row per logged training interval ("train"), per evaluation ("val"), for
 * the final test decode ("test") and for the test decodes of the best checkpoints averaged or
 * ensembled ("test-average", "test-ensemble": {@link BestCheckpoints}),
 * flushed as written so a crash loses nothing finished. On
 * resume, rows past the checkpoint's step are dropped (they will be produced again, identically),
 * as is a row torn by a crash mid-write, and the file is rewritten atomically before appending.
 */
final class RunLog implements AutoCloseable {
    /** The split of the final model's test row. */
    static final String TEST = "test";

    /** Whether a row is written once training is done: a test decode, of the final model or of best checkpoints. */
    static boolean afterTraining(Row r) {
        return r.split.equals(TEST) || Arrays.stream(BestCheckpoints.values()).anyMatch(way -> r.split.equals(way.split));
    }

    /**
     * One row. {@code loss} is the objective as optimised (configured loss and reduction, mean over
     * the interval's updates); {@code objective} the label-smoothed loss per target token;
     * {@code nll} the negative log-likelihood of the reference per target token, so that
     * exp(nll) is a perplexity; {@code tokens} counts non-pad target tokens trained on so far.
     * NaN means "not measured in this row" and is written as an empty cell.
     */
    record Row(String run, int seed, int step, int epoch, String split, long tokens, double elapsedSeconds, double lr,
               double loss, double objective, double nll, double accuracy, double bleu, double chrf, double exactMatch,
               double gradNorm, double tokensPerSecond) {
        /**
         * exp of the nll as written, so that a row read back and written again (on resume, when a
         * test row is appended, in the merged file) keeps every digit of a row written once.
         */
        double perplexity() { return Double.isNaN(nll) ? Double.NaN : Math.exp(Double.parseDouble(format(nll))); }

        Row withRun(String name) {
            return new Row(name, seed, step, epoch, split, tokens, elapsedSeconds, lr, loss, objective, nll, accuracy, bleu, chrf,
                    exactMatch, gradNorm, tokensPerSecond);
        }
    }

    /** The columns after the first (run, or variant in an experiment's merged file), in file order. */
    private static final List<Column> COLUMNS = List.of(
            new Column("seed", r -> r.seed), new Column("step", r -> r.step), new Column("epoch", r -> r.epoch),
            new Column("split", r -> r.split), new Column("tokens", r -> r.tokens), new Column("elapsed_s", r -> r.elapsedSeconds),
            new Column("lr", r -> r.lr), new Column("loss", r -> r.loss), new Column("objective", r -> r.objective),
            new Column("nll", r -> r.nll), new Column("perplexity", Row::perplexity), new Column("accuracy", r -> r.accuracy),
            new Column("bleu", r -> r.bleu), new Column("chrf", r -> r.chrf), new Column("exact_match", r -> r.exactMatch),
            new Column("grad_norm", r -> r.gradNorm), new Column("tokens_per_s", r -> r.tokensPerSecond));

    private record Column(String name, Function<Row, Object> value) {}

    private final CSVPrinter printer;

    private RunLog(CSVPrinter printer) { this.printer = printer; }

    /** Header of a run's file ({@code first} = "run") or of an experiment's merged file ("variant"). */
    static String[] header(String first) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(first), COLUMNS.stream().map(Column::name)).toArray(String[]::new);
    }

    /** Opens runs.csv for appending, keeping only the rows up to step {@code keepUpTo} (none when fresh) but the test rows, made last. */
    static RunLog open(Path file, int keepUpTo, boolean fresh) throws IOException {
        List<Row> kept = fresh ? List.of() : read(file).stream()
                .filter(r -> r.step <= keepUpTo && !afterTraining(r)).toList();
        write(file, "run", kept);
        Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return new RunLog(new CSVPrinter(w, CSVFormat.DEFAULT));
    }

    void row(Row r) throws IOException {
        printer.printRecord(cells(r));
        printer.flush();
    }

    @Override public void close() throws IOException { printer.close(); }

    /** Replaces {@code file} atomically with these rows under a header whose first column is {@code first}. */
    static void write(Path file, String first, List<Row> rows) throws IOException {
        AtomicFile.write(file, out -> {
            CSVPrinter p = new CSVPrinter(new OutputStreamWriter(out, StandardCharsets.UTF_8), CSVFormat.DEFAULT.builder().setHeader(header(first)).build());
            for (Row r : rows) p.printRecord(cells(r));
            p.flush();
        });
    }

    /**
     * The rows of a runs.csv (its first column named run or variant); an empty list if there is none.
     * A last row cut short by a crash is skipped; any other malformed row is an error naming the line.
     */
    static List<Row> read(Path file) throws IOException {
        if (!Files.exists(file)) return List.of();
        List<Row> rows = new ArrayList<>();
        try (CSVParser parser = CSVParser.parse(file, StandardCharsets.UTF_8, CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build())) {
            List<String> names = parser.getHeaderNames();
            if (names.size() != COLUMNS.size() + 1 || !names.subList(1, names.size()).equals(Arrays.asList(header("")).subList(1, names.size()))) {
                throw new IOException(file + ": not a runs.csv of this version (columns " + names + "); move it away or rerun with --force");
            }
            List<CSVRecord> records = parser.getRecords();
            for (int i = 0; i < records.size(); i++) {
                CSVRecord r = records.get(i);
                try {
                    rows.add(parse(r));
                } catch (RuntimeException e) {
                    if (i == records.size() - 1) break;  // torn by a crash mid-write: it will be written again
                    throw new IOException(file + ":" + (r.getRecordNumber() + 1) + ": malformed row (" + e.getMessage() + ")");
                }
            }
        } catch (java.io.UncheckedIOException | IllegalStateException e) {
            throw new IOException(file + ": unreadable CSV (" + e.getMessage() + ")", e);
        }
        return rows;
    }

    private static Row parse(CSVRecord r) {
        if (!r.isConsistent()) throw new IllegalArgumentException(r.size() + " cells instead of " + (COLUMNS.size() + 1));
        return new Row(r.get(0), Integer.parseInt(r.get("seed")), Integer.parseInt(r.get("step")), Integer.parseInt(r.get("epoch")),
                r.get("split"), Long.parseLong(r.get("tokens")), number(r, "elapsed_s"), number(r, "lr"), number(r, "loss"),
                number(r, "objective"), number(r, "nll"), number(r, "accuracy"), number(r, "bleu"), number(r, "chrf"),
                number(r, "exact_match"), number(r, "grad_norm"), number(r, "tokens_per_s"));
    }

    private static double number(CSVRecord r, String column) {
        String cell = r.get(column);
        return cell.isEmpty() ? Double.NaN : Double.parseDouble(cell);
    }

    private static List<String> cells(Row row) {
        List<String> cells = new ArrayList<>(COLUMNS.size() + 1);
        cells.add(row.run);
        for (Column c : COLUMNS) cells.add(format(c.value.apply(row)));
        return cells;
    }

    /** Integers as they are, reals to 6 significant digits, NaN as an empty cell. */
    private static String format(Object v) {
        if (v instanceof Double d) return d.isNaN() ? "" : String.format(Locale.ROOT, "%.6g", d);
        return String.valueOf(v);
    }
}
