package tt.experiments;

/**
 * The ways an experiment's test section decodes the test set again with a cell's N best checkpoints
 * (by the validation metric that keep-best-checkpoints ranks by): their average, one model (as
 * {@code tt average --best N}), or their ensemble, N models searched together (as {@code tt evaluate
 * -c A -c B ...}; N times the decoding time). Each has its spec key, its runs.csv row and its
 * hypotheses file.
 */
enum BestCheckpoints {
    AVERAGE("average-best", "test-average", "test.average.hyp", "averaged", "the average"),
    ENSEMBLE("ensemble-best", "test-ensemble", "test.ensemble.hyp", "ensembled", "the ensemble");

    final String specKey, split, hypotheses, participle, noun;

    BestCheckpoints(String specKey, String split, String hypotheses, String participle, String noun) {
        this.specKey = specKey;
        this.split = split;
        this.hypotheses = hypotheses;
        this.participle = participle;
        this.noun = noun;
    }

    /**
     * How each seed enters the ensemble of a variant's seeds: the strongest way {@code test}
     * combines its best checkpoints (all N of them as ensemble members, else their average), or
     * null for the seed's final checkpoint.
     */
    static BestCheckpoints seedMembers(TrainingRun.Test test) {
        return ENSEMBLE.count(test) > 0 ? ENSEMBLE : AVERAGE.count(test) > 0 ? AVERAGE : null;
    }

    /** How many best checkpoints {@code test} combines this way; 0: it does not. */
    int count(TrainingRun.Test test) { return this == AVERAGE ? test.averageBest() : test.ensembleBest(); }
}
