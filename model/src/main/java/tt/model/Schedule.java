package tt.model;

import java.util.Locale;

/** Learning rate per optimizer update, counted from 1. */
public sealed interface Schedule {

    double lr(int step);

    /** Whether the rate depends on how many steps training takes: then a run cannot be lengthened without changing the updates it made. */
    default boolean dependsOnTotal() { return false; }

    /** The paper's: factor * d_model^-0.5 * min(step^-0.5, step * warmup^-1.5); step 0 is read as 1. */
    record Noam(int dModel, int warmup, double factor) implements Schedule {
        public double lr(int step) {
            int s = Math.max(step, 1);
            return factor * Math.pow(dModel, -0.5) * Math.min(Math.pow(s, -0.5), s * Math.pow(warmup, -1.5));
        }
    }

    /** Linear warmup from 0 to peak over warmup steps, then cosine decay to 0 at total steps. */
    record CosineWarmup(double peak, int warmup, int total) implements Schedule {
        public double lr(int step) {
            if (step < warmup) return peak * step / warmup;
            double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
            return peak * 0.5 * (1 + Math.cos(Math.PI * progress));
        }

        @Override public boolean dependsOnTotal() { return true; }
    }

    record Constant(double value) implements Schedule {
        public double lr(int step) { return value; }
    }

    /** noam | cosine-warmup | constant; {@code lr} is noam's factor or the peak/constant rate. */
    static Schedule parse(String name, double lr, int warmup, int totalSteps, int dModel) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "noam" -> new Noam(dModel, warmup, lr);
            case "cosine-warmup", "cosine" -> new CosineWarmup(lr, warmup, totalSteps);
            case "constant" -> new Constant(lr);
            default -> throw new IllegalArgumentException("unknown schedule '" + name + "'; use noam, cosine-warmup or constant");
        };
    }
}
