package tt.model;

/** Adam's constants (the paper: 0.9, 0.98, 1e-9), decoupled weight decay, and global-norm clipping (0 = off). */
public record AdamConfig(float beta1, float beta2, float eps, float weightDecay, float clipNorm) {
    public static AdamConfig paper() { return new AdamConfig(0.9f, 0.98f, 1e-9f, 0f, 0f); }

    public AdamConfig withClipNorm(float v) { return new AdamConfig(beta1, beta2, eps, weightDecay, v); }
}
