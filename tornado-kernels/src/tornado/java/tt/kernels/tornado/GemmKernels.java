package tt.kernels.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import static tt.kernels.tornado.Group.dim;

/** C = alpha * op(A) op(B) + beta * C, batched over dense row-major matrices. */
public final class GemmKernels {
    /**
     * A work-group computes a BLOCK x BLOCK block of C with SIDE x SIDE work-items, each a
     * MICRO x MICRO set of outputs (rows ty + SIDE i, columns tx + SIDE j), walking k DEPTH at a
     * time through tiles of A and B staged in local memory.
     */
    static final int BLOCK = 64, DEPTH = 16, SIDE = 16, MICRO = BLOCK / SIDE;
    private static final int LOADS = BLOCK * DEPTH / (SIDE * SIDE);

    private GemmKernels() {}

    interface GemmParams { int BATCH = 0, M = 1, N = 2, K = 3, A = 4, B = 5, C = 6; }

    /**
     * The grid is (n, m, batch) in blocks of BLOCK columns
     * and rows, SIDE work-items each way per block. Every element of A and B is read from global
     * memory once per block instead of once per product, and every value staged in local memory
     * serves MICRO products. Neighbouring work-items load neighbouring addresses whether or not an
     * operand is transposed. Each output sums its products in k order, as the JVM backend does.
     */
    public static void gemm(KernelContext ctx, IntArray sizes, IntArray p, FloatArray a, FloatArray b, FloatArray c,
                            int transA, int transB, float alpha, float beta) {
        int m = dim(sizes, p, GemmParams.M), n = dim(sizes, p, GemmParams.N), k = dim(sizes, p, GemmParams.K);
        int tx = ctx.localIdx, ty = ctx.localIdy, tid = ty * SIDE + tx;
        int rowBase = ctx.groupIdy * BLOCK, colBase = ctx.groupIdx * BLOCK, batch = ctx.globalIdz;
        float[] aTile = ctx.allocateFloatLocalArray(BLOCK * DEPTH);  // [row][k]
        float[] bTile = ctx.allocateFloatLocalArray(DEPTH * BLOCK);  // [k][col]
        float[] acc = new float[MICRO * MICRO];
        float[] aCol = new float[MICRO];
        float[] bRow = new float[MICRO];
        for (int i = 0; i < MICRO * MICRO; i++) acc[i] = 0f;  // OpenCL private arrays start undefined
        boolean live = batch < dim(sizes, p, GemmParams.BATCH);
        int aBase = p.get(GemmParams.A) + batch * m * k, bBase = p.get(GemmParams.B) + batch * k * n;
        for (int t = 0; t < k; t += DEPTH) {
            for (int l = 0; l < LOADS; l++) {
                int e = tid + l * SIDE * SIDE;
                // Element e of each tile, numbered along the operand's stored rows.
                int ar = transA != 0 ? e % BLOCK : e / DEPTH, ak = transA != 0 ? e / BLOCK : e % DEPTH;
                int bc = transB != 0 ? e / DEPTH : e % BLOCK, bk = transB != 0 ? e % DEPTH : e / BLOCK;
                int row = rowBase + ar, col = colBase + bc;
                float av = 0f, bv = 0f;
                if (live && row < m && t + ak < k) av = a.get(aBase + (transA != 0 ? (t + ak) * m + row : row * k + t + ak));
                if (live && col < n && t + bk < k) bv = b.get(bBase + (transB != 0 ? col * k + t + bk : (t + bk) * n + col));
                aTile[ar * DEPTH + ak] = av;
                bTile[bk * BLOCK + bc] = bv;
            }
            ctx.localBarrier();
            for (int q = 0; q < DEPTH; q++) {
                for (int i = 0; i < MICRO; i++) aCol[i] = aTile[(ty + SIDE * i) * DEPTH + q];
                for (int j = 0; j < MICRO; j++) bRow[j] = bTile[q * BLOCK + tx + SIDE * j];
                for (int i = 0; i < MICRO; i++) {
                    for (int j = 0; j < MICRO; j++) acc[i * MICRO + j] += aCol[i] * bRow[j];
                }
            }
            ctx.localBarrier();
        }
        for (int i = 0; i < MICRO; i++) {
            for (int j = 0; j < MICRO; j++) {
                int row = rowBase + ty + SIDE * i, col = colBase + tx + SIDE * j;
                if (live && row < m && col < n) {
                    int ci = p.get(GemmParams.C) + batch * m * n + row * n + col;
                    c.set(ci, alpha * acc[i * MICRO + j] + (beta == 0f ? 0f : beta * c.get(ci)));
                }
            }
        }
    }
}
