package tt.experiments;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import tt.kernels.Backend;
import tt.model.Checkpoint;
import tt.model.eval.Bleu;
import tt.model.eval.ChrF;
import tt.model.io.AtomicFile;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Translates a held-out split of the checkpoint's own task and scores it, in one command: what
 * {@code tt translate} then {@code tt bleu} against the split's references would print.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Translate the val or test split of the run's task with a checkpoint and print BLEU and chrF with sacreBLEU's signatures.",
                "e.g. ./tt evaluate -c runs/m30k --split test --beam 5 --out test.beam5.en"})
public final class EvaluateCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--checkpoint"}, required = true,
            description = "A run directory, its checkpoints/ directory, a step-NNNNNN directory or an averaged one (tt average).")
    Path checkpoint;

    @Option(names = "--split", defaultValue = "test", description = "val or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--beam", defaultValue = "1", description = "Beam width, 1 = greedy (default: ${DEFAULT-VALUE}).")
    int beam;

    @Option(names = "--src", description = "With --task files runs: the test split's source file.")
    Path src;

    @Option(names = "--tgt", description = "With --task files runs: the test split's reference file.")
    Path tgt;

    @Option(names = "--size", defaultValue = "1000", description = "With synthetic tasks: test sequences (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--out", description = "Also write the translations here, one per line (detokenized).")
    Path out;

    @Mixin SearchOptions search;

    @Mixin ChunkOptions chunk;

    @Mixin BackendOptions backendOptions;

    @Override public Integer call() throws Exception {
        search.check(spec, List.of(beam));
        chunk.check(spec);
        if (!split.equals("val") && !split.equals("test")) throw new ParameterException(spec.commandLine(), "--split " + split + ": use val or test");
        if (size < 1) throw new ParameterException(spec.commandLine(), "--size must be at least 1, got " + size);
        if (out != null && Files.isDirectory(out)) throw new ParameterException(spec.commandLine(), "--out " + out + " is a directory; give a file");
        try (Backend backend = backendOptions.open()) {
            LoadedCheckpoint loaded = LoadedCheckpoint.open(checkpoint, backend, 4096, chunk.maxTokens, beam, "evaluate");
            TrainOptions o = TrainOptions.fromJson(Checkpoint.options(loaded.dir()));
            TaskData.Heldout set = TaskData.heldout(o, loaded.tokenizer(), split.equals("val") ? TaskData.Split.VAL : TaskData.Split.TEST, src, tgt, size);
            long t0 = System.nanoTime();
            TrainingRun.Decoded d = TrainingRun.decode(loaded.translator(), beam, search.penalty(beam), search.maxLen, loaded.tokenizer(), set);
            double seconds = (System.nanoTime() - t0) * 1e-9;
            if (out != null) {
                byte[] text = (String.join("\n", d.hypotheses()) + "\n").getBytes(StandardCharsets.UTF_8);
                AtomicFile.write(out, s -> s.write(text));
            }
            List<List<String>> refs = List.of(set.references());
            System.out.printf(Locale.ROOT, "%s, %s split (%d sentences), %s: %.1f s, %.1f sentences/s%n", loaded.dir(), split, set.pairs().size(),
                    beam == 1 ? "greedy" : "beam " + beam + ", length penalty " + search.penalty(beam), seconds, set.pairs().size() / seconds);
            System.out.println(Bleu.corpus(d.hypotheses(), refs).withSignature(1));
            System.out.println(ChrF.corpus(d.hypotheses(), refs).withSignature(1));
            if (out != null) System.out.println("translations in " + out);
        }
        return 0;
    }
}
