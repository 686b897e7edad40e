package tt.experiments;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import tt.model.TokenReduction;

import java.util.ArrayList;
import java.util.List;

/** Inference-time token reduction in the encoder, as translate and evaluate take it (evaluate compares several). */
final class ReductionOptions {
    @Option(names = "--prune-keep", split = ",", description = "Prune the source after encoder layer --reduce-after: keep this share of each "
            + "sentence's tokens, those that received the most attention (1 = all; evaluate compares a comma-separated list).")
    List<Double> pruneKeep = new ArrayList<>();

    @Option(names = "--merge-keep", split = ",", description = "Merge the source's tokens after encoder layer --reduce-after (ToMe's bipartite "
            + "matching on keys, size-weighted means, proportional attention) down to this share (at least half; evaluate compares a list).")
    List<Double> mergeKeep = new ArrayList<>();

    @Option(names = "--reduce-after", defaultValue = "1", description = "The encoder layer after which tokens are pruned or merged (default: ${DEFAULT-VALUE}).")
    int afterLayer;

    /** Every reduction asked for, pruning first; none: the list of one null (the plain model). */
    List<TokenReduction> reductions(CommandSpec spec, boolean several) {
        if (afterLayer < 1) throw new ParameterException(spec.commandLine(), "--reduce-after must be 1 or more, got " + afterLayer);
        List<TokenReduction> all = new ArrayList<>();
        for (double keep : pruneKeep) all.add(reduction(spec, TokenReduction.Method.PRUNE, keep, "--prune-keep"));
        for (double keep : mergeKeep) all.add(reduction(spec, TokenReduction.Method.MERGE, keep, "--merge-keep"));
        if (!several && all.size() > 1) throw new ParameterException(spec.commandLine(), "one --prune-keep or --merge-keep value here; tt evaluate compares several");
        if (all.isEmpty()) all.add(null);
        return all;
    }

    private TokenReduction reduction(CommandSpec spec, TokenReduction.Method method, double keep, String option) {
        if (!(keep > 0 && keep <= 1)) throw new ParameterException(spec.commandLine(), option + " must be in (0, 1], got " + keep);
        return new TokenReduction(method, afterLayer, keep);
    }
}
