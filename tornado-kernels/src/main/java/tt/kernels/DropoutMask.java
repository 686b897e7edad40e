package tt.kernels;

/**
 * Counter-based dropout randomness: the keep/drop decision for element {@code index} of dropout
 * site {@code site} at training step {@code step} is a pure function of (seed, step, site, index),
 * so every backend and every thread count draws the same mask, and backward recomputes it instead
 * of storing it. Integer-only arithmetic, so OpenCL and PTX reproduce it bit for bit. Logical
 * shifts are written as arithmetic shifts plus a mask: TornadoVM 5.2 emits Java's {@code >>>} as
 * OpenCL's signed {@code >>}, which would change the hash on the device.
 */
public final class DropoutMask {
    private DropoutMask() {}

    /** lowbias32 finalizer (Chris Wellons' hash prospector): full avalanche on 32 bits. */
    public static int mix(int h) {
        h ^= (h >> 16) & 0xffff;
        h *= 0x7feb352d;
        h ^= (h >> 15) & 0x1ffff;
        h *= 0x846ca68b;
        h ^= (h >> 16) & 0xffff;
        return h;
    }

    public static int hash(int seed, int step, int site, int index) {
        return mix(siteKey(seed, step, site) ^ index);
    }

    /** The part of the hash shared by every element of one site at one step. */
    public static int siteKey(int seed, int step, int site) {
        int h = mix(seed ^ 0x9e3779b9);
        h = mix(h ^ step);
        return mix(h ^ (site * 0x632be5ab));
    }

    /** Uniform in [0, 1) with 24 bits. */
    public static float uniform(int seed, int step, int site, int index) {
        return ((hash(seed, step, site, index) >> 8) & 0xffffff) * 0x1.0p-24f;
    }

    /** The factor an element is multiplied by: 0 if dropped, 1/(1-p) if kept. */
    public static float factor(int seed, int step, int site, int index, float p) {
        return uniform(seed, step, site, index) < p ? 0f : 1f / (1f - p);
    }
}
