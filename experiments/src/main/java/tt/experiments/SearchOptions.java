package tt.experiments;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import tt.model.LengthPenalty;
import tt.model.Translator;

import java.util.List;

/** The search options of the commands that translate with a checkpoint (translate, attention, bench decode), checked in one place. */
final class SearchOptions {
    static final String LENGTH_NORM = "How beam search normalises scores by length: power, len^alpha as fairseq's --lenpen; or gnmt, "
            + "((5 + len) / 6)^alpha as the paper (default: ${DEFAULT-VALUE}).";

    @Option(names = "--length-penalty", split = ",", defaultValue = LengthPenalty.DEFAULT_ALPHA,
            description = "Length penalty alpha for beams > 1; evaluate compares a comma-separated list (default: ${DEFAULT-VALUE}).")
    List<Double> lengthPenalties;

    @Option(names = "--length-norm", defaultValue = LengthPenalty.DEFAULT_FORM, description = SearchOptions.LENGTH_NORM)
    LengthPenalty.Form lengthNorm;

    @Option(names = "--max-len", defaultValue = "100", description = "Longest output in tokens (default: ${DEFAULT-VALUE}).")
    int maxLen;

    /** Fails with the option's name when a value is out of range, beam widths included; only a command that compares takes several penalties. */
    void check(CommandSpec spec, Iterable<Integer> beams, boolean severalPenalties) {
        for (int beam : beams) {
            if (beam < 1) throw new ParameterException(spec.commandLine(), "--beam must be at least 1 (1 = greedy), got " + beam);
        }
        if (maxLen < 1) throw new ParameterException(spec.commandLine(), "--max-len must be at least 1, got " + maxLen);
        for (double alpha : lengthPenalties) {
            if (!(alpha >= 0)) throw new ParameterException(spec.commandLine(), "--length-penalty must be 0 or more, got " + alpha);
        }
        if (!severalPenalties && lengthPenalties.size() > 1) {
            throw new ParameterException(spec.commandLine(), "--length-penalty takes one value here; tt evaluate compares several");
        }
    }

    /** The length penalty a search of this width uses: greedy decoding has none. */
    LengthPenalty penalty(int beam) { return penalties(beam).getFirst(); }

    /** Every length penalty given, for a search of this width (greedy: none, once). */
    List<LengthPenalty> penalties(int beam) {
        return lengthPenalties.stream().map(alpha -> LengthPenalty.forBeam(beam, lengthNorm, alpha)).distinct().toList();
    }

    /** Translations of {@code sources}: beam search, or greedy for width 1. */
    int[][] translate(Translator translator, int[][] sources, int beam) {
        return translator.beam(sources, beam, penalty(beam), maxLen);
    }
}
