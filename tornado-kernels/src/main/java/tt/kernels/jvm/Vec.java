package tt.kernels.jvm;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row primitives on the Vector API for the wide rows of the output layer and attention. Each
 * keeps one accumulator per lane and a scalar tail, so its summation order is fixed by the row
 * length alone: results do not depend on threads.
 *
 * <p>Only IEEE-exact lane operations are used (add, mul, fma, compare, conversions): the Vector
 * API's EXP and its float reductions may differ between the JIT's intrinsics and the interpreter's
 * fallback, which would make a run's numbers depend on JIT warm-up. So exp is our own polynomial,
 * evaluated by the same operation sequence in the lanes and in the scalar tail, and lane sums are
 * added in a fixed pairwise tree of lane shuffles (log2 of the lanes long, not a chain of them).
 */
final class Vec {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Half as many lanes as F: a float vector widens into two of these. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final IntVector IOTA = IntVector.zero(I).addIndex(1);

    private Vec() {}

    static float max(float[] a, int off, int n) {
        // Four chains: a lane-wise max with Java's NaN and -0 rules is a few dependent instructions.
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), acc1 = acc, acc2 = acc, acc3 = acc;
        int i = 0;
        for (int bound = n - 4 * F.length(); i <= bound; i += 4 * F.length()) {
            acc = acc.max(FloatVector.fromArray(F, a, off + i));
            acc1 = acc1.max(FloatVector.fromArray(F, a, off + i + F.length()));
            acc2 = acc2.max(FloatVector.fromArray(F, a, off + i + 2 * F.length()));
            acc3 = acc3.max(FloatVector.fromArray(F, a, off + i + 3 * F.length()));
        }
        acc = acc.max(acc1).max(acc2.max(acc3));
        for (int bound = F.loopBound(n); i < bound; i += F.length()) acc = acc.max(FloatVector.fromArray(F, a, off + i));
        if (i < n) {  // the tail under a mask (attention rows are often shorter than a vector)
            VectorMask<Float> inside = F.indexInRange(i, n);
            acc = acc.max(FloatVector.fromArray(F, a, off + i, inside).blend(Float.NEGATIVE_INFINITY, inside.not()));
        }
        return acc.reduceLanes(VectorOperators.MAX);
    }

    static float sum(float[] a, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) acc = acc.add(FloatVector.fromArray(F, a, off + i));
        float s = sumLanes(acc);
        for (; i < n; i++) s += a[off + i];
        return s;
    }

    /**
     * Sum of a[i]^2 in float64 (each square is exact there): the lanes accumulate with fma, then are
     * added in lane order. One multiply-add chain per element (the scalar loop) left a gradient norm
     * latency-bound, at a tenth of the memory's speed.
     */
    static double sumOfSquares(float[] a, int off, int n) {
        DoubleVector low = DoubleVector.zero(D), high = low;
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, a, off + i);
            DoubleVector l = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0), h = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 1);
            low = l.fma(l, low);
            high = h.fma(h, high);
        }
        double s = 0;
        for (double lane : low.add(high).toArray()) s += lane;
        for (; i < n; i++) s += (double) a[off + i] * a[off + i];
        return s;
    }

    /** sum of a[i] * b[i]. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) s = Math.fma(a[aOff + i], b[bOff + i], s);
        return s;
    }

    /** y[i] += alpha * x[i], fused. */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
    }

    /** Rows per pass of {@link #addColumnSums}: a pass walks down this many rows per column block. */
    private static final int COLUMN_SUM_ROWS = 16;

    /**
     * y[c] += the sum over rows r, in order, of x[off + r*ld + c], for c < n. Passes of 16 rows: four vectors of columns at a time stay in registers down
     * the pass (summed through an array row by row, the array's loads and stores came with every
     * row); a pass walking all rows instead would touch a page per row of a wide matrix.
     */
    static void addColumnSums(float[] x, int off, int ld, int rows, int n, float[] y, int yOff) {
        int v = F.length(), blocks = n / (4 * v) * (4 * v);
        float[] sums = new float[n];
        for (int r0 = 0; r0 < rows; r0 += COLUMN_SUM_ROWS) {
            int r1 = Math.min(rows, r0 + COLUMN_SUM_ROWS);
            for (int c = 0; c < blocks; c += 4 * v) {
                FloatVector s0 = FloatVector.fromArray(F, sums, c), s1 = FloatVector.fromArray(F, sums, c + v),
                        s2 = FloatVector.fromArray(F, sums, c + 2 * v), s3 = FloatVector.fromArray(F, sums, c + 3 * v);
                for (int r = r0, i = off + r0 * ld + c; r < r1; r++, i += ld) {
                    s0 = s0.add(FloatVector.fromArray(F, x, i));
                    s1 = s1.add(FloatVector.fromArray(F, x, i + v));
                    s2 = s2.add(FloatVector.fromArray(F, x, i + 2 * v));
                    s3 = s3.add(FloatVector.fromArray(F, x, i + 3 * v));
                }
                s0.intoArray(sums, c);
                s1.intoArray(sums, c + v);
                s2.intoArray(sums, c + 2 * v);
                s3.intoArray(sums, c + 3 * v);
            }
            for (int r = r0; r < r1; r++) {
                for (int c = blocks, i = off + r * ld; c < n; c++) sums[c] += x[i + c];
            }
        }
        for (int c = 0; c < n; c++) y[yOff + c] += sums[c];
    }

    /** sum of (a[i] - mu)^2. */
    static float sumSquaredDeviations(float[] a, int off, int n, float mu) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector d = FloatVector.fromArray(F, a, off + i).sub(mu);
            acc = d.fma(d, acc);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            float d = a[off + i] - mu;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    /** y[i] = (x[i] - mu) * rs * gamma[i] + beta[i]: a layer norm row. */
    static void normalize(float[] x, int off, int n, float mu, float rs, float[] gamma, int gOff, float[] beta, int bOff,
                          float[] y, int yOff) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector xhat = FloatVector.fromArray(F, x, off + i).sub(mu).mul(rs);
            xhat.fma(FloatVector.fromArray(F, gamma, gOff + i), FloatVector.fromArray(F, beta, bOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma((x[off + i] - mu) * rs, gamma[gOff + i], beta[bOff + i]);
    }

    /** sum of dy[i] * gamma[i] * (x[i] - mu). */
    static float sumProductsCentered(float[] dy, int dyOff, float[] gamma, int gOff, float[] x, int xOff, float mu, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, dy, dyOff + i).mul(FloatVector.fromArray(F, gamma, gOff + i));
            acc = g.fma(FloatVector.fromArray(F, x, xOff + i).sub(mu), acc);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) s = Math.fma(dy[dyOff + i] * gamma[gOff + i], x[xOff + i] - mu, s);
        return s;
    }

    /** dx[i] (+)= rs * (dy[i] * gamma[i] - gMean - (x[i] - mu) * rs * gxMean): a layer norm row's input gradient. */
    static void layerNormInputGradient(float[] dy, int dyOff, float[] gamma, int gOff, float[] x, int xOff, float mu, float rs,
                                       float gMean, float gxMean, float[] dx, int dxOff, int n, boolean accumulate) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, dy, dyOff + i).mul(FloatVector.fromArray(F, gamma, gOff + i));
            FloatVector xhat = FloatVector.fromArray(F, x, xOff + i).sub(mu).mul(rs);
            FloatVector inner = xhat.fma(FloatVector.broadcast(F, -gxMean), g.sub(gMean));
            FloatVector base = accumulate ? FloatVector.fromArray(F, dx, dxOff + i) : FloatVector.zero(F);
            inner.fma(FloatVector.broadcast(F, rs), base).intoArray(dx, dxOff + i);
        }
        for (; i < n; i++) {
            float inner = Math.fma((x[xOff + i] - mu) * rs, -gxMean, dy[dyOff + i] * gamma[gOff + i] - gMean);
            dx[dxOff + i] = Math.fma(inner, rs, accumulate ? dx[dxOff + i] : 0f);
        }
    }

    /** dGamma[i] += dy[i] * (x[i] - mu) * rs and dBeta[i] += dy[i]: one row's share of the layer norm's parameter gradients. */
    static void accumulateScaledDeviations(float[] dy, int dyOff, float[] x, int xOff, float mu, float rs,
                                           float[] dGamma, float[] dBeta, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector d = FloatVector.fromArray(F, dy, dyOff + i);
            FloatVector xhat = FloatVector.fromArray(F, x, xOff + i).sub(mu).mul(rs);
            d.fma(xhat, FloatVector.fromArray(F, dGamma, i)).intoArray(dGamma, i);
            d.add(FloatVector.fromArray(F, dBeta, i)).intoArray(dBeta, i);
        }
        for (; i < n; i++) {
            dGamma[i] = Math.fma(dy[dyOff + i], (x[xOff + i] - mu) * rs, dGamma[i]);
            dBeta[i] += dy[dyOff + i];
        }
    }

    /** y[i] (+)= scale * p[i] * (q[i] + shift): a softmax row's backward with shift = -(p . dp). */
    static void addProductOfShifted(float[] p, int pOff, float scale, float[] q, int qOff, float shift, float[] y, int yOff, int n,
                                    boolean accumulate) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector sp = FloatVector.fromArray(F, p, pOff + i).mul(scale);
            FloatVector base = accumulate ? FloatVector.fromArray(F, y, yOff + i) : FloatVector.zero(F);
            sp.fma(FloatVector.fromArray(F, q, qOff + i).add(shift), base).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(scale * p[pOff + i], q[qOff + i] + shift, accumulate ? y[yOff + i] : 0f);
    }

    /** sum of exp(scale * a[i] - shift): whole vectors lane-wise, then the tail's lanes one by one in order, as scalars would be. */
    static float sumExp(float[] a, int off, int n, float scale, float shift) {
        FloatVector acc = FloatVector.zero(F), tail = acc;
        for (int i = 0; i < n; i += F.length()) {
            FloatVector e = exp(load(a, off + i, i, n).mul(scale).sub(shift));
            if (i + F.length() <= n) acc = acc.add(e);
            else tail = e;
        }
        float s = sumLanes(acc);
        for (int lane = 0; lane < n % F.length(); lane++) s += tail.lane(lane);
        return s;
    }

    /** y[i] = exp(scale * a[i] - shift) * factor. */
    static void expScaled(float[] a, int off, float[] y, int yOff, int n, float scale, float shift, float factor) {
        for (int i = 0; i < n; i += F.length()) {
            FloatVector e = exp(load(a, off + i, i, n).mul(scale).sub(shift)).mul(factor);
            if (i + F.length() <= n) e.intoArray(y, yOff + i);
            else e.intoArray(y, yOff + i, F.indexInRange(i, n));
        }
    }

    /**
     * Lanes [i, n) of a row from a[at] on (zeros past n, masked only there). Loops over exp use it
     * to reach one call of exp for whole vectors and the tail alike: a second call site was not
     * inlined, so its vectors ran boxed, allocating on every row.
     */
    private static FloatVector load(float[] a, int at, int i, int n) {
        return i + F.length() <= n ? FloatVector.fromArray(F, a, at) : FloatVector.fromArray(F, a, at, F.indexInRange(i, n));
    }

    /** y[i] = a[i] + delta, returning the sum of the y as {@link #sum} adds them up, from the same pass. */
    static float addScalarAndSum(float[] a, int off, float[] y, int yOff, int n, float delta) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, a, off + i).add(delta);
            v.intoArray(y, yOff + i);
            acc = acc.add(v);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) s += y[yOff + i] = a[off + i] + delta;
        return s;
    }

    /** y[i] (+)= (exp(a[i]) - q) * scale; y may be a. */
    static void expMinus(float[] a, int off, float[] y, int yOff, int n, float q, float scale, boolean accumulate) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector v = exp(FloatVector.fromArray(F, a, off + i)).sub(q).mul(scale);
            if (accumulate) v = v.add(FloatVector.fromArray(F, y, yOff + i));
            v.intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            float v = (exp(a[off + i]) - q) * scale;
            y[yOff + i] = accumulate ? y[yOff + i] + v : v;
        }
    }

    private static float sumLanes(FloatVector v) {
        if (F.length() > 16) {  // wider than the tree below (e.g. SVE): lane order
            float s = 0f;
            for (int lane = 0; lane < F.length(); lane++) s += v.lane(lane);
            return s;
        }
        if (F.length() >= 16) v = v.add(v.rearrange(ROTATE_8));
        if (F.length() >= 8) v = v.add(v.rearrange(ROTATE_4));
        if (F.length() >= 4) v = v.add(v.rearrange(ROTATE_2));
        if (F.length() >= 2) v = v.add(v.rearrange(ROTATE_1));
        return v.lane(0);
    }

    /** sumLanes' tree: lane i plus lane i + 8 (then 4, 2, 1), for the species that has those lanes (constants, so the JIT inlines them). */
    private static final VectorShuffle<Float> ROTATE_8 = rotation(8), ROTATE_4 = rotation(4), ROTATE_2 = rotation(2), ROTATE_1 = rotation(1);

    private static VectorShuffle<Float> rotation(int by) {
        return by < F.length() ? VectorShuffle.fromOp(F, i -> (i + by) % F.length()) : null;
    }

    // exp(x) = 2^k * e^r, k = round(x / ln 2), r = x - k ln 2 (Cody-Waite), e^r by Cephes' expf polynomial.
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds to an integer
    private static final float MIN_ARG = -87.3f, MAX_ARG = 88.0f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** e^x to about 2 ulp; 0 below -87.3, and arguments above 88 (never passed here: rows are shifted by their max) give e^88. */
    static FloatVector exp(FloatVector x) {
        // Clamped by blends, and 2^k from k + ROUND's bits: Java's lane-wise min, max and float-to-int
        // conversion each cost a fix-up sequence for NaN and -0 (this took twice as long with them).
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, MIN_ARG);
        x = x.blend(MIN_ARG, tiny).blend(MAX_ARG, x.compare(VectorOperators.GT, MAX_ARG));
        FloatVector rounded = x.mul(LOG2E).add(ROUND), k = rounded.sub(ROUND);
        FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        FloatVector e = p.fma(r.mul(r), r).add(1f);
        // rounded's bits are ROUND's plus k in the low mantissa bits; the shift drops ROUND's.
        IntVector bits = rounded.reinterpretAsInts().add(127).lanewise(VectorOperators.LSHL, 23);
        return e.mul(bits.reinterpretAsFloats()).blend(0f, tiny);
    }

    /** The same operations as the lane version, one element. */
    static float exp(float x) {
        if (x < MIN_ARG) return 0f;
        x = Math.min(Math.max(x, MIN_ARG), MAX_ARG);
        float k = x * LOG2E + ROUND - ROUND;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float e = Math.fma(p, r * r, r) + 1f;
        return e * Float.intBitsToFloat(((int) k + 127) << 23);
    }

    /** Index of the first a[i] equal to m (the first maximum, given the maximum), or 0 if none (m NaN). */
    static int firstIndexOf(float[] a, int off, int n, float m) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            VectorMask<Float> hit = FloatVector.fromArray(F, a, off + i).compare(VectorOperators.EQ, m);
            if (hit.anyTrue()) return i + hit.firstTrue();
        }
        for (; i < n; i++) if (a[off + i] == m) return i;
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

    /** dx[i] += dy[i] where y[i] > 0; without accumulate dx[i] = that, and 0 elsewhere. */
    static void reluBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int start, int end, boolean accumulate) {
        int i = start;
        for (int bound = start + F.loopBound(end - start); i < bound; i += F.length()) {
            VectorMask<Float> active = FloatVector.fromArray(F, y, yOff + i).compare(VectorOperators.GT, 0f);
            FloatVector base = accumulate ? FloatVector.fromArray(F, dx, dxOff + i) : FloatVector.zero(F);
            base.add(FloatVector.fromArray(F, dy, dyOff + i), active).intoArray(dx, dxOff + i);
        }
        for (; i < end; i++) {
            float base = accumulate ? dx[dxOff + i] : 0f;
            dx[dxOff + i] = y[yOff + i] > 0f ? base + dy[dyOff + i] : base;
        }
    }
}
