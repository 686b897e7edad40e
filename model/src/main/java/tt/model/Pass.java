package tt.model;

import tt.kernels.Kernel;
import tt.kernels.StepGraph;

/**
 * The graph a layer appends its calls to, whether this pass trains (dropout on) or infers (no dropout calls), and
 * whether it decodes one position per sentence against cached keys and values ({@code incremental}).
 */
record Pass(StepGraph graph, boolean training, boolean incremental) {

    Pass {
        if (training && incremental) throw new IllegalArgumentException("incremental passes decode; they do not train");
    }

    void add(String label, Kernel kernel) { graph.add(label, kernel); }
}
