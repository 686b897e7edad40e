package tt.experiments;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import tt.model.io.AtomicFile;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * runs.csv of one run: one row per logged training interval or evaluation, flushed as written so
 * a crash loses nothing finished. On resume, rows past the checkpoint's step are dropped (they
 * will be produced again, identically) and the file is rewritten atomically before appending.
 */
final class RunLog implements AutoCloseable {
    static final String[] COLUMNS = {"run", "seed", "step", "epoch", "split", "loss", "token_loss", "perplexity",
            "accuracy", "bleu", "chrf", "exact_match", "lr", "grad_norm", "tokens_per_s", "elapsed_s"};

    private final CSVPrinter printer;

    private RunLog(CSVPrinter printer) { this.printer = printer; }

    /** Opens runs.csv for appending, keeping only rows with step <= keepUpTo (all rows when fresh). */
    static RunLog open(Path file, int keepUpTo, boolean fresh) throws IOException {
        List<CSVRecord> kept = new ArrayList<>();
        if (!fresh && Files.exists(file)) {
            try (CSVParser parser = CSVParser.parse(file, StandardCharsets.UTF_8, format(false))) {
                for (CSVRecord r : parser) if (Integer.parseInt(r.get("step")) <= keepUpTo) kept.add(r);
            }
        }
        AtomicFile.write(file, out -> {
            Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
            CSVPrinter p = new CSVPrinter(w, format(true));
            for (CSVRecord r : kept) p.printRecord(r.toList());
            p.flush();
        });
        Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return new RunLog(new CSVPrinter(w, CSVFormat.DEFAULT));
    }

    private static CSVFormat format(boolean writeHeader) {
        CSVFormat.Builder b = CSVFormat.DEFAULT.builder().setHeader(COLUMNS);
        return writeHeader ? b.build() : b.setSkipHeaderRecord(true).build();
    }

    /** One row; values in COLUMNS order, NaN written as an empty cell. */
    void row(Object... values) throws IOException {
        List<String> cells = new ArrayList<>(values.length);
        for (Object v : values) {
            if (v instanceof Double d) cells.add(d.isNaN() ? "" : String.format(Locale.ROOT, "%.6g", d));
            else if (v instanceof Float f) cells.add(f.isNaN() ? "" : String.format(Locale.ROOT, "%.6g", f));
            else cells.add(String.valueOf(v));
        }
        printer.printRecord(cells);
        printer.flush();
    }

    @Override public void close() throws IOException { printer.close(); }
}
