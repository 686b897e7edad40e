package tt.kernels.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import static tt.kernels.tornado.Group.dim;

/** C = alpha * op(A) op(B) + beta * C, batched over dense row-major matrices. */
public final class GemmKernels {
    /** Side of the square tiles staged in local memory; work-groups are TILE x TILE. */
    static final int TILE = 16;

    private GemmKernels() {}

    /**
     * p = [batch, m, n, k, aOff, bOff, cOff]. The grid is (n, m, batch), rounded up to whole tiles
     * in x and y; each work-group walks k one TILE x TILE tile of A and of B at a time, so every
     * element of A and B is read from global memory once per tile instead of once per product.
     * Each output sums its products in k order, as the JVM backend does.
     */
    public static void gemm(KernelContext ctx, IntArray sizes, IntArray p, FloatArray a, FloatArray b, FloatArray c,
                            int transA, int transB, float alpha, float beta) {
        int m = dim(sizes, p, 1), n = dim(sizes, p, 2), k = dim(sizes, p, 3);
        int col = ctx.globalIdx, row = ctx.globalIdy, batch = ctx.globalIdz;
        int lx = ctx.localIdx, ly = ctx.localIdy;
        float[] aTile = ctx.allocateFloatLocalArray(TILE * TILE);
        float[] bTile = ctx.allocateFloatLocalArray(TILE * TILE);
        boolean live = batch < dim(sizes, p, 0);
        int aBase = p.get(4) + batch * m * k, bBase = p.get(5) + batch * k * n;
        float acc = 0f;
        for (int t = 0; t < k; t += TILE) {
            int ak = t + lx, bk = t + ly;
            float av = 0f, bv = 0f;
            if (live && row < m && ak < k) av = a.get(aBase + (transA != 0 ? ak * m + row : row * k + ak));
            if (live && col < n && bk < k) bv = b.get(bBase + (transB != 0 ? col * k + bk : bk * n + col));
            aTile[ly * TILE + lx] = av;
            bTile[ly * TILE + lx] = bv;
            ctx.localBarrier();
            for (int q = 0; q < TILE; q++) acc += aTile[ly * TILE + q] * bTile[q * TILE + lx];
            ctx.localBarrier();
        }
        if (live && row < m && col < n) {
            int ci = p.get(6) + batch * m * n + row * n + col;
            c.set(ci, alpha * acc + (beta == 0f ? 0f : beta * c.get(ci)));
        }
    }
}
