package tt.experiments;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import tt.experiments.SpecFile.Node;

import java.io.IOException;
import java.nio.file.Path;
import tt.model.LengthPenalty;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * An experiment spec: a baseline and its variants, each trained once per seed. Read from YAML and
 * checked whole before anything runs: every key, every value (parsed exactly as `tt train` parses
 * its options) and every cell's combination of options; an error names the file, line and key.
 * <pre>
 * experiment: init                 # names OUT/init/
 * description: what it asks        # optional, heads the report
 * train: {task: multi30k, preset: tiny, steps: 1500}   # any tt train option, without the dashes
 * seeds: [1, 2, 3]                 # or a count: 3 means 1, 2, 3
 * grid: {init: [xavier_uniform, default], reduction: [batchmean, mean]}   # optional: a cross product
 * variants: {no-smoothing: {label-smoothing: 0}}   # optional: overrides of the baseline
 * baseline: baseline               # optional: the baseline's name, or the grid cell that is the baseline
 * test: {beam: 4}                  # optional: decode the test set at the end (src, tgt, size, beam, length-penalty, length-norm;
 *                                   # prune-keep, merge-keep: lists of keep ratios, reduce-after: layer, to also decode it with token reduction;
 *                                   # average-best: N, ensemble-best: N, to also decode it with the average, or the ensemble, of the N best checkpoints;
 *                                   # ensemble: true, to also decode it with the ensemble of each variant's seeds;
 *                                   # ensemble-length-penalty: [1.0, 1.2, 1.4], powers that ensemble chooses from on the validation set)
 * slurm: {partition: gpu, time: "4:00:00", cpus-per-task: 8, mem: 16G, gres: "gpu:1", max-running: 4, flags: [--qos=normal]}
 * </pre>
 */
final class ExperimentSpec {
    private static final List<String> KEYS = List.of("experiment", "description", "train", "seeds", "baseline", "variants", "grid", "test", "slurm");
    private static final List<String> TEST_KEYS = List.of("src", "tgt", "size", "beam", "length-penalty", "length-norm", "prune-keep", "merge-keep",
            "reduce-after", BestCheckpoints.AVERAGE.specKey, BestCheckpoints.ENSEMBLE.specKey, "ensemble",
            "ensemble-length-penalty");
    private static final List<String> SLURM_KEYS = List.of("partition", "time", "cpus-per-task", "mem", "gres", "max-running", "flags");
    /** Set by the runner per cell, or meaningless in a spec. */
    private static final Map<String, String> RESERVED = Map.of("seed", "each cell's seed comes from seeds:");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._=,+-]+");
    private static final Map<String, OptionSpec> OPTIONS = trainOptions();

    /** One option set by the spec, e.g. lr from "variants.fast.lr" on line 12. */
    record Setting(String key, Node node) {}

    /** A variant: its name, where it is declared, the settings its cells share (all but the seed), and what it changes from the baseline. */
    record Variant(String name, Node declared, List<Setting> settings, Map<String, String> changes) {}

    /** One training run of the grid: a variant with one seed, numbered in the order cells run. */
    record Cell(int index, Variant variant, int seed, TrainOptions options) {
        Path dir(Path experimentDir) { return experimentDir.resolve("runs").resolve(variant.name).resolve("seed-" + seed); }

        String label() { return variant.name + " seed " + seed; }
    }

    final SpecFile file;
    final String name, description;
    final List<Integer> seeds;
    final Variant baseline;
    /** The baseline first, then the grid's cells, then the listed variants. */
    final List<Variant> variants;
    final TrainingRun.Test test;
    /** How the grid runs as a Slurm job array, as far as the spec says (the command line may add to it). */
    final Slurm.Settings slurm;
    final List<Cell> cells;

    private ExperimentSpec(SpecFile file, String name, String description, List<Integer> seeds, Variant baseline, List<Variant> variants,
                           TrainingRun.Test test, Slurm.Settings slurm, List<Cell> cells) {
        this.file = file;
        this.name = name;
        this.description = description;
        this.seeds = seeds;
        this.baseline = baseline;
        this.variants = variants;
        this.test = test;
        this.slurm = slurm;
        this.cells = cells;
    }

    /** The spec as plain data, for the manifest; its hash identifies the experiment. */
    Object plain() { return SpecFile.plain(file.root); }

    String sha256() { return Manifest.sha256(Json.write(plain())); }

    static ExperimentSpec read(Path path) throws IOException { return of(SpecFile.read(path)); }

    static ExperimentSpec of(SpecFile f) {
        Map<String, Node> top = f.root.map();
        if (top == null) throw f.error(f.root, "a spec is a mapping with the keys " + String.join(", ", KEYS));
        for (Node n : top.values()) if (!KEYS.contains(lastKey(n))) throw f.error(n, "unknown key" + suggestion(lastKey(n), KEYS));
        String name = string(f, required(f, top, "experiment"));
        if (!NAME.matcher(name).matches()) throw f.error(top.get("experiment"), "'" + name + "' must be a directory name: letters, digits, . _ = , + -");
        String description = top.containsKey("description") ? string(f, top.get("description")).strip() : "";
        List<Integer> seeds = seeds(f, required(f, top, "seeds"));
        List<Setting> base = settings(f, top.get("train"), "train");

        List<Variant> grid = grid(f, top.get("grid"), base);
        Variant baseline = baseline(f, top, base, grid);
        List<Variant> variants = new ArrayList<>();
        variants.add(baseline);
        for (Variant v : grid) if (v != baseline) variants.add(v);
        Node listed = top.get("variants");
        if (listed != null) {
            if (listed.map() == null) throw f.error(listed, "give variants as a mapping: name: {option: value, ...}");
            for (var e : listed.map().entrySet()) variants.add(variant(f, e.getKey(), e.getValue(), baseline));
        }
        checkDistinct(f, variants);
        TrainingRun.Test test = test(f, top.get("test"));
        Slurm.Settings slurm = slurm(f, top.get("slurm"));

        List<Cell> cells = new ArrayList<>();
        for (int seed : seeds) {
            for (Variant v : variants) cells.add(new Cell(cells.size(), v, seed, options(f, v, seed)));
        }
        for (BestCheckpoints way : BestCheckpoints.values()) {
            int n = test == null ? 0 : way.count(test);
            for (Cell c : cells) {
                if (c.options().keepBestCheckpoints < n) {
                    throw f.error(top.get("test").map().get(way.specKey), "decodes with " + way.noun + " of the " + n + " best checkpoints, but variant '"
                            + c.variant().name + "' keeps " + c.options().keepBestCheckpoints + "; set keep-best-checkpoints: " + n + " under train");
                }
            }
        }
        if (test != null && test.ensemble() && seeds.size() < 2) {
            throw f.error(top.get("test").map().get("ensemble"), "ensembles each variant's seeds, and there is one; give seeds: 2 or more");
        }
        return new ExperimentSpec(f, name, description, seeds, baseline, variants, test, slurm, cells);
    }

    // ---- the parts ----

    private static List<Integer> seeds(SpecFile f, Node n) {
        if (n.scalar() && n.value() != null) {
            int count = integer(f, n);
            if (count < 1) throw f.error(n, "a seed count must be at least 1, got " + count);
            return java.util.stream.IntStream.rangeClosed(1, count).boxed().toList();
        }
        if (n.list() == null || n.list().isEmpty()) throw f.error(n, "give a list of seeds, [1, 2, 3], or their count, 3");
        List<Integer> seeds = new ArrayList<>();
        for (Node s : n.list()) {
            int seed = integer(f, s);
            if (seed < 0) throw f.error(s, "seeds are non-negative, got " + seed);
            if (seeds.contains(seed)) throw f.error(s, "seed " + seed + " is listed twice");
            seeds.add(seed);
        }
        return seeds;
    }

    /** The options under a mapping (train:, or a variant's overrides), each checked on its own as tt train would parse it. */
    private static List<Setting> settings(SpecFile f, Node n, String what) {
        if (n == null || n.value() == null) return List.of();
        if (n.map() == null) throw f.error(n, "give " + what + " as a mapping of tt train options: {preset: tiny, steps: 1000}");
        List<Setting> settings = new ArrayList<>();
        for (var e : n.map().entrySet()) {
            Setting s = new Setting(e.getKey(), e.getValue());
            parse(f, List.of(s));
            settings.add(s);
        }
        return settings;
    }

    private static List<Variant> grid(SpecFile f, Node n, List<Setting> base) {
        if (n == null) return List.of();
        if (n.map() == null || n.map().isEmpty()) throw f.error(n, "give the grid as factors with their values: {init: [xavier_uniform, default]}");
        List<List<Setting>> factors = new ArrayList<>();
        for (var e : n.map().entrySet()) {
            Node values = e.getValue();
            if (values.list() == null || values.list().size() < 2) {
                throw f.error(values, "a factor needs a list of at least two values; put a single value under train:");
            }
            List<Setting> levels = new ArrayList<>();
            for (Node v : values.list()) {
                Setting s = new Setting(e.getKey(), v);
                parse(f, List.of(s));
                levels.add(s);
            }
            factors.add(levels);
        }
        List<List<Setting>> combinations = new ArrayList<>(List.of(List.of()));
        for (List<Setting> levels : factors) {
            List<List<Setting>> longer = new ArrayList<>();
            for (List<Setting> c : combinations) {
                for (Setting level : levels) {
                    List<Setting> l = new ArrayList<>(c);
                    l.add(level);
                    longer.add(l);
                }
            }
            combinations = longer;
        }
        List<Variant> cells = new ArrayList<>();
        for (List<Setting> c : combinations) {
            Map<String, String> changes = new LinkedHashMap<>();
            for (Setting s : c) changes.put(s.key(), s.node().text());
            String name = String.join(",", changes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
            cells.add(new Variant(name.replaceAll("[^A-Za-z0-9._=,+-]", "_"), n, override(base, c), changes));
        }
        return cells;
    }

    /** Without a grid, the train options under the name baseline: gives; with one, the cell so named, or the one train: describes. */
    private static Variant baseline(SpecFile f, Map<String, Node> top, List<Setting> base, List<Variant> grid) {
        Node named = top.get("baseline");
        String name = named != null ? string(f, named) : null;
        if (grid.isEmpty()) {
            String n = name != null ? name : "baseline";
            if (!NAME.matcher(n).matches()) throw f.error(named, "'" + n + "' must be a directory name: letters, digits, . _ = , + -");
            return new Variant(n, named != null ? named : f.root, base, Map.of());
        }
        if (name != null) {
            for (Variant v : grid) if (v.name.equals(name)) return v;
            throw f.error(named, "no grid cell is named '" + name + "'; the cells are " + String.join(", ", grid.stream().map(Variant::name).toList()));
        }
        var identity = parse(f, base).identity();
        for (Variant v : grid) if (parse(f, v.settings).identity().equals(identity)) return v;
        throw f.error(top.get("grid"), "no grid cell has the options under train: (" + String.join(", ", grid.getFirst().changes.keySet().stream()
                .map(k -> k + " " + valueIn(parse(f, base), k)).toList()) + "), so there is no baseline; set them under train: to one cell's values, "
                + "or name the baseline cell with baseline:");
    }

    private static Variant variant(SpecFile f, String name, Node n, Variant baseline) {
        if (!NAME.matcher(name).matches()) throw f.error(n, "the variant name must be a directory name: letters, digits, . _ = , + -");
        if (name.equals(baseline.name)) throw f.error(n, "'" + name + "' is the baseline's name; give the variant another");
        List<Setting> overrides = settings(f, n, "a variant");
        if (overrides.isEmpty()) throw f.error(n, "overrides nothing; a variant changes at least one option of the baseline");
        var baselineIdentity = parse(f, baseline.settings).identity();
        Map<String, String> changes = new LinkedHashMap<>();
        for (Setting s : overrides) {
            if (parse(f, override(baseline.settings, List.of(s))).identity().equals(baselineIdentity)) {
                throw f.error(s.node(), s.node().text() + " is already the baseline's value; remove it or change it");
            }
            changes.put(s.key(), s.node().text());
        }
        return new Variant(name, n, override(baseline.settings, overrides), changes);
    }

    /** Two variants that build the same runs would compare a thing with itself. */
    private static void checkDistinct(SpecFile f, List<Variant> variants) {
        Map<Object, Variant> seen = new LinkedHashMap<>();
        for (Variant v : variants) {
            Variant same = seen.put(parse(f, v.settings).identity(), v);
            if (same != null) throw f.error(v.declared, "variant '" + v.name + "' trains exactly what '" + same.name + "' trains");
        }
    }

    private static TrainingRun.Test test(SpecFile f, Node n) {
        if (n == null || Boolean.FALSE.equals(n.value())) return null;
        TrainOptions defaults = TrainOptions.parse();
        if (Boolean.TRUE.equals(n.value())) return new TrainingRun.Test(null, null, 1000, 1, defaults.lengthPenalty, defaults.lengthNorm);
        if (n.map() == null) throw f.error(n, "give test: true, or a mapping with " + String.join(", ", TEST_KEYS));
        for (Node k : n.map().values()) if (!TEST_KEYS.contains(lastKey(k))) throw f.error(k, "unknown key" + suggestion(lastKey(k), TEST_KEYS));
        Map<String, Node> m = n.map();
        Path src = m.containsKey("src") ? Path.of(string(f, m.get("src"))) : null, tgt = m.containsKey("tgt") ? Path.of(string(f, m.get("tgt"))) : null;
        if ((src == null) != (tgt == null)) throw f.error(n, "give both src and tgt, or neither");
        int size = m.containsKey("size") ? integer(f, m.get("size")) : 1000;
        int beam = m.containsKey("beam") ? integer(f, m.get("beam")) : 1;
        double penalty = m.containsKey("length-penalty") ? lengthPenalty(f, m.get("length-penalty")) : defaults.lengthPenalty;
        LengthPenalty.Form norm = defaults.lengthNorm;
        if (m.containsKey("length-norm")) {
            String given = string(f, m.get("length-norm"));
            norm = java.util.Arrays.stream(LengthPenalty.Form.values()).filter(v -> v.name().equalsIgnoreCase(given)).findFirst()
                    .orElseThrow(() -> f.error(m.get("length-norm"), given + " is not a length normalisation; use gnmt or power"));
        }
        if (size < 1) throw f.error(m.get("size"), "must be at least 1, got " + size);
        if (beam < 1) throw f.error(m.get("beam"), "must be at least 1 (1 = greedy), got " + beam);
        int after = m.containsKey("reduce-after") ? integer(f, m.get("reduce-after")) : 1;
        if (after < 1) throw f.error(m.get("reduce-after"), "must be 1 or more, got " + after);
        List<tt.model.TokenReduction> reductions = new ArrayList<>();
        for (var method : tt.model.TokenReduction.Method.values()) {
            Node keeps = m.get(method == tt.model.TokenReduction.Method.PRUNE ? "prune-keep" : "merge-keep");
            if (keeps == null) continue;
            for (Node k : keeps.list() != null ? keeps.list() : List.of(keeps)) {
                double keep = real(f, k);
                if (!(keep > 0 && keep <= 1)) throw f.error(k, "a keep ratio must be in (0, 1], got " + keep);
                reductions.add(new tt.model.TokenReduction(method, after, keep));
            }
        }
        if (!reductions.isEmpty()) reductions.addFirst(null);  // the whole source, measured in the same way, starts every comparison
        int averageBest = bestCount(f, m, BestCheckpoints.AVERAGE), ensembleBest = bestCount(f, m, BestCheckpoints.ENSEMBLE);
        boolean ensemble = m.containsKey("ensemble") && flag(f, m.get("ensemble"));
        List<Double> ensemblePenalties = new ArrayList<>();
        Node powers = m.get("ensemble-length-penalty");
        if (powers != null) {
            if (!ensemble) throw f.error(powers, "chooses the length penalty of the seeds' ensemble; give ensemble: true as well");
            if (beam == 1) throw f.error(powers, "greedy decoding has no length penalty; give beam: 2 or more");
            for (Node p : powers.list() != null ? powers.list() : List.of(powers)) ensemblePenalties.add(lengthPenalty(f, p));
        }
        return new TrainingRun.Test(src, tgt, size, beam, penalty, norm, java.util.Collections.unmodifiableList(reductions), averageBest, ensembleBest, ensemble,
                List.copyOf(ensemblePenalties));
    }

    /** A length penalty's power, as tt translate takes it. */
    private static double lengthPenalty(SpecFile f, Node n) {
        double alpha = real(f, n);
        if (alpha < 0) throw f.error(n, "must be 0 or more, got " + alpha);
        return alpha;
    }

    /** A test section's average-best or ensemble-best: 0 when absent, else at least 1. */
    private static int bestCount(SpecFile f, Map<String, Node> test, BestCheckpoints way) {
        if (!test.containsKey(way.specKey)) return 0;
        int n = integer(f, test.get(way.specKey));
        if (n < 1) throw f.error(test.get(way.specKey), "must be at least 1, got " + n);
        return n;
    }

    private static Slurm.Settings slurm(SpecFile f, Node n) {
        if (n == null) return Slurm.Settings.NONE;
        if (n.map() == null) throw f.error(n, "give slurm: as a mapping with " + String.join(", ", SLURM_KEYS));
        Map<String, Node> m = n.map();
        for (Node k : m.values()) if (!SLURM_KEYS.contains(lastKey(k))) throw f.error(k, "unknown key" + suggestion(lastKey(k), SLURM_KEYS));
        Integer cpus = m.containsKey("cpus-per-task") ? integer(f, m.get("cpus-per-task")) : null;
        Integer running = m.containsKey("max-running") ? integer(f, m.get("max-running")) : null;
        if (cpus != null && cpus < 1) throw f.error(m.get("cpus-per-task"), "must be at least 1, got " + cpus);
        if (running != null && running < 1) throw f.error(m.get("max-running"), "must be at least 1, got " + running);
        List<String> flags = new ArrayList<>();
        Node list = m.get("flags");
        if (list != null) {
            if (list.list() == null) throw f.error(list, "give flags as a list of sbatch options: [--qos=normal, --account=lab]");
            for (Node flag : list.list()) {
                String text = string(f, flag);
                if (!text.startsWith("-")) throw f.error(flag, "'" + text + "' is not an sbatch option (they start with -)");
                flags.add(text);
            }
        }
        return new Slurm.Settings(text(f, m, "partition"), text(f, m, "time"), cpus, text(f, m, "mem"), text(f, m, "gres"), running, flags);
    }

    private static String text(SpecFile f, Map<String, Node> m, String key) { return m.containsKey(key) ? string(f, m.get(key)) : null; }

    /** A cell's options, checked as tt train checks them; an error points at the setting responsible. */
    private static TrainOptions options(SpecFile f, Variant v, int seed) {
        TrainOptions o = parse(f, v.settings);
        o.seed = seed;
        try {
            return o.check();
        } catch (TrainOptions.OptionError e) {
            // The setting made last (a variant's override before train:) of the options the error names.
            Node at = v.settings.reversed().stream().filter(s -> e.options.contains("--" + s.key())).map(Setting::node).findFirst()
                    .orElse(v.declared);
            throw f.error(at, e.getMessage() + (at == v.declared ? " (in variant " + v.name + ", from the defaults)" : ""));
        }
    }

    // ---- options as tt train parses them ----

    private static Map<String, OptionSpec> trainOptions() {
        Map<String, OptionSpec> m = new TreeMap<>();
        for (OptionSpec o : new CommandLine(new TrainOptions()).getCommandSpec().options()) m.put(o.longestName().substring(2), o);
        return m;
    }

    /** The settings in order, later ones replacing earlier ones of the same key. */
    private static List<Setting> override(List<Setting> base, List<Setting> overrides) {
        Set<String> replaced = new java.util.HashSet<>();
        overrides.forEach(s -> replaced.add(s.key()));
        List<Setting> merged = new ArrayList<>(base.stream().filter(s -> !replaced.contains(s.key())).toList());
        merged.addAll(overrides);
        return merged;
    }

    private static TrainOptions parse(SpecFile f, List<Setting> settings) {
        List<String> args = new ArrayList<>();
        for (Setting s : settings) {
            OptionSpec o = OPTIONS.get(s.key());
            if (RESERVED.containsKey(s.key())) throw f.error(s.node(), "not set here: " + RESERVED.get(s.key()));
            if (o == null) throw f.error(s.node(), "not a tt train option" + suggestion(s.key(), OPTIONS.keySet()) + "; ./tt train --help lists them");
            if (!s.node().scalar()) throw f.error(s.node(), "needs a single value");
            if (o.typeInfo().isBoolean()) {
                if (!(s.node().value() instanceof Boolean b)) throw f.error(s.node(), "is a switch: true or false");
                if (b) args.add("--" + s.key());
            } else {
                if (s.node().value() == null || s.node().value() instanceof Boolean) throw f.error(s.node(), "needs a value");
                args.addAll(List.of("--" + s.key(), s.node().text()));
            }
        }
        try {
            return TrainOptions.parse(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            // Each setting was parsed alone first (settings()), so this names the one at fault.
            throw f.error(settings.getLast().node(), e.getMessage());
        }
    }

    /** An option's value in these options as the identity JSON has it (the option --d-model is the field dModel). */
    private static String valueIn(TrainOptions o, String key) {
        return o.identity().get(((java.lang.reflect.Field) OPTIONS.get(key).userObject()).getName()).asText().toLowerCase(java.util.Locale.ROOT);
    }

    // ---- scalars ----

    private static Node required(SpecFile f, Map<String, Node> top, String key) {
        Node n = top.get(key);
        if (n == null) throw f.error(f.root, "the spec has no " + key + ": (needed: experiment and seeds)");
        return n;
    }

    private static String string(SpecFile f, Node n) {
        if (!n.scalar() || n.value() == null || n.value() instanceof Boolean) throw f.error(n, "needs a text value");
        return n.text();
    }

    private static boolean flag(SpecFile f, Node n) {
        if (!(n.value() instanceof Boolean b)) throw f.error(n, "needs true or false, got '" + n.text() + "'");
        return b;
    }

    private static int integer(SpecFile f, Node n) {
        try {
            return Integer.parseInt(string(f, n));
        } catch (NumberFormatException e) {
            throw f.error(n, "'" + n.text() + "' is not a whole number");
        }
    }

    private static double real(SpecFile f, Node n) {
        try {
            return Double.parseDouble(string(f, n));
        } catch (NumberFormatException e) {
            throw f.error(n, "'" + n.text() + "' is not a number");
        }
    }

    private static String lastKey(Node n) { return n.path().substring(n.path().lastIndexOf('.') + 1); }

    /** "; did you mean X?" for the closest known key, if it is close. */
    static String suggestion(String key, java.util.Collection<String> known) {
        String best = known.stream().min(Comparator.comparingInt(k -> distance(key, k))).orElse(null);
        return best != null && distance(key, best) <= Math.max(2, key.length() / 3) ? "; did you mean " + best + "?" : "";
    }

    private static int distance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) row[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int up = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = up;
            }
        }
        return row[b.length()];
    }
}
