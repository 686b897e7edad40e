package tt.experiments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An experiment's ensembles (test: ensemble: true): once every seed of a variant has finished, the
 * runner decodes the test set with the ensemble of their checkpoints (as `tt evaluate -c A -c B`).
 * runs/VARIANT/ensemble/ holds the hypotheses (test.hyp) and the scores with the members they came
 * from (result.json); report.md puts them beside the members' own scores.
 */
final class Ensembles {
    static final String DIR = "ensemble";

    private Ensembles() {}

    /**
     * What an ensemble decoded: its members (paths under the experiment directory), its search and
     * its test scores; {@code validation}, with test: ensemble-length-penalty, the validation BLEU of
     * each power it chose {@code lengthPenalty} from (empty otherwise).
     */
    record Result(List<String> members, int beam, double lengthPenalty, double bleu, double chrf, double exactMatch, double seconds,
                  List<ValidationScore> validation) {
        Result {
            if (validation == null) validation = List.of();  // written before powers were chosen on val
        }

        /** The length penalties it was decoded with: those compared on the validation set, else the one of the test set. */
        List<Double> searched() {
            return validation.isEmpty() ? List.of(lengthPenalty) : validation.stream().map(ValidationScore::lengthPenalty).toList();
        }

        /** The report's cell: the power, and the validation BLEU of each it was chosen from. */
        String lengthPenaltyCell() {
            String power = String.format(Locale.ROOT, "%.2f", lengthPenalty);
            if (validation.isEmpty()) return power;
            return power + " (val BLEU: " + String.join(", ", validation.stream()
                    .map(v -> String.format(Locale.ROOT, "%.2f at %.2f", v.bleu(), v.lengthPenalty())).toList()) + ")";
        }
    }

    /** The validation set decoded by an ensemble with one length penalty: its BLEU and length ratio. */
    record ValidationScore(double lengthPenalty, double bleu, double lengthRatio) {}

    static Path dir(Path experimentDir, ExperimentSpec.Variant v) { return experimentDir.resolve("runs").resolve(v.name()).resolve(DIR); }

    /** The result in an ensemble directory; null before one was decoded. */
    static Result read(Path ensembleDir) throws IOException {
        Path file = ensembleDir.resolve(RunDirectory.RESULT);
        if (!Files.exists(file)) return null;
        try {
            return Json.MAPPER.readValue(file.toFile(), Result.class);
        } catch (IOException e) {
            throw new IOException(file + ": unreadable (" + e.getMessage() + "); delete it to decode the ensemble again", e);
        }
    }

    /**
     * The report's section: per variant with an ensemble, its test BLEU and chrF beside the mean ±
     * std of its seeds alone (combined as in the ensemble: BestCheckpoints.seedMembers); empty when
     * no variant has one.
     */
    static String summarize(Path experimentDir, ExperimentSpec spec, List<Summary.Finished> finished) throws IOException {
        if (spec.test == null || !spec.test.ensemble()) return "";
        BestCheckpoints way = BestCheckpoints.seedMembers(spec.test);
        List<List<String>> rows = new ArrayList<>();
        for (ExperimentSpec.Variant v : spec.variants) {
            Result r = read(dir(experimentDir, v));
            if (r == null) continue;
            List<Summary.Finished> seeds = finished.stream().filter(f -> f.cell().variant() == v).toList();
            double[] alone = seeds.stream().map(f -> way == null ? f.test() : f.test(way))
                    .filter(java.util.Objects::nonNull).mapToDouble(RunLog.Row::bleu).toArray();
            Statistics.Spread members = Statistics.Spread.of(alone);
            rows.add(List.of(v.name(), Integer.toString(r.members().size()), r.lengthPenaltyCell(), String.format(Locale.ROOT, "%.2f", r.bleu()),
                    String.format(Locale.ROOT, "%.2f", r.chrf()), members.meanStd(2), String.format(Locale.ROOT, "%+.2f", r.bleu() - members.mean()),
                    "[test.hyp](runs/" + v.name() + "/" + DIR + "/" + RunDirectory.TEST_HYPOTHESES + ")"));
        }
        if (rows.isEmpty()) return "";
        return "## Ensembles\n\nThe test set decoded by the ensemble of each variant's seeds, every step searching by the mean of the members' "
                + "probabilities (fairseq's `--path a.pt:b.pt`; `tt evaluate -c A -c B` does the same), members "
                + (way == null ? "each seed's final checkpoint" : way == BestCheckpoints.AVERAGE ? "each seed's average of its " + way.count(spec.test)
                        + " best checkpoints" : "each seed's " + way.count(spec.test) + " best checkpoints")
                + ", beside the same members decoded alone. With test: ensemble-length-penalty, the ensemble decodes the validation set with each "
                + "power given and the test set with the one of the best validation BLEU. Members and scores are in runs/VARIANT/" + DIR + "/"
                + RunDirectory.RESULT + ".\n\n"
                + Summary.markdown(List.of("variant", "members", "length penalty", "test BLEU", "test chrF", "members alone: test BLEU", "ensemble gain", "outputs"), rows);
    }
}
