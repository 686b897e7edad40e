package tt.experiments;

import tt.model.io.FileTrees;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The files a run writes into its directory, and the rule that a new run never mixes with an old one's. */
final class RunDirectory {
    static final String RUNS_CSV = "runs.csv", MANIFEST = "manifest.json", CHECKPOINTS = "checkpoints", LOG = "train.log",
            CELL = "cell.json", RESULT = "result.json", TEST_HYPOTHESES = "test.hyp";
    /** What a run writes once training is done: its test outputs, which a run trained on no longer describe. */
    private static final List<String> TEST_OUTPUTS = List.of(TEST_HYPOTHESES, BestCheckpoints.AVERAGE.hypotheses, BestCheckpoints.ENSEMBLE.hypotheses,
            TokenReductionEval.CSV);
    /** Everything a run may leave in its directory (the lock file stays: removing it would race a process about to take it). */
    private static final List<String> RUN_FILES = Stream.concat(Stream.of(RUNS_CSV, MANIFEST, CHECKPOINTS, TaskData.TOKENIZER_FILE, LOG, CELL, RESULT),
            TEST_OUTPUTS.stream()).toList();

    private RunDirectory() {}

    /** The run files present in {@code dir}. */
    static List<Path> runFiles(Path dir) { return present(dir, RUN_FILES); }

    /** The test outputs present in {@code dir}. */
    static List<Path> testOutputs(Path dir) { return present(dir, TEST_OUTPUTS); }

    private static List<Path> present(Path dir, List<String> names) {
        return names.stream().map(dir::resolve).filter(Files::exists).toList();
    }

    /**
     * Makes {@code dir} ready for a new run: refused if it holds another run's files, unless
     * {@code force}, which deletes them and says which. {@code option} names the directory's option.
     * The caller holds the directory ({@link RunLock}), so nobody is writing these files.
     */
    static void claimFresh(Path dir, boolean force, String option, PrintStream out) throws IOException {
        List<Path> old = runFiles(dir);
        if (old.isEmpty()) return;
        if (!force) {
            throw new IllegalArgumentException(option + " " + dir + " already holds a run (" + names(old)
                    + "); pass --resume to continue it, --force to delete it and start afresh, or choose another " + option);
        }
        out.println("--force: deleting " + names(old) + " in " + dir);
        for (Path p : old) FileTrees.delete(p);
    }

    static String names(List<Path> files) {
        return String.join(", ", files.stream().map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : "")).toList());
    }
}
