package tt.model;

import tt.kernels.Kernel;
import tt.kernels.StepGraph;

/**
 * The graph a layer appends its calls to, whether this pass trains (dropout on) or infers (no dropout calls), and
 * whether it decodes one position per sentence against cached keys and values ({@code incremental}).
 */
record Pass(StepGraph graph, boolean training, boolean incremental, GradientPlan.Zeroing zeroing) {

    Pass {
        if (training && incremental) throw new IllegalArgumentException("incremental passes decode; they do not train");
    }

    Pass(StepGraph graph, boolean training, boolean incremental) { this(graph, training, incremental, null); }

    /**
     * Appends a call. Training with a plan, the activation gradients whose life starts with it are
     * zeroed first, or the call overwrites them instead of adding into them.
     */
    void add(String label, Kernel kernel) {
        graph.add(label, zeroing != null ? zeroing.before(graph, kernel) : kernel);
    }
}
