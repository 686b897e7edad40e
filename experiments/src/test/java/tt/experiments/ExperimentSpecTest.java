package tt.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tt.experiments.ExperimentSpec.Cell;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Experiment specs: what a good one expands to, and what each kind of mistake is told. */
class ExperimentSpecTest {
    @TempDir Path dir;

    private ExperimentSpec spec(String yaml) throws IOException {
        Path f = dir.resolve("spec.yaml");
        Files.writeString(f, yaml);
        return ExperimentSpec.read(f);
    }

    /** The one-line error of a bad spec; it must name the file and the line. */
    private String error(String yaml, int line) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec(yaml));
        String where = dir.resolve("spec.yaml") + ":" + line + ": ";
        assertTrue(e.getMessage().startsWith(where), "expected " + where + "... but got: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage().substring(where.length());
    }

    @Test
    void variantsOverrideTheBaselineAndCellsGoSeedBySeed() throws IOException {
        ExperimentSpec s = spec("""
                experiment: smoothing
                train: {preset: tiny, steps: 50, d-model: 64}
                seeds: [7, 3]
                variants:
                  no-smoothing: {label-smoothing: 0}
                  pre: {norm: pre, lr: 2}
                test: {size: 20, beam: 2}
                """);
        assertEquals("smoothing", s.name);
        assertEquals(List.of("baseline", "no-smoothing", "pre"), s.variants.stream().map(ExperimentSpec.Variant::name).toList());
        assertEquals(6, s.cells.size());
        Cell c = s.cells.get(4);
        assertEquals(4, c.index());
        assertEquals("no-smoothing", c.variant().name());
        assertEquals(3, c.seed());
        assertEquals(3, c.options().seed);
        assertEquals(0f, c.options().labelSmoothing);
        assertEquals(64, c.options().dModel);
        assertEquals(50, c.options().steps);
        assertEquals(2.0, s.cells.get(2).options().lr);
        assertEquals(tt.model.TransformerConfig.NormPlacement.PRE, s.cells.get(2).options().norm);
        assertEquals(1.0, s.cells.get(0).options().lr, "the baseline keeps tt train's default");
        assertEquals(Path.of(dir.toString(), "smoothing", "runs", "no-smoothing", "seed-3"), c.dir(dir.resolve("smoothing")));
        assertEquals(new TrainingRun.Test(null, null, 20, 2, 1.0, tt.model.LengthPenalty.Form.POWER), s.test, "tt train's defaults");
    }

    @Test
    void adamsConstantsArePaperDefaultsAndAVariantCanTakeFairseqs() throws IOException {
        ExperimentSpec s = spec("""
                experiment: adam
                train: {preset: tiny, clip-norm: 25}
                seeds: 1
                variants:
                  fairseq: {adam-betas: "0.9,0.999", adam-eps: 1e-8}
                """);
        assertEquals(tt.model.AdamConfig.paper().withClipNorm(25f), s.cells.get(0).options().adam(), "tt train's defaults are the paper's constants");
        assertEquals(new tt.model.AdamConfig(0.9f, 0.999f, 1e-8f, 0f, 25f), s.cells.get(1).options().adam());
        assertTrue(error("""
                experiment: adam
                seeds: 1
                train: {adam-betas: 0.9}
                """, 3).contains("--adam-betas"));
    }

    @Test
    void attentionAndActivationDropoutFollowDropoutUnlessAVariantSetsThem() throws IOException {
        ExperimentSpec s = spec("""
                experiment: dropout
                train: {preset: tiny, dropout: 0.3}
                seeds: 1
                variants:
                  fairseq: {attention-dropout: 0, activation-dropout: 0}
                """);
        tt.model.TransformerConfig torch = s.cells.get(0).options().model(100), fairseq = s.cells.get(1).options().model(100);
        assertEquals(List.of(0.3f, 0.3f, 0.3f), List.of(torch.dropout(), torch.attentionDropout(), torch.activationDropout()), "torch's: one rate");
        assertEquals(List.of(0.3f, 0f, 0f), List.of(fairseq.dropout(), fairseq.attentionDropout(), fairseq.activationDropout()));
        // Setting them to --dropout's rate trains what leaving them unset trains.
        assertTrue(error("""
                experiment: dropout
                train: {preset: tiny, dropout: 0.3}
                seeds: 1
                variants:
                  explicit: {attention-dropout: 0.3, activation-dropout: 0.3}
                """, 5).contains("attention-dropout: 0.3 is already the baseline's value"));
        assertTrue(error("""
                experiment: dropout
                seeds: 1
                train: {attention-dropout: 1}
                """, 3).contains("--attention-dropout"));
    }

    @Test
    void aGridIsTheCrossProductAndItsBaselineIsTheCellOfTheTrainOptions() throws IOException {
        ExperimentSpec s = spec("""
                experiment: init
                train: {task: copy, init: xavier_uniform, reduction: batchmean}
                seeds: 3
                grid:
                  init: [xavier_uniform, default]
                  reduction: [batchmean, mean]
                """);
        assertEquals(List.of("init=xavier_uniform,reduction=batchmean", "init=xavier_uniform,reduction=mean",
                "init=default,reduction=batchmean", "init=default,reduction=mean"), s.variants.stream().map(ExperimentSpec.Variant::name).toList());
        assertEquals("init=xavier_uniform,reduction=batchmean", s.baseline.name());
        assertEquals(List.of(1, 2, 3), s.seeds);
        assertEquals(12, s.cells.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(i, s.cells.get(i).index());
            assertEquals(s.variants.get(i % 4), s.cells.get(i).variant());
            assertEquals(1 + i / 4, s.cells.get(i).seed());
        }
        Cell last = s.cells.getLast();
        assertEquals(tt.model.TransformerConfig.Init.DEFAULT, last.options().init);
        assertEquals(tt.kernels.Kernel.Reduction.MEAN, last.options().reduction);
        assertNull(s.test);

        ExperimentSpec named = spec("""
                experiment: init
                seeds: 1
                grid: {init: [xavier_uniform, default]}
                baseline: init=default
                """);
        assertEquals("init=default", named.baseline.name());
        assertEquals("init=default", named.variants.getFirst().name(), "the baseline comes first");
    }

    @Test
    void specsThatCannotBeRunAreRefusedNamingLineAndKey() {
        assertTrue(error("experiment: x\nseeds: 2\nvariant:\n  a: {lr: 2}\n", 3).equals("variant: unknown key; did you mean variants?"));
        assertTrue(error("experiment: x\nseeds: 2\ntrain:\n  preset: tiny\n  learning-rate: 2\n", 5)
                .startsWith("train.learning-rate: not a tt train option"));
        assertTrue(error("experiment: x\nseeds: 2\ntrain:\n  lr: fast\n", 4).contains("train.lr: Invalid value for option '--lr': 'fast'"));
        assertEquals("variants.same: overrides nothing; a variant changes at least one option of the baseline",
                error("experiment: x\nseeds: 2\nvariants:\n  same: {}\n", 4));
        assertEquals("variants.noop.lr: 1.0 is already the baseline's value; remove it or change it",
                error("experiment: x\nseeds: 2\ntrain: {lr: 1}\nvariants:\n  noop: {lr: 1.0, warmup: 10}\n", 5));
        assertTrue(error("experiment: x\nseeds: 2\ngrid:\n  reduction: [batchmean, mean]\n", 3)
                .startsWith("grid: no grid cell has the options under train: (reduction token), so there is no baseline"));
        assertTrue(error("experiment: x\nseeds: 2\ngrid: {init: [xavier_uniform, default]}\nbaseline: init=pytorch\n", 4)
                .startsWith("baseline: no grid cell is named 'init=pytorch'"));
        assertEquals("train.seed: not set here: each cell's seed comes from seeds:", error("experiment: x\nseeds: 2\ntrain: {seed: 5}\n", 3));
        assertTrue(error("experiment: x\ntrain: {lr: 2}\n", 1).startsWith("the spec has no seeds:"));
        assertEquals("seeds[1]: seed 2 is listed twice", error("experiment: x\nseeds: [2, 2]\n", 2));
        assertEquals("train.lr: given twice; keep one", error("experiment: x\nseeds: 1\ntrain:\n  lr: 2\n  lr: 3\n", 5));
        assertTrue(error("experiment: x\nseeds: 1\ngrid: {lr: [2]}\n", 3).startsWith("grid.lr: a factor needs a list of at least two values"));
        assertTrue(error("experiment: x\nseeds: 1\ntrain: [lr, 2\n", 3).startsWith("not valid YAML"));
        assertEquals("variants.wide.d-model: --d-model 100 is not a multiple of --heads 8",
                error("experiment: x\nseeds: 1\ntrain: {heads: 8}\nvariants:\n  wide:\n    d-model: 100\n", 6));
        assertEquals("variants.big-batch.max-tokens: --max-tokens 10 cannot hold one sentence of --max-len 100 plus <s> or </s>; give at least 101",
                error("experiment: x\nseeds: 1\nvariants:\n  big-batch: {max-tokens: 10}\n", 4));
        assertEquals("test.bean: unknown key; did you mean beam?", error("experiment: x\nseeds: 1\ntest: {bean: 4}\n", 3));
        assertEquals("variants.b: variant 'b' trains exactly what 'a' trains",
                error("experiment: x\nseeds: 1\nvariants:\n  a: {lr: 2}\n  b: {lr: 2.0}\n", 5));
        assertEquals("train.no-tie: is a switch: true or false", error("experiment: x\nseeds: 1\ntrain: {no-tie: 3}\n", 3));
        assertEquals("experiment: 'my run' must be a directory name: letters, digits, . _ = , + -", error("experiment: my run\nseeds: 1\n", 1));
    }

    @Test
    void aSlurmBlockGivesTheArraysSettingsAndTheCommandLineOverridesThem() throws IOException {
        ExperimentSpec s = spec("""
                experiment: x
                seeds: 2
                variants: {pre: {norm: pre}}
                slurm: {partition: gpu, time: "2:00:00", cpus-per-task: 4, gres: "gpu:1", max-running: 2, flags: [--qos=long]}
                """);
        Slurm.Settings merged = s.slurm.with(new Slurm.Settings(null, "0:30:00", null, "8G", null, null, List.of("--account=lab")));
        assertEquals(new Slurm.Settings("gpu", "0:30:00", 4, "8G", "gpu:1", 2, List.of("--qos=long", "--account=lab")), merged);
        String script = Slurm.arrayScript(s, dir.resolve("spec.yaml"), dir.resolve("out"), merged, List.of("/opt/tt/tt"), Path.of("/data"),
                List.of("--backend", "jvm"));
        for (String line : List.of("#SBATCH --array=0-3%2", "#SBATCH --cpus-per-task=4", "#SBATCH --partition=gpu", "#SBATCH --time=0:30:00",
                "#SBATCH --mem=8G", "#SBATCH --gres=gpu:1", "#SBATCH --qos=long", "#SBATCH --account=lab", "#SBATCH --requeue", "cd /data",
                "exec /opt/tt/tt experiment", "--cell \"$SLURM_ARRAY_TASK_ID\"")) {
            assertTrue(script.contains(line), line + " missing from\n" + script);
        }
        assertEquals("slurm.tim: unknown key; did you mean time?", error("experiment: x\nseeds: 1\nslurm: {tim: 1}\n", 3));
        assertEquals("slurm.flags[0]: 'qos=long' is not an sbatch option (they start with -)", error("experiment: x\nseeds: 1\nslurm: {flags: [qos=long]}\n", 3));
    }

    @Test
    void aMissingSpecFileSaysWhatToGive() {
        IOException e = assertThrows(IOException.class, () -> ExperimentSpec.read(dir.resolve("nope.yaml")));
        assertTrue(e.getMessage().contains("nope.yaml: no such spec file"), e.getMessage());
    }

    @Test
    void everyShippedSpecParses() throws IOException {
        try (var specs = Files.list(Path.of("specs"))) {
            List<Path> files = specs.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertTrue(files.size() >= 5, "specs found: " + files);
            for (Path f : files) {
                ExperimentSpec spec = ExperimentSpec.read(f);
                // An ablation compares its variants over several seeds; a recipe (one variant) may train once.
                assertTrue(spec.variants.size() == 1 ? spec.cells.size() >= 1 : spec.cells.size() >= 2 * spec.variants.size(), f.toString());
            }
        }
    }
}
