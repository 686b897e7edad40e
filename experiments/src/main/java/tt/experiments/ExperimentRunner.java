package tt.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import tt.experiments.ExperimentSpec.Cell;
import tt.kernels.Backend;
import tt.model.Checkpoint;
import tt.model.LengthPenalty;
import tt.model.io.AtomicFile;
import tt.model.io.FileTrees;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Runs an experiment's cells, each a training run in OUT/EXPERIMENT/runs/VARIANT/seed-N holding
 * cell.json (what the cell is, to notice a changed spec), its run files and, once done,
 * result.json. A rerun skips finished cells, resumes interrupted ones from their last checkpoint
 * (and finished ones whose spec now asks only for more updates, as fairseq trains on with a raised
 * --max-update) and starts the rest; cells run one at a time or K at a time with the threads split
 * between them, which changes no number. Results are merged and summarised by {@link #summarize}.
 */
final class ExperimentRunner {
    /** Where a cell stands. */
    enum Status { PENDING, INTERRUPTED, LENGTHENED, RUNNING, FINISHED, DIVERGED, FAILED, CHANGED }

    record CellState(Cell cell, Status status, String detail) {}

    final ExperimentSpec spec;
    final Path dir;
    private final PrintStream terminal;

    ExperimentRunner(ExperimentSpec spec, Path out, PrintStream terminal) {
        this.spec = spec;
        this.dir = out.resolve(spec.name);
        this.terminal = terminal;
    }

    // ---- what a cell is, and where it stands ----

    /** What a cell trains: if this changes, its results are no longer the spec's. */
    private ObjectNode identity(Cell c) {
        ObjectNode id = Json.MAPPER.createObjectNode();
        id.put("variant", c.variant().name()).put("seed", c.seed());
        id.set("options", c.options().identity());
        JsonNode test = Json.MAPPER.valueToTree(spec.test);
        if (test instanceof ObjectNode t && spec.test.beam() == 1) t.remove(TrainOptions.BEAM_ONLY);  // greedy: no length penalty
        // Token reductions, best checkpoints combined and ensembles of seeds are decoded apart from the cell, whenever its results lack them: they do not change what it is.
        if (test instanceof ObjectNode t) t.remove(List.of("reductions", "averageBest", "ensembleBest", "ensemble", "ensembleLengthPenalties"));
        id.set("test", test);
        return (ObjectNode) Json.reparse(id);
    }

    CellState state(Cell c) throws IOException {
        Path d = c.dir(dir);
        String owner = RunLock.owner(d);
        if (!owner.isEmpty() && !owner.equals("this process")) return new CellState(c, Status.RUNNING, "in use by " + owner);
        if (RunDirectory.runFiles(d).isEmpty()) return new CellState(c, Status.PENDING, "");
        JsonNode saved = readJson(d.resolve(RunDirectory.CELL));
        if (saved == null) {
            return new CellState(c, Status.CHANGED, "holds " + RunDirectory.names(RunDirectory.runFiles(d)) + " but no " + RunDirectory.CELL
                    + ", so not a run of this experiment");
        }
        JsonNode before = saved.path("identity");
        ObjectNode now = identity(c);
        List<String> changes = differences(before, now);
        Path checkpoints = d.resolve(RunDirectory.CHECKPOINTS);
        boolean checkpointed = Checkpoint.exists(checkpoints);
        boolean lengthened = !changes.isEmpty() && checkpointed && c.options().lengthens() && onlyMoreSteps(before, now);
        if (!changes.isEmpty() && !lengthened) return new CellState(c, Status.CHANGED, String.join(", ", changes));
        JsonNode result = readJson(d.resolve(RunDirectory.RESULT));
        String status = result == null ? "" : result.path("status").asText();
        String at = checkpointed ? "checkpoint " + Checkpoint.latest(checkpoints).getFileName() : "no checkpoint";
        if (status.equals("finished")) return lengthened ? new CellState(c, Status.LENGTHENED, changes.getFirst() + ", on from " + at)
                : new CellState(c, Status.FINISHED, "");
        if (status.equals("diverged")) return new CellState(c, Status.DIVERGED, result.path("message").asText());
        if (status.equals("failed")) return new CellState(c, Status.FAILED, result.path("message").asText() + " (" + at + ")");
        return checkpointed ? new CellState(c, Status.INTERRUPTED, at) : new CellState(c, Status.PENDING, "started, " + at);
    }

    /**
     * Whether the only difference between two identities is a higher steps. With a schedule that
     * does not depend on it, a cell trained to the lower steps made the updates of one trained to the
     * higher from the start, so it trains on from its last checkpoint; its evaluations and
     * checkpoints are those of the longer run too if the lower steps was a multiple of
     * eval-every and checkpoint-every (else the extra ones made at its last update stay).
     */
    private static boolean onlyMoreSteps(JsonNode before, JsonNode now) {
        JsonNode was = before.path("options").path("steps"), is = now.path("options").path("steps");
        if (!was.canConvertToInt() || !is.canConvertToInt() || was.asInt() >= is.asInt()) return false;
        ObjectNode raised = before.deepCopy();  // an object: it has options.steps
        raised.withObject("options").set("steps", is);
        return differences(raised, now).isEmpty();
    }

    /** "options.lr: 1.0 -> 2.0" for every field that differs between two identities. */
    private static List<String> differences(JsonNode before, JsonNode now) {
        List<String> out = new ArrayList<>();
        for (String part : List.of("variant", "seed", "options", "test")) {
            JsonNode a = before.path(part), b = now.path(part);
            if (a.equals(b)) continue;
            if (!a.isObject() || !b.isObject()) {
                out.add(part + ": " + a + " -> " + b);
                continue;
            }
            java.util.Set<String> fields = new java.util.TreeSet<>();
            a.fieldNames().forEachRemaining(fields::add);
            b.fieldNames().forEachRemaining(fields::add);
            // An option the cell's version did not have yet (absent before) is one it ran at that option's default;
            // one absent now has no effect on the cell (e.g. a length penalty with greedy decoding).
            for (String f : fields) if (a.has(f) && b.has(f) && !a.path(f).equals(b.path(f))) out.add(f + ": " + a.path(f) + " -> " + b.path(f));
        }
        return out;
    }

    private static JsonNode readJson(Path file) throws IOException {
        if (!Files.exists(file)) return null;
        try {
            return Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": unreadable (" + e.getMessage() + "); delete the cell's directory to rerun it", e);
        }
    }

    // ---- running ----

    /** How the cells of one invocation run: backends with so many threads each, so many cells at a time. */
    record Plan(IntFunction<Backend> backends, int threads, int parallel, boolean force) {}

    /**
     * Runs the given cells that are not finished; returns how many failed. Cells whose spec
     * changed are refused (before anything runs) unless {@code force}, which discards them.
     */
    int run(List<Cell> cells, Plan plan) throws IOException, InterruptedException {
        List<CellState> states = new ArrayList<>();
        for (Cell c : cells) states.add(state(c));
        List<CellState> changed = states.stream().filter(s -> s.status() == Status.CHANGED).toList();
        if (!changed.isEmpty() && !plan.force()) {
            StringBuilder b = new StringBuilder("the spec changed for " + changed.size() + " cell(s) that already ran:");
            for (CellState s : changed) b.append("\n  ").append(s.cell().label()).append(" (").append(s.cell().dir(dir)).append("): ").append(s.detail());
            b.append("\nrerun with --force to discard their results and train them again, or give the experiment a new name");
            throw new IllegalArgumentException(b.toString());
        }
        for (CellState s : changed) {
            terminal.println("--force: discarding " + s.cell().label() + " (" + s.detail() + "): "
                    + RunDirectory.names(RunDirectory.runFiles(s.cell().dir(dir))) + " in " + s.cell().dir(dir));
        }
        List<Cell> todo = new ArrayList<>();
        for (CellState s : states) {
            switch (s.status()) {
                case FINISHED -> terminal.println("cell " + s.cell().index() + " " + s.cell().label() + ": finished, skipped");
                case DIVERGED -> terminal.println("cell " + s.cell().index() + " " + s.cell().label() + ": diverged before, skipped (the same seed would again)");
                case RUNNING -> terminal.println("cell " + s.cell().index() + " " + s.cell().label() + ": " + s.detail() + ", skipped");
                default -> todo.add(s.cell());
            }
        }
        if (todo.isEmpty()) return decodeApart(cells, plan);
        int threadsEach = Math.max(1, plan.threads() / Math.min(plan.parallel(), todo.size()));
        terminal.printf("%s: %d cell(s) to run, %d at a time, %d thread(s) each; logs in %s/runs/VARIANT/seed-N/%s%n",
                spec.name, todo.size(), Math.min(plan.parallel(), todo.size()), threadsEach, dir, RunDirectory.LOG);
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(plan.parallel(), todo.size()));
        int failed = 0;
        try {
            List<Future<Boolean>> done = new ArrayList<>();
            for (Cell c : todo) done.add(pool.submit(() -> runCell(c, plan, threadsEach)));
            for (Future<Boolean> f : done) {
                try {
                    if (!f.get()) failed++;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Interrupts.Stopped stopped) throw stopped;
                    if (e.getCause() instanceof IOException io) throw io;
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            pool.shutdown();
        }
        return failed + decodeApart(cells, plan);
    }

    /** What the test section decodes apart from training, for finished cells that lack it; returns how many cells failed. */
    private int decodeApart(List<Cell> cells, Plan plan) throws IOException {
        if (spec.test == null) return 0;
        int failed = 0;
        for (BestCheckpoints way : BestCheckpoints.values()) {
            if (way.count(spec.test) == 0) continue;
            failed += decodeFinishedCells(cells, plan, "decoding with " + way.participle + " best checkpoints",
                    d -> RunLog.read(d.resolve(RunDirectory.RUNS_CSV)).stream().anyMatch(r -> r.split().equals(way.split)),
                    (c, d, backend) -> decodeBest(c, d, backend, way));
        }
        if (!spec.test.reductions().isEmpty())
            failed += decodeFinishedCells(cells, plan, "decoding under token reduction",
                    d -> TokenReductionEval.covers(d.resolve(TokenReductionEval.CSV), spec.test.reductions()),
                    this::decodeReductions);
        if (spec.test.ensemble()) failed += decodeEnsembles(plan);
        return failed;
    }

    /**
     * With test.ensemble: each variant whose seeds all finished decodes the test set with the
     * ensemble of their checkpoints (each seed as {@link BestCheckpoints#seedMembers} says: its N
     * best with ensemble-best, else its average of them with average-best, else its final one),
     * unless its ensemble directory already holds that ensemble's result. Returns how many
     * variants failed.
     */
    private int decodeEnsembles(Plan plan) throws IOException {
        int failed = 0;
        for (ExperimentSpec.Variant v : spec.variants) {
            List<Cell> seeds = spec.cells.stream().filter(c -> c.variant() == v).toList();
            if (!seeds.getFirst().options().arch.equals("encoder-decoder")) continue;
            List<String> unfinished = new ArrayList<>();
            for (Cell c : seeds) {
                Status status = state(c).status();
                if (status != Status.FINISHED) unfinished.add("seed " + c.seed() + " " + status.name().toLowerCase(java.util.Locale.ROOT));
            }
            if (!unfinished.isEmpty()) {
                terminal.println("ensemble of " + v.name() + ": waits for every seed to finish (" + String.join(", ", unfinished) + ")");
                continue;
            }
            List<Path> members = new ArrayList<>();
            BestCheckpoints way = BestCheckpoints.seedMembers(spec.test);
            try {
                for (Cell c : seeds) {
                    Path d = c.dir(dir);
                    if (way == null) members.add(LoadedCheckpoint.resolve(d, "experiment"));
                    else if (way == BestCheckpoints.AVERAGE) members.add(averagedBest(d, way.count(spec.test)));
                    else members.addAll(bestCheckpoints(d, way.count(spec.test)));
                }
            } catch (RuntimeException ex) {
                terminal.printf("ensemble of %s: FAILED: %s%n", v.name(), ex.getMessage() != null ? ex.getMessage() : ex.toString());
                failed++;
                continue;
            }
            List<String> names = members.stream().map(p -> dir.relativize(p).toString()).toList();
            List<LengthPenalty> penalties = spec.test.ensemblePenalties();
            Path e = Ensembles.dir(dir, v);
            Ensembles.Result done = Ensembles.read(e);
            if (done != null && done.members().equals(names) && done.searched().equals(penalties.stream().map(LengthPenalty::alpha).toList())) continue;
            if (Interrupts.requested()) throw new Interrupts.Stopped(0, "stopped before decoding the ensemble of " + v.name());
            try (RunLock _ = RunLock.acquire(e, terminal); Backend backend = plan.backends().apply(plan.threads())) {
                decodeEnsemble(v.name(), seeds.getFirst(), members, names, penalties, e, backend);
            } catch (RuntimeException ex) {
                terminal.printf("ensemble of %s: decoding FAILED: %s%n", v.name(), ex.getMessage() != null ? ex.getMessage() : ex.toString());
                failed++;
            }
        }
        return failed;
    }

    /**
     * The test set decoded by an ensemble of {@code members} into {@code ensembleDir}: with several
     * length penalties, the one whose validation BLEU is best (ties: the first given).
     */
    private void decodeEnsemble(String variant, Cell first, List<Path> members, List<String> names, List<LengthPenalty> penalties, Path ensembleDir,
                                Backend backend) throws IOException {
        terminal.printf("ensemble of %s: %s%n", variant, String.join(" + ", names));
        LengthPenalty chosen = penalties.getFirst();
        List<Ensembles.ValidationScore> validation = new ArrayList<>();
        if (penalties.size() > 1) {
            double best = Double.NEGATIVE_INFINITY;
            for (LengthPenalty p : penalties) {  // one at a time, each reported as it ends: ten models take minutes per power
                TokenReductionEval.Result r = decode(first, members, backend, TaskData.Split.VAL, p, NO_REDUCTION, false).getFirst();
                validation.add(new Ensembles.ValidationScore(p.alpha(), r.bleu(), r.decoded().bleuScore().ratio()));
                terminal.printf(java.util.Locale.ROOT, "ensemble of %s: val BLEU %.2f (length ratio %.3f, %.0f s) with %s%n", variant, r.bleu(),
                        r.decoded().bleuScore().ratio(), r.seconds(), r.search());
                if (r.bleu() > best) {
                    best = r.bleu();
                    chosen = p;
                }
            }
        }
        terminal.printf("ensemble of %s: decoding the test set with beam %d, length penalty %s%n", variant, spec.test.beam(), chosen);
        TokenReductionEval.Result r = decode(first, members, backend, TaskData.Split.TEST, chosen, NO_REDUCTION, false).getFirst();
        writeLines(ensembleDir.resolve(RunDirectory.TEST_HYPOTHESES), r.decoded().hypotheses());
        writeJson(ensembleDir.resolve(RunDirectory.RESULT), new Ensembles.Result(names, r.beam(), r.penalty().alpha(), r.bleu(), r.chrf(),
                r.decoded().exactMatch(), r.seconds(), validation));
        terminal.printf(java.util.Locale.ROOT, "ensemble of %s: test BLEU %.2f, chrF %.2f (%.0f s)%n", variant, r.bleu(), r.chrf(), r.seconds());
    }

    /** Whether a cell's directory already holds what a decoding pass adds. */
    private interface Holds { boolean test(Path cellDir) throws IOException; }

    /** One decoding pass over one cell, under the cell's lock. */
    private interface CellDecoding { void decode(Cell c, Path cellDir, Backend backend) throws IOException; }

    /**
     * Runs {@code decoding} on each finished encoder-decoder cell that does not yet hold its result,
     * one cell at a time (their times compare) with all threads; a cell that fails is reported and
     * counted, and the others still run. Returns how many failed.
     */
    private int decodeFinishedCells(List<Cell> cells, Plan plan, String what, Holds holds, CellDecoding decoding) throws IOException {
        int failed = 0;
        for (Cell c : cells) {
            Path d = c.dir(dir);
            if (state(c).status() != Status.FINISHED || !c.options().arch.equals("encoder-decoder") || holds.test(d)) continue;
            if (Interrupts.requested()) throw new Interrupts.Stopped(0, "stopped before " + what + " for " + c.label());
            try (RunLock _ = RunLock.acquire(d, terminal); Backend backend = plan.backends().apply(plan.threads())) {
                decoding.decode(c, d, backend);
            } catch (RuntimeException e) {
                terminal.printf("cell %d %s: %s FAILED: %s%n", c.index(), c.label(), what, e.getMessage() != null ? e.getMessage() : e.toString());
                failed++;
            }
        }
        return failed;
    }

    /**
     * With test.average-best N or ensemble-best N: the cell's N best checkpoints decode the test set
     * as the final model did, averaged into one (as {@code tt average --best N}, into
     * checkpoints/average-best-N) or as an ensemble; the hypotheses go to the way's file
     * (test.average.hyp, test.ensemble.hyp) and the scores to its row of runs.csv.
     */
    private void decodeBest(Cell c, Path d, Backend backend, BestCheckpoints way) throws IOException {
        int n = way.count(spec.test);
        Path runsCsv = d.resolve(RunDirectory.RUNS_CSV);
        List<Path> best = bestCheckpoints(d, n), models = best;
        if (way == BestCheckpoints.AVERAGE) {
            Path averaged = averagedBest(d, n);
            Checkpoint.average(best, averaged);
            models = List.of(averaged);
        }
        terminal.printf("cell %d %s: decoding the test set with %s of %s%n", c.index(), c.label(), way.noun,
                String.join(", ", best.stream().map(p -> p.getFileName().toString()).toList()));
        TrainingRun.Decoded decoded = decode(c, models, backend, TaskData.Split.TEST, spec.test.penalty(), NO_REDUCTION, false).getFirst().decoded();
        writeLines(d.resolve(way.hypotheses), decoded.hypotheses());
        List<RunLog.Row> rows = new ArrayList<>(RunLog.read(runsCsv));
        RunLog.Row last = rows.getLast();
        rows.add(new RunLog.Row(last.run(), last.seed(), last.step(), last.epoch(), way.split, last.tokens(), last.elapsedSeconds(),
                Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, decoded.bleu(), decoded.chrf(), decoded.exactMatch(), Double.NaN, Double.NaN));
        RunLog.write(runsCsv, "run", rows);
        terminal.printf(java.util.Locale.ROOT, "cell %d %s: test with %s of the %d best checkpoints: BLEU %.2f, chrF %.2f%n",
                c.index(), c.label(), way.noun, n, decoded.bleu(), decoded.chrf());
    }

    /** Where a cell's average of its n best checkpoints goes (as {@code tt average --best n} puts it). */
    private static Path averagedBest(Path cellDir, int n) {
        return cellDir.resolve(RunDirectory.CHECKPOINTS).resolve(AverageCommand.averagedName(false, n));
    }

    /** The cell's n best checkpoints by its validation metric, best first; refused if it kept fewer. */
    private static List<Path> bestCheckpoints(Path cellDir, int n) throws IOException {
        Path best = cellDir.resolve(RunDirectory.CHECKPOINTS).resolve(Checkpoint.BEST);
        List<Path> ranked = AverageCommand.bestFirst(Checkpoint.steps(best));
        if (ranked.size() < n) throw new IllegalStateException(best + " holds " + ranked.size() + " checkpoint(s), not " + n
                + " (checkpoints are not committed with results: a cell checked out without them trains again once its directory is deleted)");
        return ranked.subList(0, n);
    }

    /**
     * The test section's token reductions: the cell's final checkpoint decodes the test set under
     * each, and token-reduction.csv records them.
     */
    private void decodeReductions(Cell c, Path d, Backend backend) throws IOException {
        terminal.printf("cell %d %s: decoding the test set under %d token reductions%n", c.index(), c.label(), spec.test.reductions().size());
        Path checkpoint = LoadedCheckpoint.resolve(d, "experiment");
        List<TokenReductionEval.Result> results = decode(c, List.of(checkpoint), backend, TaskData.Split.TEST, spec.test.penalty(),
                spec.test.reductions(), true);
        TokenReductionEval.writeCsv(d.resolve(TokenReductionEval.CSV), results);
        for (TokenReductionEval.Result r : results) {
            terminal.printf(java.util.Locale.ROOT, "cell %d %s: %s: source tokens kept %.3f, BLEU %.2f, chrF %.2f, %.1f s%n", c.index(), c.label(),
                    r.reduction() == null ? "whole source" : r.reduction(), r.kept(), r.bleu(), r.chrf(), r.seconds());
        }
    }

    /** Decoding the whole source: no token reduction. */
    private static final List<tt.model.TokenReduction> NO_REDUCTION = java.util.Collections.singletonList(null);

    /**
     * A split decoded by {@code checkpoints} (several: their ensemble) with the test section's beam
     * and {@code penalty}, under each reduction (null: the whole source); the test split is
     * the test section's; {@code warmUp} as TokenReductionEval.run.
     */
    private List<TokenReductionEval.Result> decode(Cell c, List<Path> checkpoints, Backend backend, TaskData.Split split, LengthPenalty penalty,
                                                   List<tt.model.TokenReduction> reductions, boolean warmUp) throws IOException {
        TaskData.Heldout set = TaskData.heldout(c.options(), tt.model.text.Tokenizer.load(checkpoints.getFirst().resolve(Checkpoint.TOKENIZER)),
                split, spec.test.src(), spec.test.tgt(), spec.test.size());
        return TokenReductionEval.run(checkpoints, backend, reductions, List.of(spec.test.beam()), beam -> List.of(penalty),
                c.options().maxLen, c.options().maxTokens, set, warmUp, "experiment");
    }

    /** Trains one cell under its directory's lock; false if it failed (recorded in its result.json). */
    private boolean runCell(Cell c, Plan plan, int threads) throws IOException {
        if (Interrupts.requested()) throw new Interrupts.Stopped(0, "stopped before " + c.label() + " started");
        Path d = c.dir(dir);
        try (RunLock _ = RunLock.acquire(d, terminal)) {
            CellState s = state(c);
            if (s.status() == Status.FINISHED || s.status() == Status.DIVERGED) return true;
            boolean resume = Checkpoint.exists(d.resolve(RunDirectory.CHECKPOINTS)) && s.status() != Status.CHANGED;
            JsonNode previous = s.status() == Status.CHANGED ? null : readJson(d.resolve(RunDirectory.CELL));
            if (!resume) for (Path p : RunDirectory.runFiles(d)) FileTrees.delete(p);
            if (s.status() == Status.LENGTHENED) for (Path p : RunDirectory.testOutputs(d)) FileTrees.delete(p);  // the shorter run's
            Files.deleteIfExists(d.resolve(RunDirectory.RESULT));
            ObjectNode cellJson = Json.MAPPER.createObjectNode();
            cellJson.set("identity", identity(c));
            cellJson.put("index", c.index());
            cellJson.put("started", previous != null ? previous.path("started").asText() : Instant.now().toString());
            writeJson(d.resolve(RunDirectory.CELL), cellJson);

            terminal.printf("cell %d %s: %s%n", c.index(), c.label(), !resume ? "starting"
                    : s.status() == Status.LENGTHENED ? "training on (" + s.detail() + ")" : "resuming from " + s.detail());
            try (PrintStream log = cellOutput(d.resolve(RunDirectory.LOG), plan.parallel() > 1 ? "[" + c.label() + "] " : "");
                 Backend backend = plan.backends().apply(threads)) {
                TrainingRun.Result r;
                try {
                    r = new TrainingRun(c.options(), d, c.variant().name(), backend, log).run(resume, spec.test);
                } catch (Interrupts.Stopped stopped) {
                    throw stopped;  // not a failure: the cell resumes on the next run (TrainingRun logged where it stopped)
                } catch (TrainingRun.Diverged diverged) {
                    // An outcome, not a failure: the summary counts it, and a rerun does not retry what the seed fixes.
                    log.println(diverged.getMessage());
                    writeJson(d.resolve(RunDirectory.RESULT), Json.MAPPER.createObjectNode().put("status", "diverged")
                            .put("message", diverged.getMessage()).put("at", Instant.now().toString()));
                    terminal.printf("cell %d %s: %s%n", c.index(), c.label(), diverged.getMessage());
                    return true;
                } catch (RuntimeException | IOException | OutOfMemoryError e) {
                    String message = e.getMessage() != null ? e.getMessage() : e.toString();
                    e.printStackTrace(log);
                    writeJson(d.resolve(RunDirectory.RESULT), Json.MAPPER.createObjectNode().put("status", "failed").put("message", message)
                            .put("at", Instant.now().toString()));
                    terminal.printf("cell %d %s FAILED: %s (log: %s)%n", c.index(), c.label(), message, d.resolve(RunDirectory.LOG));
                    return false;
                }
                if (r.testHypotheses() != null) {
                    writeLines(d.resolve(RunDirectory.TEST_HYPOTHESES), r.testHypotheses());
                    if (!Files.exists(testReferences())) writeLines(testReferences(), r.testReferences());
                }
                writeJson(d.resolve(RunDirectory.RESULT), Json.MAPPER.createObjectNode().put("status", "finished")
                        .put("updates", c.options().steps).put("at", Instant.now().toString()));
                TrainingRun.Evaluation v = r.validation();
                terminal.printf("cell %d %s: finished%s%n", c.index(), c.label(), v == null ? ""
                        : String.format(java.util.Locale.ROOT, ", val NLL %.3f, BLEU %.2f", v.nll(), v.bleu()));
                return true;
            }
        }
    }

    /** The test set's references, written once by the first cell that decodes it (every cell decodes the same set). */
    Path testReferences() { return dir.resolve("test.ref"); }

    static void writeJson(Path file, Object value) throws IOException {
        byte[] bytes = Json.write(value).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, out -> out.write(bytes));
    }

    static void writeLines(Path file, List<String> lines) throws IOException {
        byte[] bytes = lines.stream().map(l -> l + "\n").collect(java.util.stream.Collectors.joining()).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, out -> out.write(bytes));
    }

    /**
     * A cell's output: each whole line goes to its train.log and, with {@code prefix} when cells
     * run side by side, to the terminal.
     */
    private PrintStream cellOutput(Path logFile, String prefix) throws IOException {
        OutputStream file = Files.newOutputStream(logFile, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        PrintStream screen = terminal;
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override public synchronized void write(int b) throws IOException {
                line.write(b);
                if (b == '\n') flushLine();
            }

            private void flushLine() throws IOException {
                byte[] bytes = line.toByteArray();
                line.reset();
                file.write(bytes);
                file.flush();
                screen.print(prefix + new String(bytes, StandardCharsets.UTF_8));
                screen.flush();
            }

            @Override public synchronized void close() throws IOException {
                if (line.size() > 0) flushLine();
                file.close();
            }
        }, true, StandardCharsets.UTF_8);
    }

    // ---- results ----

    /**
     * Merges the finished cells into OUT/EXPERIMENT/runs.csv, computes summary.csv, draws the
     * plots and writes manifest.json and report.md; every file is replaced atomically.
     */
    Summary summarize(String command) throws IOException {
        Files.createDirectories(dir);
        List<Summary.Finished> finished = new ArrayList<>();
        List<Cell> diverged = new ArrayList<>();
        List<CellState> states = new ArrayList<>();
        for (Cell c : spec.cells) {
            CellState s = state(c);
            states.add(s);
            if (s.status() == Status.DIVERGED) diverged.add(c);
            if (s.status() != Status.FINISHED) continue;
            Path hyps = c.dir(dir).resolve(RunDirectory.TEST_HYPOTHESES);
            finished.add(new Summary.Finished(c, RunLog.read(c.dir(dir).resolve(RunDirectory.RUNS_CSV)),
                    Files.exists(hyps) ? Files.readAllLines(hyps, StandardCharsets.UTF_8) : null));
        }
        // Without a test section, a test.ref left by an earlier spec scores nothing.
        List<String> references = spec.test != null && Files.exists(testReferences()) ? Files.readAllLines(testReferences(), StandardCharsets.UTF_8) : null;
        Summary summary = Summary.of(spec, finished, diverged, references);

        List<RunLog.Row> merged = new ArrayList<>();
        for (Summary.Finished f : finished) for (RunLog.Row r : f.rows()) merged.add(r.withRun(f.cell().variant().name()));
        RunLog.write(dir.resolve(RunDirectory.RUNS_CSV), "variant", merged);
        summary.writeCsv(dir.resolve("summary.csv"));
        List<String> plots = writePlots(summary);
        String decodedApart = java.util.stream.Stream.of(TokenReductionEval.summarize(dir, finished, plots), Ensembles.summarize(dir, spec, finished))
                .filter(section -> !section.isEmpty()).collect(java.util.stream.Collectors.joining("\n"));
        Map<String, Object> manifest = manifest(command, states);
        Manifest.write(dir.resolve(RunDirectory.MANIFEST), manifest);
        Report.write(dir.resolve("report.md"), spec, summary, references, decodedApart, states, plots, manifest, command);
        return summary;
    }

    /** The plots as paths relative to the experiment directory. */
    private List<String> writePlots(Summary s) throws IOException {
        Path plots = dir.resolve("plots");
        List<String> written = new ArrayList<>();
        if (s.finished.isEmpty()) return written;
        Figures.save(Figures.seedBands(s, "Validation NLL per target token (mean of seeds, band: min to max)", "NLL", RunLog.Row::nll), plots, "val_nll");
        written.add("plots/val_nll");
        Figures.save(Figures.seedBands(s, "Validation BLEU (mean of seeds, band: min to max)", "BLEU", RunLog.Row::bleu), plots, "val_bleu");
        written.add("plots/val_bleu");
        for (Summary.Metric m : s.headline()) {
            var chart = Figures.summaryBars(s, m);
            if (chart == null) continue;
            Figures.save(chart, plots, "summary_" + m.column());
            written.add("plots/summary_" + m.column());
        }
        return written;
    }

    /**
     * manifest.json: the spec and its hash, the command, this machine (code, JDK, OS, CPU), the
     * backends and devices the cells reported, and when the cells started and finished.
     */
    private Map<String, Object> manifest(String command, List<CellState> states) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("experiment", spec.name);
        m.put("spec_file", spec.file.name);
        m.put("spec_sha256", spec.sha256());
        m.put("command", command);
        m.putAll(Manifest.environment());
        java.util.Set<String> devices = new java.util.TreeSet<>(), commits = new java.util.TreeSet<>();
        String started = null, ended = null;
        for (CellState s : states) {
            Path d = s.cell().dir(dir);
            JsonNode run = readJson(d.resolve(RunDirectory.MANIFEST)), cell = readJson(d.resolve(RunDirectory.CELL));
            JsonNode result = readJson(d.resolve(RunDirectory.RESULT));
            if (run != null) {
                devices.add(run.path("backend").asText() + ": " + run.path("device").asText());
                commits.add(run.path("git_commit").asText());
            }
            if (cell != null && (started == null || cell.path("started").asText().compareTo(started) < 0)) started = cell.path("started").asText();
            if (s.status() == Status.FINISHED && result != null && (ended == null || result.path("at").asText().compareTo(ended) > 0)) {
                ended = result.path("at").asText();
            }
        }
        m.put("cell_backends", List.copyOf(devices));
        m.put("cell_git_commits", List.copyOf(commits));
        m.put("cells_planned", spec.cells.size());
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Status st : Status.values()) counts.put(st.name().toLowerCase(java.util.Locale.ROOT), states.stream().filter(s -> s.status() == st).count());
        m.put("cells", counts);
        m.put("started", started);
        m.put("finished", counts.get("finished") == spec.cells.size() ? ended : null);
        m.put("spec", spec.plain());
        return m;
    }

    /** The cells with their index and state, for --list. */
    List<CellState> states() throws IOException {
        List<CellState> out = new ArrayList<>();
        for (Cell c : spec.cells) out.add(state(c));
        return out;
    }
}
