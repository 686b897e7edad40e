package tt.experiments;

import tt.model.io.FileTrees;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The files a run writes into its directory, and the rule that a new run never mixes with an old one's. */
final class RunDirectory {
    static final String RUNS_CSV = "runs.csv", MANIFEST = "manifest.json", CHECKPOINTS = "checkpoints", LOG = "train.log",
            CELL = "cell.json", RESULT = "result.json", TEST_HYPOTHESES = "test.hyp";
    /** Everything a run may leave in its directory (the lock file stays: removing it would race a process about to take it). */
    private static final List<String> RUN_FILES = List.of(RUNS_CSV, MANIFEST, CHECKPOINTS, TaskData.TOKENIZER_FILE, LOG, CELL, RESULT,
            TEST_HYPOTHESES, BestCheckpoints.AVERAGE.hypotheses, BestCheckpoints.ENSEMBLE.hypotheses);

    private RunDirectory() {}

    /** The run files present in {@code dir}. */
    static List<Path> runFiles(Path dir) {
        return RUN_FILES.stream().map(dir::resolve).filter(Files::exists).toList();
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
