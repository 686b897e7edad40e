package tt.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row primitives on the Vector API for the wide rows of the output layer and attention. Each
 * keeps one accumulator per lane and a scalar tail, so its summation order is fixed by the row
 * length alone: results do not depend on threads.
 */
final class Vec {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final IntVector IOTA = IntVector.zero(I).addIndex(1);

    private Vec() {}

    static float max(float[] a, int off, int n) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) acc = acc.max(FloatVector.fromArray(F, a, off + i));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, a[off + i]);
        return m;
    }

    static float sum(float[] a, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) acc = acc.add(FloatVector.fromArray(F, a, off + i));
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[off + i];
        return s;
    }

    /** sum of exp(scale * a[i] - shift). */
    static float sumExp(float[] a, int off, int n, float scale, float shift) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            acc = acc.add(FloatVector.fromArray(F, a, off + i).mul(scale).sub(shift).lanewise(VectorOperators.EXP));
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += (float) Math.exp(scale * a[off + i] - shift);
        return s;
    }

    /** y[i] = exp(scale * a[i] - shift) * factor. */
    static void expScaled(float[] a, int off, float[] y, int yOff, int n, float scale, float shift, float factor) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, a, off + i).mul(scale).sub(shift).lanewise(VectorOperators.EXP).mul(factor).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = (float) Math.exp(scale * a[off + i] - shift) * factor;
    }

    /** y[i] = a[i] + delta. */
    static void addScalar(float[] a, int off, float[] y, int yOff, int n, float delta) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, a, off + i).add(delta).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = a[off + i] + delta;
    }

    /** y[i] += (exp(a[i]) - q) * scale. */
    static void addExpMinus(float[] a, int off, float[] y, int yOff, int n, float q, float scale) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector ex = FloatVector.fromArray(F, a, off + i).lanewise(VectorOperators.EXP);
            ex.sub(q).mul(scale).add(FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += ((float) Math.exp(a[off + i]) - q) * scale;
    }

    /** Index of the first maximum. */
    static int argmax(float[] a, int off, int n) {
        float m = max(a, off, n);
        for (int i = 0; i < n; i++) if (a[off + i] == m) return i;
        return 0;
    }

    /**
     * out[i] (+)= in[i] * DropoutMask.factor(seed, step, site, i, p) for i in [start, end): the
     * integer hash evaluated lane-wise, bit-identical to the scalar one.
     */
    static void dropout(float[] in, int inOff, float[] out, int outOff, int start, int end,
                        int key, float p, boolean accumulate) {
        float keep = 1f / (1f - p);
        int i = start;
        if (F.length() == I.length()) {
            for (int bound = start + F.loopBound(end - start); i < bound; i += F.length()) {
                IntVector h = IOTA.add(i).lanewise(VectorOperators.XOR, key);
                h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x7feb352d);
                h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 15)).mul(0x846ca68b);
                h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
                FloatVector u = ((FloatVector) h.lanewise(VectorOperators.LSHR, 8).convert(VectorOperators.I2F, 0)).mul(0x1.0p-24f);
                VectorMask<Float> dropped = u.compare(VectorOperators.LT, p);
                // Multiply by the factor (not blend in 0) so dropped negatives give -0, as the scalar tail does.
                FloatVector v = FloatVector.fromArray(F, in, inOff + i).mul(FloatVector.broadcast(F, keep).blend(0f, dropped));
                if (accumulate) v = v.add(FloatVector.fromArray(F, out, outOff + i));
                v.intoArray(out, outOff + i);
            }
        }
        for (; i < end; i++) {
            float v = in[inOff + i] * (uniform(key, i) < p ? 0f : keep);
            out[outOff + i] = accumulate ? out[outOff + i] + v : v;
        }
    }

    private static float uniform(int key, int index) {
        return (tt.kernels.DropoutMask.mix(key ^ index) >>> 8) * 0x1.0p-24f;
    }

    /** dx[i] += dy[i] where y[i] > 0. */
    static void reluBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int start, int end) {
        int i = start;
        for (int bound = start + F.loopBound(end - start); i < bound; i += F.length()) {
            VectorMask<Float> active = FloatVector.fromArray(F, y, yOff + i).compare(VectorOperators.GT, 0f);
            FloatVector.fromArray(F, dx, dxOff + i).add(FloatVector.fromArray(F, dy, dyOff + i), active).intoArray(dx, dxOff + i);
        }
        for (; i < end; i++) if (y[yOff + i] > 0f) dx[dxOff + i] += dy[dyOff + i];
    }
}
