package tt.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * C = alpha * op(A) op(B) + beta * C, batched over dense row-major matrices (see Kernel.Gemm).
 *
 * <p>Goto/BLIS blocking on the Vector API. Per K block of {@link #KC}, B is packed into panels
 * {@link #NR} columns wide and A into panels {@link #MR} rows tall, zero-padded at the edges, so
 * transposes cost nothing and the MR x NR register-blocked microkernel never branches; its tile is
 * then added into C under a lane mask. Threads split row tiles of all batches (whole small
 * matrices, or row ranges of a big one), so each element of C is computed by one thread, in a K
 * order fixed by KC alone: results are bit-identical for any thread count.
 */
public final class GemmKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /** The microkernel's tile: 12 rows x 2 vectors, 24 accumulators in 32 AVX-512 registers. */
    static final int MR = 12, NR = 2 * V;
    /**
     * Cache blocks: a KC x NR panel of B stays in L1 while MC/MR panels of A stream past it from L2;
     * the packed KC x NC block of B is reused by every row block of a thread.
     */
    static final int KC = 256, MC = 16 * MR, NC = 32 * NR;
    /** Multiply-adds a thread should have before a split pays for waking it. */
    private static final long GRAIN_FMAS = 1L << 20;

    /** Per-thread packing buffers, reused across calls (pool threads live as long as the backend). */
    private record Scratch(float[] a, float[] b, float[] tile) {}

    private static final ThreadLocal<Scratch> SCRATCH =
            ThreadLocal.withInitial(() -> new Scratch(new float[MC * KC], new float[KC * NC], new float[MR * NR]));

    private GemmKernels() {}

    public static void gemm(Parallel par, int batch, int m, int n, int k, boolean transA, boolean transB, float alpha,
                            float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        int tiles = (m + MR - 1) / MR;
        int grain = (int) Math.min(tiles, Math.max(1, GRAIN_FMAS / ((long) MR * n * Math.max(k, 1))));
        par.range(batch * tiles, grain, (start, end) -> {
            Scratch scratch = SCRATCH.get();
            for (int u = start; u < end; ) {
                int mat = u / tiles, t0 = u % tiles, t1 = Math.min(tiles, t0 + end - u);
                rowBlock(m, n, k, transA, transB, alpha, beta, a, aOff + mat * m * k, b, bOff + mat * k * n,
                        c, cOff + mat * m * n, t0 * MR, Math.min(m, t1 * MR), scratch);
                u += t1 - t0;
            }
        });
    }

    /** Rows [r0, r1) of one matrix's C. With k == 0 one empty K block still applies beta. */
    private static void rowBlock(int m, int n, int k, boolean transA, boolean transB, float alpha, float beta,
                                 float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int r0, int r1, Scratch s) {
        // Element (p, q) of a panel source sits at off + p*ps + q*qs: p runs along K, q along rows or columns.
        int aRowStride = transA ? 1 : k, aKStride = transA ? m : 1;
        int bColStride = transB ? k : 1, bKStride = transB ? 1 : n;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc == 0 || pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                for (int jr = 0; jr < nc; jr += NR) {
                    pack(b, bOff + pc * bKStride + (jc + jr) * bColStride, bKStride, bColStride, kc,
                            Math.min(NR, nc - jr), NR, s.b, jr * kc);
                }
                float betaNow = pc == 0 ? beta : 1f; // later K blocks accumulate onto the first
                for (int ic = r0; ic < r1; ic += MC) {
                    int mc = Math.min(MC, r1 - ic);
                    for (int ir = 0; ir < mc; ir += MR) {
                        pack(a, aOff + pc * aKStride + (ic + ir) * aRowStride, aKStride, aRowStride, kc,
                                Math.min(MR, mc - ir), MR, s.a, ir * kc);
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        for (int ir = 0; ir < mc; ir += MR) {
                            microKernel(kc, s.a, ir * kc, s.b, jr * kc, s.tile);
                            addTile(s.tile, Math.min(MR, mc - ir), Math.min(NR, nc - jr), alpha, betaNow,
                                    c, cOff + (ic + ir) * n + jc + jr, n);
                        }
                    }
                }
            }
        }
    }

    /**
     * Copies a kc x count block (element (p, q) at src[off + p*ps + q*qs]) into dst[d + p*width + q],
     * zero-filling q in [count, width). Reads run along whichever source dimension is contiguous.
     */
    private static void pack(float[] src, int off, int ps, int qs, int kc, int count, int width, float[] dst, int d) {
        if (qs == 1) {
            for (int p = 0; p < kc; p++) System.arraycopy(src, off + p * ps, dst, d + p * width, count);
        } else {
            for (int q = 0; q < count; q++) {
                for (int p = 0, from = off + q * qs; p < kc; p++) dst[d + p * width + q] = src[from + p * ps];
            }
        }
        if (count < width) {
            for (int p = 0; p < kc; p++) Arrays.fill(dst, d + p * width + count, d + (p + 1) * width, 0f);
        }
    }

    /** tile[MR x NR] = packed A panel (kc x MR) times packed B panel (kc x NR); accumulators stay in registers. */
    private static void microKernel(int kc, float[] a, int ai, float[] b, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00,
                c70 = c00, c71 = c00, c80 = c00, c81 = c00, c90 = c00, c91 = c00, cA0 = c00, cA1 = c00, cB0 = c00, cB1 = c00;
        for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + V), x;
            x = FloatVector.broadcast(S, a[ai]);      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + 1]);  c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2]);  c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3]);  c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + 4]);  c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + 5]);  c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ai + 6]);  c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ai + 7]);  c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, a[ai + 8]);  c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, a[ai + 9]);  c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, a[ai + 10]); cA0 = x.fma(b0, cA0); cA1 = x.fma(b1, cA1);
            x = FloatVector.broadcast(S, a[ai + 11]); cB0 = x.fma(b0, cB0); cB1 = x.fma(b1, cB1);
        }
        c00.intoArray(tile, 0);       c01.intoArray(tile, V);
        c10.intoArray(tile, NR);      c11.intoArray(tile, NR + V);
        c20.intoArray(tile, 2 * NR);  c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR);  c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR);  c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR);  c51.intoArray(tile, 5 * NR + V);
        c60.intoArray(tile, 6 * NR);  c61.intoArray(tile, 6 * NR + V);
        c70.intoArray(tile, 7 * NR);  c71.intoArray(tile, 7 * NR + V);
        c80.intoArray(tile, 8 * NR);  c81.intoArray(tile, 8 * NR + V);
        c90.intoArray(tile, 9 * NR);  c91.intoArray(tile, 9 * NR + V);
        cA0.intoArray(tile, 10 * NR); cA1.intoArray(tile, 10 * NR + V);
        cB0.intoArray(tile, 11 * NR); cB1.intoArray(tile, 11 * NR + V);
    }

    /** C[rows x cols] = alpha * tile + beta * C, reading C only when beta != 0 (so NaNs in a discarded C vanish). */
    private static void addTile(float[] tile, int rows, int cols, float alpha, float beta, float[] c, int ci, int ldc) {
        for (int r = 0; r < rows; r++, ci += ldc) {
            for (int j = 0; j < cols; j += V) {
                var inside = S.indexInRange(j, cols);
                FloatVector v = FloatVector.fromArray(S, tile, r * NR + j).mul(alpha);
                if (beta != 0f) v = FloatVector.fromArray(S, c, ci + j, inside).fma(FloatVector.broadcast(S, beta), v);
                v.intoArray(c, ci + j, inside);
            }
        }
    }
}
