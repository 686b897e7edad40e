package tt.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import tt.kernels.FloatBuf;
import tt.model.io.AtomicFile;
import tt.model.io.Checksums;
import tt.model.io.FileTrees;
import tt.model.io.Safetensors;
import tt.model.text.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.stream.Stream;

/**
 * Checkpoints of a training run, one directory per saved update under a checkpoints directory:
 * <pre>
 *   latest                    name of the newest complete checkpoint (replaced atomically)
 *   step-000200/model.safetensors      parameters, torch.nn.Transformer state_dict names
 *   step-000200/optimizer.safetensors  Adam moments exp_avg.NAME / exp_avg_sq.NAME
 *   step-000200/state.json             counters, data position, run options
 *   step-000200/tokenizer.json
 *   step-000200/SHA256SUMS             the four files' checksums, as sha256sum writes them
 *   best/step-000150/                  the best checkpoints by a validation metric, the same files
 * </pre>
 * A checkpoint is written under a temporary name and renamed when complete, and only then does
 * {@code latest} point to it, so a crash mid-write leaves the previous one in place. Every file is
 * checksummed, and every tensor too (metadata "sha256.NAME"), so a damaged checkpoint is refused
 * naming the file and tensor, and a resume falls back to the newest intact one. All randomness
 * is counter-based (batch order from (seed, epoch), dropout from (seed, batch counter)), so the
 * counters are the whole random state.
 */
public final class Checkpoint {
    public static final String MODEL = "model.safetensors", OPTIMIZER = "optimizer.safetensors",
            STATE = "state.json", TOKENIZER = "tokenizer.json", SUMS = "SHA256SUMS", LATEST = "latest";
    private static final List<String> FILES = List.of(MODEL, OPTIMIZER, STATE, TOKENIZER);
    private static final String TENSOR_SUM = "sha256.";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where {@link #saveBest} keeps its checkpoints, under a checkpoints directory. */
    public static final String BEST = "best";

    /**
     * Where a run stands besides the model: epoch, next batch of that epoch, seconds trained so far,
     * and whatever the runner needs to continue its logs exactly (kept as JSON, opaque here).
     */
    public record Position(int epoch, int batch, double elapsedSeconds, JsonNode runner) {}

    /** Everything in state.json: counters, position, the runner's state and the run's options. */
    record State(int updates, int microSteps, int epoch, int batch, double elapsedSeconds, JsonNode runner, JsonNode options) {}

    private Checkpoint() {}

    public static boolean exists(Path checkpoints) { return Files.exists(checkpoints.resolve(LATEST)); }

    /** The newest complete checkpoint directory. */
    public static Path latest(Path checkpoints) throws IOException {
        Path pointer = checkpoints.resolve(LATEST);
        if (!Files.exists(pointer)) {
            throw new IOException(checkpoints + ": no checkpoint here (" + LATEST + " is missing); train first or give the run directory");
        }
        return checkpoints.resolve(Files.readString(pointer, StandardCharsets.UTF_8).strip());
    }

    /**
     * Writes a checkpoint of the trainer's current update and points {@code latest} at it. Of the
     * others only the {@code keep - 1} newest below it are kept: higher steps belong to a timeline
     * this run left (it resumed from an earlier checkpoint), and must not crowd out the one just written.
     */
    public static void save(Path checkpoints, int keep, Trainer trainer, Tokenizer tokenizer, Position position, JsonNode options)
            throws IOException {
        String name = write(checkpoints, trainer, tokenizer, position, options);
        AtomicFile.write(checkpoints.resolve(LATEST), out -> out.write(name.getBytes(StandardCharsets.UTF_8)));
        List<Path> older = steps(checkpoints).stream().filter(p -> !p.getFileName().toString().equals(name)).toList();
        List<Path> kept = older.stream().filter(p -> p.getFileName().toString().compareTo(name) < 0).limit(keep - 1).toList();
        for (Path p : older) if (!kept.contains(p)) FileTrees.delete(p);
    }

    /**
     * Writes a checkpoint of the trainer's current update into checkpoints/best/, then deletes the
     * best checkpoints whose updates are not in {@code keepUpdates} (those the caller still ranks).
     */
    public static void saveBest(Path checkpoints, List<Integer> keepUpdates, Trainer trainer, Tokenizer tokenizer, Position position,
                                JsonNode options) throws IOException {
        Path best = checkpoints.resolve(BEST);
        write(best, trainer, tokenizer, position, options);
        for (Path p : steps(best)) if (!keepUpdates.contains(updates(p))) FileTrees.delete(p);
    }

    /** The step-N checkpoint directories in {@code dir}, newest first (none if it does not exist). */
    public static List<Path> steps(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> all = Files.list(dir)) {
            return all.filter(p -> p.getFileName().toString().matches("step-\\d+")).sorted(Comparator.reverseOrder()).toList();
        }
    }

    /** The update a step-N checkpoint directory was saved at, read off its name. */
    public static int updates(Path stepDir) { return Integer.parseInt(stepDir.getFileName().toString().substring("step-".length())); }

    /** Writes step-N of the trainer's update into {@code parent} under a temporary name, renamed when complete; returns the name. */
    private static String write(Path parent, Trainer trainer, Tokenizer tokenizer, Position position, JsonNode options) throws IOException {
        Transformer model = trainer.model();
        trainer.backend().download(model.stateBuffers().toArray(tt.kernels.Buf[]::new));
        String name = String.format("step-%06d", trainer.updates());
        Path tmp = parent.resolve("." + name + ".tmp"), dir = parent.resolve(name);
        try {
            FileTrees.delete(tmp);
            Files.createDirectories(tmp);
            withSums(fileTensors(model.parameters()), modelMetadata(model.config)).write(tmp.resolve(MODEL));
            withSums(fileTensors(model.optimizer.checkpointTensors(model.parameters())), Map.of("step", Integer.toString(trainer.updates())))
                    .write(tmp.resolve(OPTIMIZER));
            Trainer.Counters c = trainer.counters();
            byte[] state = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new State(c.updates(), c.microSteps(),
                    position.epoch(), position.batch(), position.elapsedSeconds(), position.runner(), options));
            AtomicFile.write(tmp.resolve(STATE), out -> out.write(state));
            tokenizer.save(tmp.resolve(TOKENIZER));
            writeSums(tmp, FILES);
            FileTrees.delete(dir);
            Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                FileTrees.delete(tmp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new IOException("writing checkpoint " + dir + " failed (" + Checksums.reason(e) + "); "
                    + (exists(parent) ? "the previous checkpoint, " + latest(parent).getFileName() + ", is kept" : "no earlier checkpoint was touched"), e);
        }
        return name;
    }

    private static Map<String, String> modelMetadata(TransformerConfig config) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "tornado-transformer");
        meta.put("config", JSON.writeValueAsString(config));
        meta.put("tied_embeddings", Boolean.toString(config.tieEmbeddings()));
        return meta;
    }

    private static void writeSums(Path dir, List<String> files) throws IOException {
        StringBuilder sums = new StringBuilder();
        for (String f : files) sums.append(Checksums.sha256(dir.resolve(f))).append("  ").append(f).append('\n');
        AtomicFile.write(dir.resolve(SUMS), out -> out.write(sums.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Writes into {@code out} a checkpoint whose parameters are the element-wise means of those of
     * {@code dirs} (fairseq's average_checkpoints.py; summed in double, in the order given), with
     * the tokenizer and state (options, counters) of the first. It has no optimizer state: it is
     * for translating and evaluating, not for resuming. Every input is verified first, and all must
     * hold the same tensors and shapes.
     */
    public static void average(List<Path> dirs, Path out) throws IOException {
        if (dirs.isEmpty()) throw new IllegalArgumentException("no checkpoint to average");
        SequencedMap<String, double[]> sums = new LinkedHashMap<>();
        SequencedMap<String, int[]> shapes = new LinkedHashMap<>();
        Map<String, String> meta = null;
        for (Path dir : dirs) {
            verify(dir);
            Safetensors st = verifyTensors(dir.resolve(MODEL));
            if (meta == null) meta = st.metadata();
            if (!sums.isEmpty() && !sums.keySet().equals(st.tensors().keySet())) {
                throw new IOException(dir.resolve(MODEL) + " holds other tensors than " + dirs.getFirst().resolve(MODEL) + "; average checkpoints of one run");
            }
            for (var e : st.tensors().entrySet()) {
                if (!(e.getValue() instanceof tt.model.io.Tensor.F32 f)) throw new IOException(dir.resolve(MODEL) + ": tensor '" + e.getKey() + "' is not F32");
                int[] shape = shapes.computeIfAbsent(e.getKey(), k -> f.shape());
                if (!java.util.Arrays.equals(shape, f.shape())) {
                    throw new IOException(dir.resolve(MODEL) + ": tensor '" + e.getKey() + "' has shape " + java.util.Arrays.toString(f.shape())
                            + ", not " + java.util.Arrays.toString(shape) + " as in " + dirs.getFirst().resolve(MODEL));
                }
                double[] sum = sums.computeIfAbsent(e.getKey(), k -> new double[f.data().length]);
                for (int i = 0; i < sum.length; i++) sum[i] += f.data()[i];
            }
        }
        SequencedMap<String, tt.model.io.Tensor> mean = new LinkedHashMap<>();
        sums.forEach((name, sum) -> {
            float[] m = new float[sum.length];
            for (int i = 0; i < m.length; i++) m[i] = (float) (sum[i] / dirs.size());
            mean.put(name, new tt.model.io.Tensor.F32(shapes.get(name), m));
        });
        Map<String, String> averagedMeta = new LinkedHashMap<>();
        meta.forEach((k, v) -> { if (!k.startsWith(TENSOR_SUM)) averagedMeta.put(k, v); });
        averagedMeta.put("averaged_from", String.join(",", dirs.stream().map(d -> d.getFileName().toString()).toList()));
        Path tmp = out.resolveSibling("." + out.getFileName() + ".tmp");
        try {
            FileTrees.delete(tmp);
            Files.createDirectories(tmp);
            withSums(mean, averagedMeta).write(tmp.resolve(MODEL));
            Files.copy(dirs.getFirst().resolve(STATE), tmp.resolve(STATE));
            Files.copy(dirs.getFirst().resolve(TOKENIZER), tmp.resolve(TOKENIZER));
            writeSums(tmp, List.of(MODEL, STATE, TOKENIZER));
            FileTrees.delete(out);
            Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            FileTrees.delete(tmp);
            throw new IOException("writing the averaged checkpoint " + out + " failed (" + Checksums.reason(e) + ")", e);
        }
    }

    /**
     * The newest checkpoint that verifies ({@link #verify}); each damaged newer one is reported
     * through {@code warn} and passed over. Fails naming the damage if none verifies.
     */
    public static Path latestIntact(Path checkpoints, java.util.function.Consumer<String> warn) throws IOException {
        Path latest = latest(checkpoints);
        List<Path> candidates = steps(checkpoints).stream().filter(p -> p.getFileName().toString().compareTo(latest.getFileName().toString()) <= 0).toList();
        IOException first = null;
        for (Path dir : candidates) {
            try {
                verify(dir);
                if (first != null) warn.accept("using the previous intact checkpoint, " + dir.getFileName() + ", instead");
                return dir;
            } catch (IOException e) {
                warn.accept("checkpoint " + dir + " is damaged: " + e.getMessage());
                if (first == null) first = e;
            }
        }
        throw first != null ? first : new IOException(latest + ": missing, and no other checkpoint in " + checkpoints);
    }

    /**
     * Checks a checkpoint directory: every file against SHA256SUMS (naming the damaged tensor when it
     * is a tensor's bytes), and state.json's counters. Checkpoints from before checksums are checked
     * for their state only.
     */
    public static void verify(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": no such checkpoint directory");
        Path sums = dir.resolve(SUMS);
        if (Files.exists(sums)) {
            for (String line : Files.readAllLines(sums, StandardCharsets.UTF_8)) {
                String[] parts = line.split("  ", 2);
                if (parts.length != 2 || !FILES.contains(parts[1])) throw new IOException(sums + ": damaged (line '" + line + "')");
                Path f = dir.resolve(parts[1]);
                if (!Files.exists(f)) throw new IOException(f + " is missing");
                if (!Checksums.sha256(f).equals(parts[0])) {
                    if (parts[1].endsWith(".safetensors")) verifyTensors(f);
                    throw new IOException(f + " does not match its checksum in " + SUMS + " (the file is damaged)");
                }
            }
        }
        state(dir);
    }

    /** Every tensor of a safetensors file against its "sha256.NAME" metadata; fails naming the first damaged tensor. */
    private static Safetensors verifyTensors(Path file) throws IOException {
        Safetensors st = Safetensors.read(file);
        for (var e : st.tensors().entrySet()) {
            String expected = st.metadata().get(TENSOR_SUM + e.getKey());
            if (expected != null && !expected.equals(Checksums.sha256(e.getValue()))) {
                throw new IOException(file + ": tensor " + e.getKey() + " does not match its checksum (the file is damaged)");
            }
        }
        return st;
    }

    private static Safetensors withSums(SequencedMap<String, tt.model.io.Tensor> tensors, Map<String, String> meta) {
        Map<String, String> m = new LinkedHashMap<>(meta);
        tensors.forEach((name, t) -> m.put(TENSOR_SUM + name, Checksums.sha256(t)));
        return new Safetensors(tensors, m);
    }

    /** Loads parameters, moments and counters of a checkpoint directory into a trainer; returns the data position. */
    public static Position load(Path dir, Trainer trainer) throws IOException {
        Transformer model = trainer.model();
        trainer.reset();
        loadParameters(dir.resolve(MODEL), model);
        loadTensors(dir.resolve(OPTIMIZER), model.optimizer.checkpointTensors(model.parameters()));
        State s = state(dir);
        trainer.restore(new Trainer.Counters(s.updates(), s.microSteps()));
        return new Position(s.epoch(), s.batch(), s.elapsedSeconds(), s.runner());
    }

    /** The runner's state saved with a checkpoint (opaque here; see {@link Position#runner}). */
    public static JsonNode runnerState(Path checkpointDir) throws IOException { return state(checkpointDir).runner(); }

    /** The run options a checkpoint was trained with (as the runner serialised them). */
    public static JsonNode options(Path checkpointDir) throws IOException { return state(checkpointDir).options(); }

    /** The model config recorded in a checkpoint's model.safetensors. */
    public static TransformerConfig config(Path checkpointDir) throws IOException {
        Safetensors st = Safetensors.read(checkpointDir.resolve(MODEL));
        String json = st.metadata().get("config");
        if (json == null) throw new IOException(checkpointDir.resolve(MODEL) + ": no model config in its metadata; not a tornado-transformer checkpoint");
        return JSON.readValue(json, TransformerConfig.class);
    }

    /** Copies a checkpoint's parameters into a model of the same config (host buffers; upload them after). */
    public static void loadParameters(Path modelFile, Transformer model) throws IOException {
        loadTensors(modelFile, model.parameters());
    }

    /** Copies each tensor's values from a checked safetensors file, by name and shape. */
    private static void loadTensors(Path file, List<Tensor> tensors) throws IOException {
        Safetensors st = verifyTensors(file);
        for (Tensor t : tensors) copyInto(st, t.name(), t, t.value(), file);
    }

    private static State state(Path dir) throws IOException {
        Path file = dir.resolve(STATE);
        State s;
        try {
            s = JSON.readValue(file.toFile(), State.class);
        } catch (IOException e) {
            throw new IOException(file + ": unreadable checkpoint state (" + Checksums.reason(e) + ")", e);
        }
        String problem = s.updates() < 0 ? "update count " + s.updates() : s.microSteps() < s.updates() ? "fewer batches than updates"
                : s.epoch() < 0 || s.batch() < 0 ? "position " + s.epoch() + "/" + s.batch()
                : !(s.elapsedSeconds() >= 0) ? "elapsed time " + s.elapsedSeconds()
                : s.options() == null || !s.options().isObject() ? "no run options" : null;
        if (problem != null) throw new IOException(file + ": damaged checkpoint state (" + problem + ")");
        return s;
    }

    /** Tensors as a safetensors file holds them, by name, in order. */
    private static SequencedMap<String, tt.model.io.Tensor> fileTensors(List<Tensor> tensors) {
        SequencedMap<String, tt.model.io.Tensor> out = new LinkedHashMap<>();
        for (Tensor t : tensors) out.put(t.name(), new tt.model.io.Tensor.F32(t.shape(), t.value().toArray()));
        return out;
    }

    private static void copyInto(Safetensors file, String name, Tensor param, FloatBuf target, Path path) throws IOException {
        if (!(file.tensors().get(name) instanceof tt.model.io.Tensor.F32 f)) {
            throw new IOException(path + ": tensor '" + name + "' is missing or not F32; the checkpoint does not match this model");
        }
        if (!java.util.Arrays.equals(f.shape(), param.shape())) {
            throw new IOException(path + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(f.shape())
                    + " but the model expects " + java.util.Arrays.toString(param.shape()));
        }
        for (int i = 0; i < f.data().length; i++) {
            if (!Float.isFinite(f.data()[i])) throw new IOException(path + ": tensor '" + name + "' holds " + f.data()[i] + " at element " + i);
        }
        target.copyFrom(f.data());
    }
}
