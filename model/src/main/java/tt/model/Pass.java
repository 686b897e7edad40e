package tt.model;

import tt.kernels.Kernel;
import tt.kernels.StepGraph;

/** The graph a layer appends its calls to, and whether this pass trains (dropout on) or infers. */
record Pass(StepGraph graph, boolean training) {

    void add(String label, Kernel kernel) { graph.add(label, kernel); }

    /** The dropout rate to use in this pass: the configured rate when training, 0 otherwise. */
    float dropout(float rate) { return training ? rate : 0f; }
}
