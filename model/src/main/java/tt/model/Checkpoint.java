package tt.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import tt.kernels.FloatBuf;
import tt.model.io.AtomicFile;
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
 * </pre>
 * A checkpoint is written under a temporary name and renamed when complete, and only then does
 * {@code latest} point to it, so a crash mid-write leaves the previous one in place. All randomness
 * is counter-based (batch order from (seed, epoch), dropout from (seed, batch counter)), so the
 * counters are the whole random state.
 */
public final class Checkpoint {
    public static final String MODEL = "model.safetensors", OPTIMIZER = "optimizer.safetensors",
            STATE = "state.json", TOKENIZER = "tokenizer.json", LATEST = "latest";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int KEEP = 2;

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
     * others only the newest one below it is kept: higher steps belong to a timeline this run left
     * (it resumed from an earlier checkpoint), and must not crowd out the one just written.
     */
    public static void save(Path checkpoints, Trainer trainer, Tokenizer tokenizer, Position position, JsonNode options)
            throws IOException {
        Transformer model = trainer.model();
        trainer.backend().download(model.stateBuffers().toArray(tt.kernels.Buf[]::new));
        String name = String.format("step-%06d", trainer.updates());
        Path tmp = checkpoints.resolve("." + name + ".tmp"), dir = checkpoints.resolve(name);
        FileTrees.delete(tmp);
        Files.createDirectories(tmp);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "tornado-transformer");
        meta.put("config", JSON.writeValueAsString(model.config));
        meta.put("tied_embeddings", Boolean.toString(model.config.tieEmbeddings()));
        parameters(model.parameters(), Tensor::value, "", meta).write(tmp.resolve(MODEL));
        SequencedMap<String, tt.model.io.Tensor> moments = new LinkedHashMap<>();
        moments.putAll(parameters(model.parameters(), t -> slice(model.adamM, t), "exp_avg.", Map.of()).tensors());
        moments.putAll(parameters(model.parameters(), t -> slice(model.adamV, t), "exp_avg_sq.", Map.of()).tensors());
        new Safetensors(moments, Map.of("step", Integer.toString(trainer.updates()))).write(tmp.resolve(OPTIMIZER));
        Trainer.Counters c = trainer.counters();
        byte[] state = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new State(c.updates(), c.microSteps(),
                position.epoch(), position.batch(), position.elapsedSeconds(), position.runner(), options));
        AtomicFile.write(tmp.resolve(STATE), out -> out.write(state));
        tokenizer.save(tmp.resolve(TOKENIZER));
        FileTrees.delete(dir);
        Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        AtomicFile.write(checkpoints.resolve(LATEST), out -> out.write(name.getBytes(StandardCharsets.UTF_8)));
        try (Stream<Path> all = Files.list(checkpoints)) {
            List<Path> older = all.filter(p -> p.getFileName().toString().matches("step-\\d+") && !p.getFileName().toString().equals(name))
                    .sorted(Comparator.reverseOrder()).toList();
            List<Path> keep = older.stream().filter(p -> p.getFileName().toString().compareTo(name) < 0).limit(KEEP - 1).toList();
            for (Path p : older) if (!keep.contains(p)) FileTrees.delete(p);
        }
    }

    /** Loads parameters, moments and counters of the latest checkpoint into a trainer; returns the data position. */
    public static Position load(Path checkpoints, Trainer trainer) throws IOException {
        Path dir = latest(checkpoints);
        Transformer model = trainer.model();
        loadParameters(dir.resolve(MODEL), model);
        Safetensors opt = Safetensors.read(dir.resolve(OPTIMIZER));
        for (Tensor t : model.parameters()) {
            copyInto(opt, "exp_avg." + t.name(), t, slice(model.adamM, t), dir.resolve(OPTIMIZER));
            copyInto(opt, "exp_avg_sq." + t.name(), t, slice(model.adamV, t), dir.resolve(OPTIMIZER));
        }
        State s = state(dir);
        model.gradientRoot().fill(0f);
        trainer.restore(new Trainer.Counters(s.updates(), s.microSteps()));
        return new Position(s.epoch(), s.batch(), s.elapsedSeconds(), s.runner());
    }

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
        Safetensors st = Safetensors.read(modelFile);
        for (Tensor t : model.parameters()) copyInto(st, t.name(), t, t.value(), modelFile);
    }

    private static State state(Path dir) throws IOException {
        try {
            return JSON.readValue(dir.resolve(STATE).toFile(), State.class);
        } catch (IOException e) {
            throw new IOException(dir.resolve(STATE) + ": unreadable checkpoint state (" + e.getMessage() + ")", e);
        }
    }

    private static Safetensors parameters(List<Tensor> params, java.util.function.Function<Tensor, FloatBuf> data,
                                          String prefix, Map<String, String> meta) {
        SequencedMap<String, tt.model.io.Tensor> tensors = new LinkedHashMap<>();
        for (Tensor t : params) tensors.put(prefix + t.name(), new tt.model.io.Tensor.F32(t.shape(), data.apply(t).toArray()));
        return new Safetensors(tensors, meta);
    }

    private static FloatBuf slice(FloatBuf root, Tensor t) {
        return root.view(t.name(), t.value().offset(), t.size());
    }

    private static void copyInto(Safetensors file, String name, Tensor param, FloatBuf target, Path path) throws IOException {
        if (!(file.tensors().get(name) instanceof tt.model.io.Tensor.F32 f)) {
            throw new IOException(path + ": tensor '" + name + "' is missing or not F32; the checkpoint does not match this model");
        }
        if (!java.util.Arrays.equals(f.shape(), param.shape())) {
            throw new IOException(path + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(f.shape())
                    + " but the model expects " + java.util.Arrays.toString(param.shape()));
        }
        target.copyFrom(f.data());
    }
}
