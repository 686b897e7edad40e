package tt.model;

import tt.kernels.FloatBuf;
import tt.kernels.Kernel;
import tt.kernels.Kernel.Fill;
import tt.kernels.Kernel.GlobalNorm;
import tt.kernels.LiveSizes;
import tt.kernels.StepGraph;

import java.util.ArrayList;
import java.util.List;

/**
 * Adam with the constants of {@link AdamConfig} (by default the paper's: {@link AdamConfig#paper()}), with
 * decoupled weight decay and global-norm clipping. It owns its state (the two moments, each one
 * root laid out like the parameters), its update graph (global norm, the clipped step with bias
 * correction, the gradients zeroed for the next update), the scalars each update needs from the
 * host, and its part of a checkpoint, named as torch.optim.Adam's state: exp_avg.NAME, exp_avg_sq.NAME.
 */
public final class Adam {
    public final AdamConfig config;
    private final FloatBuf m, v, grads;
    /** Per-update scalars [lr, 1 - beta1^t, 1 - beta2^t, 1 / accumulated batches]. */
    private final FloatBuf hyper = FloatBuf.allocate("adam.hyper", 4);
    private final FloatBuf gradNorm = FloatBuf.allocate("grad_norm", 1);
    /** After one or more training steps: global gradient norm, the clipped update, gradients zeroed. */
    public final StepGraph update;

    Adam(AdamConfig config, Buffers buffers, LiveSizes sizes) {
        this.config = config;
        this.m = buffers.likeParameters("adam.m");
        this.v = buffers.likeParameters("adam.v");
        this.grads = buffers.grads.root();
        FloatBuf params = buffers.params.root();
        update = new StepGraph("update", sizes)
                .add("global gradient norm", new GlobalNorm(grads, gradNorm))
                .add("adam", new Kernel.Adam(params, grads, m, v, hyper, gradNorm,
                        config.beta1(), config.beta2(), config.eps(), config.weightDecay(), config.clipNorm()))
                .add("zero parameter gradients", new Fill(grads, 0f))
                .inputs(hyper).outputs(gradNorm);
    }

    /** Sets the scalars of update number {@code t} (counted from 1) at learning rate {@code lr} over {@code batches} accumulated batches. */
    void prepare(int t, double lr, int batches) {
        hyper.copyFrom(new float[] {(float) lr, (float) (1 - Math.pow(config.beta1(), t)), (float) (1 - Math.pow(config.beta2(), t)),
                1f / batches});
    }

    /** The global gradient norm the last update measured (before clipping). */
    float lastGradNorm() { return gradNorm.get(0); }

    /** Zero moments and zero gradients: where training starts, and what a checkpoint's moments are loaded over (host buffers). */
    void reset() {
        m.fill(0f);
        v.fill(0f);
        grads.fill(0f);
    }

    /** The buffers it keeps across updates, beside the parameters and gradients. */
    List<FloatBuf> state() { return List.of(m, v); }

    /** The moments of each parameter, as checkpoint tensors: exp_avg.NAME and exp_avg_sq.NAME. */
    List<Tensor> checkpointTensors(List<Tensor> parameters) {
        List<Tensor> out = new ArrayList<>(2 * parameters.size());
        for (String kind : List.of("exp_avg", "exp_avg_sq")) {
            FloatBuf root = kind.equals("exp_avg") ? m : v;
            for (Tensor p : parameters) {
                out.add(new Tensor(kind + "." + p.name(), p.shape(), root.view(kind + "." + p.name(), p.value().offset(), p.size()), null));
            }
        }
        return out;
    }
}
