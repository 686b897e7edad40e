package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import tt.kernels.Backend;
import tt.kernels.jvm.JvmBackend;
import tt.model.Translator;
import tt.model.data.TextLines;
import tt.model.text.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Translating a test set with a checkpoint, timed: greedy and beam search, sentences per second;
 * with --vs-torch the same checkpoint and token ids in PyTorch (experiments/bench/torch_decode.py,
 * batched, with a key/value cache), in alternating rounds, and how many outputs agree.
 */
@Command(name = "decode", mixinStandardHelpOptions = true, sortOptions = false, description = {
        "Translate a test set with a checkpoint, timed: sentences/s for greedy and beam search.",
        "With --vs-torch, the same checkpoint and sentences decoded by PyTorch (experiments/bench/torch_decode.py: batched,"
                + " with a key/value cache) in alternating rounds, and how many translations agree."})
final class BenchDecodeCommand implements Callable<Integer> {
    @Option(names = {"-c", "--checkpoint"}, required = true, description = "A run directory, its checkpoints/ directory, or one step-NNNNNN directory.")
    Path checkpoint;

    @Option(names = "--src", description = "Source sentences, one per line (.gz too); default: the run's test set (Multi30k: test_2016_flickr).")
    Path src;

    @Option(names = "--beam", split = ",", defaultValue = "1,4", description = "Beam widths, 1 = greedy (default: ${DEFAULT-VALUE}).")
    List<Integer> beams;

    @Mixin SearchOptions search;

    @Mixin ChunkOptions chunk;

    @Option(names = "--rounds", defaultValue = "3", description = "Timed decodes of the whole set per beam width, after an untimed one (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--profile", description = "Also print where our time goes over the timed rounds: a roofline table per kernel type, "
            + "against this machine's GEMM and memory limits measured in the same run, and the rest (the search on the host); jvm backend.")
    boolean profile;

    @Mixin TorchPeerOptions peerOptions;

    @Mixin BackendOptions backendOptions;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
        search.check(spec, beams, false);
        chunk.check(spec);
        if (rounds < 1) throw new ParameterException(spec.commandLine(), "--rounds must be at least 1, got " + rounds);
        if (src != null && !Files.isRegularFile(src)) throw new ParameterException(spec.commandLine(), "--src " + src + ": no such file");
        TorchPeer.Availability torch = peerOptions.peer("safetensors");
        try (Backend backend = backendOptions.open()) {
            int widest = beams.stream().mapToInt(Integer::intValue).max().orElse(1);
            LoadedCheckpoint loaded = LoadedCheckpoint.open(checkpoint, backend, 4096, chunk.maxTokens, widest, "bench decode");
            int[][] sources = sources(loaded);
            System.out.printf(Locale.ROOT, "backend: %s (%s), %d sentences from %s, load average %s%n", backend.name(), backend.device(),
                    sources.length, src != null ? src : "the run's test set", TorchPeer.loadAverage());
            Roofline.Peaks peaks = profile ? Roofline.measure(backend) : null;
            List<TorchPeer.Round> all = new ArrayList<>();
            for (int beam : beams) {
                String label = beam == 1 ? "greedy" : "beam " + beam;
                Timed ours = new Timed(loaded.translator(), sources, beam);
                ours.run();  // untimed: the JIT compiles the kernels
                ours.msTotal = 0;
                if (peaks != null) ((JvmBackend) backend).startProfiling();
                if (torch == null) {
                    for (int r = 1; r <= rounds; r++) {
                        double ms = ours.run();
                        System.out.printf(Locale.ROOT, "%s round %d: %.0f ms, %.1f sentences/s%n", label, r, ms, sources.length * 1e3 / ms);
                    }
                } else {
                    if (all.isEmpty()) System.out.println("versus: " + torch.message() + ", " + backendOptions.threadCount() + " threads, device " + peerOptions.torchDevice);
                    all.addAll(versus(loaded, sources, ours, beam, label));
                }
                if (peaks != null) Roofline.print(System.out, ((JvmBackend) backend).profile(), ours.msTotal, rounds, "run", peaks);
            }
            if (!all.isEmpty()) {
                peerOptions.write(all, "decode-vs-torch", "search", "Translating " + sources.length + " sentences", "ms");
            }
        }
        return 0;
    }

    /** Our decoder on one search: the whole set per run, its last outputs kept. */
    private final class Timed {
        final Translator translator;
        final int[][] sources;
        final int beam;
        int[][] outputs;
        double msTotal;

        Timed(Translator translator, int[][] sources, int beam) {
            this.translator = translator;
            this.sources = sources;
            this.beam = beam;
        }

        double run() {
            long t0 = System.nanoTime();
            outputs = search.translate(translator, sources, beam);
            double ms = (System.nanoTime() - t0) * 1e-6;
            msTotal += ms;
            return ms;
        }
    }

    /** Alternating rounds of ours and the peer's on one search, then how many of the last outputs are the same. */
    private List<TorchPeer.Round> versus(LoadedCheckpoint loaded, int[][] sources, Timed ours, int beam, String label) throws IOException {
        Path ids = Files.createTempFile("tt-bench-sources", ".txt"), hyps = Files.createTempFile("tt-bench-hyps", ".txt");
        List<TorchPeer.Round> rounds = new ArrayList<>();
        try {
            Files.write(ids, Arrays.stream(sources).map(BenchDecodeCommand::line).toList(), StandardCharsets.UTF_8);
            List<String> args = List.of("--checkpoint", loaded.dir().toString(), "--sources", ids.toString(), "--hyps", hyps.toString(),
                    "--beam", Integer.toString(beam), "--alpha", Double.toString(search.penalty(beam).alpha()), "--length-norm", search.penalty(beam).form().name().toLowerCase(Locale.ROOT), "--max-len", Integer.toString(search.maxLen),
                    "--max-tokens", Integer.toString(loaded.model().limits.maxTokens()),
                    "--max-sentences", Integer.toString(loaded.model().limits.maxSentences()),
                    "--threads", Integer.toString(backendOptions.threadCount()), "--device", peerOptions.torchDevice);
            try (TorchPeer peer = TorchPeer.start(peerOptions.python, "torch_decode.py", args)) {
                for (int r = 1; r <= this.rounds; r++) {
                    double mine = ours.run(), theirs = peer.ms("run");
                    rounds.add(new TorchPeer.Round(label, r, mine, theirs, TorchPeer.loadAverage()));
                    System.out.printf(Locale.ROOT, "%s round %d: ours %.0f ms, PyTorch %.0f ms, PyTorch/ours %.2f%n", label, r, mine, theirs, theirs / mine);
                }
            }
            List<String> theirs = Files.readAllLines(hyps, StandardCharsets.UTF_8);
            int same = 0;
            for (int i = 0; i < sources.length; i++) if (i < theirs.size() && theirs.get(i).equals(line(ours.outputs[i]))) same++;
            double oursMs = TorchPeer.median(rounds.stream().mapToDouble(TorchPeer.Round::oursMs).toArray());
            double torchMs = TorchPeer.median(rounds.stream().mapToDouble(TorchPeer.Round::torchMs).toArray());
            System.out.printf(Locale.ROOT, "%s: median ours %.0f ms (%.1f sentences/s), PyTorch %.0f ms: ours is %.2fx PyTorch's speed;"
                            + " %d of %d translations identical%n", label, oursMs, sources.length * 1e3 / oursMs, torchMs, torchMs / oursMs,
                    same, sources.length);
        } finally {
            Files.deleteIfExists(ids);
            Files.deleteIfExists(hyps);
        }
        return rounds;
    }

    private static String line(int[] ids) { return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")); }

    /** The sentences to translate, as token ids: --src, or the run's own test set. */
    private int[][] sources(LoadedCheckpoint loaded) throws IOException {
        Tokenizer tok = loaded.tokenizer();
        List<int[]> ids = new ArrayList<>();
        if (src == null) {
            TrainOptions o = TrainOptions.fromJson(tt.model.Checkpoint.options(loaded.dir()));
            TaskData.heldout(o, tok, TaskData.Split.TEST, null, null, 1000).pairs().forEach(p -> ids.add(p.source()));
        } else {
            List<String> lines = TextLines.read(src);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                ids.add(tok.encode(lines.get(i)));
            }
        }
        for (int i = 0; i < ids.size(); i++) {
            if (ids.get(i).length > loaded.translator().maxSourceLength()) {
                throw new IllegalArgumentException((src != null ? src + " sentence " : "test sentence ") + (i + 1) + ": " + ids.get(i).length
                        + " tokens, more than the " + loaded.translator().maxSourceLength() + " the model takes");
            }
        }
        if (ids.isEmpty()) throw new IllegalArgumentException((src != null ? src.toString() : "the test set") + " has no sentences");
        return ids.toArray(int[][]::new);
    }
}
