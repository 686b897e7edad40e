package tt.kernels.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = alpha * op(A) op(B) + beta * C, batched over dense row-major matrices (see Kernel.Gemm).
 *
 * <p>Goto/BLIS blocking on the Vector API. Per K block of {@link #KC}, the register-blocked
 * microkernel multiplies a tile-high panel of A (element (r, k) at r*aRow + k*aK: K contiguous, or
 * K-major when A is stored transposed) by a
 * tile-wide panel of B (K rows {@code bRow} apart, columns contiguous) into a tile, which is then
 * added into C under a lane mask. Panels are packed into per-thread buffers, zero-padded at the
 * edges, except in small products, whose whole interior panels are read in place when the layout
 * already fits (packing them would cost as much as multiplying them). Packed or in place, the
 * arithmetic is the same. Threads split row tiles of all batches (whole small matrices, or row
 * ranges of a big one), or the column blocks of one matrix with few rows, so each element of C is
 * computed by one thread, in a K order fixed by KC alone: results are bit-identical for any thread count.
 */
public final class GemmKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /**
     * Vector registers a microkernel may fill with accumulators: 32 with AVX-512 (and on AArch64),
     * 16 with AVX2, where the wide tile's 24 accumulators would spill on every k (a third of the speed).
     */
    private static final int REGISTERS = V >= 16 || "aarch64".equals(System.getProperty("os.arch")) ? 32 : 16;

    /**
     * A register tile, {@code rows} x {@code vectors} vectors (few rows keep the row addresses of an A
     * panel read in place in general registers). With 32 registers: 6 x 4 (24 accumulators), and
     * for products at most two vectors wide (attention's per-head products, n = keys or head size
     * 32), where it would compute half zeros, 8 x 2 (16; 6 rows would leave a third of a 32-row
     * product's last tile empty: 15-20% slower). With 16 registers: 6 x 2 (12) for all.
     */
    record Tile(int rows, int vectors) {
        static final Tile SIX_BY_FOUR = new Tile(6, 4), EIGHT_BY_TWO = new Tile(8, 2), SIX_BY_TWO = new Tile(6, 2),
                WIDE = REGISTERS >= 32 ? SIX_BY_FOUR : SIX_BY_TWO, NARROW = REGISTERS >= 32 ? EIGHT_BY_TWO : SIX_BY_TWO;

        int cols() { return vectors * V; }

        /** Columns of the packed B block: sixteen panels, sized for L2. */
        int blockCols() { return 16 * cols(); }
    }
    /**
     * Cache blocks: a tile-high x KC panel of A stays in L1 while the tile-wide panels of the packed KC x
     * blockCols block of B (in L2) stream past it; that block serves every MC-row block of a thread.
     */
    static final int KC = 256, MC = 192, NC = Tile.SIX_BY_FOUR.blockCols();  // MC: a multiple of every tile's rows; NC: the largest block
    /** Products whose operands together hold at most this many floats (L1-sized) are read in place. */
    private static final int SMALL_FLOATS = 1 << 14;
    /** Multiply-adds a thread should have before a split pays for waking it. */
    private static final long GRAIN_FMAS = 1L << 20;

    /** Eight lanes: one k's values of a K-major A panel of 8 rows, or of 6 and two of the next k's. */
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    /** Per-thread packing buffers, reused across calls (pool threads live as long as the backend). */
    private record Scratch(float[] a, float[] b, float[] tile, int[] map) {}

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() ->
            new Scratch(new float[MC * KC], new float[KC * NC], new float[Tile.SIX_BY_FOUR.rows() * Tile.SIX_BY_FOUR.cols()], new int[Tile.SIX_BY_FOUR.cols()]));  // the largest tile

    private GemmKernels() {}

    public static void gemm(Parallel par, int batch, int m, int n, int k, boolean transA, boolean transB, float alpha,
                            float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        gemm(par, Tile.NARROW, Tile.WIDE, batch, m, n, k, transA, transB, alpha, a, aOff, b, bOff, beta, c, cOff, null);
    }

    /**
     * What a linear layer does to a product's elements next, done as each is stored after its last
     * K block: C[i, j] += bias[biasOff + j] in every matrix, then, with {@code relu}, C = max(C, 0).
     * The same floats as the product stored and then a pass of each (Kernel.BiasAdd, Kernel.Relu),
     * without those passes over C.
     */
    public record Epilogue(float[] bias, int biasOff, boolean relu) {}

    /** {@link #gemm} with its epilogue. */
    public static void gemm(Parallel par, int batch, int m, int n, int k, boolean transA, boolean transB, float alpha,
                            float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff, Epilogue epilogue) {
        gemm(par, Tile.NARROW, Tile.WIDE, batch, m, n, k, transA, transB, alpha, a, aOff, b, bOff, beta, c, cOff, epilogue);
    }

    /** {@link #gemm} with the tiles given (epilogue null: none): tests run every tile on any CPU. */
    static void gemm(Parallel par, Tile narrow, Tile wide, int batch, int m, int n, int k, boolean transA, boolean transB, float alpha,
                     float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff, Epilogue epilogue) {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        Tile tile = n <= narrow.cols() ? narrow : wide;
        int mr = tile.rows(), tiles = (m + mr - 1) / mr;
        int grain = (int) Math.max(1, GRAIN_FMAS / ((long) mr * n * Math.max(k, 1)));
        boolean small = k <= KC && (long) k * (m + n) <= SMALL_FLOATS;
        int blockCols = tile.blockCols(), colBlocks = (n + blockCols - 1) / blockCols;
        if (batch == 1 && m <= MC && colBlocks > 1) {
            // Few rows and many columns (the decoder's vocabulary projection): split by rows, every
            // thread would pack all of B for a few rows' work; split by column blocks, each packs its share.
            par.range(colBlocks, 1, (start, end) -> block(m, n, k, transA, transB, alpha, beta, a, aOff, b, bOff,
                    c, cOff, epilogue, 0, m, start * blockCols, Math.min(n, end * blockCols), small, tile, SCRATCH.get()));
            return;
        }
        par.range(batch * tiles, grain, (start, end) -> {
            Scratch scratch = SCRATCH.get();
            for (int u = start; u < end; ) {
                int mat = u / tiles, t0 = u % tiles, t1 = Math.min(tiles, t0 + end - u);
                block(m, n, k, transA, transB, alpha, beta, a, aOff + mat * m * k, b, bOff + mat * k * n,
                        c, cOff + mat * m * n, epilogue, t0 * mr, Math.min(m, t1 * mr), 0, n, small, tile, scratch);
                u += t1 - t0;
            }
        });
    }

    /**
     * Rows [r0, r1) x columns [c0, c1) of one matrix's C (c0 a multiple of the tile's block columns).
     * With k == 0 one empty K block still applies beta (and the epilogue, if any).
     */
    private static void block(int m, int n, int k, boolean transA, boolean transB, float alpha, float beta,
                              float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, Epilogue epilogue,
                              int r0, int r1, int c0, int c1,
                              boolean small, Tile tile, Scratch s) {
        int mr = tile.rows(), nr = tile.cols(), blockCols = tile.blockCols();
        // Element (p, q) of a panel's source sits at off + p*ps + q*qs: p runs along K, q along rows or columns.
        int aRowStride = transA ? 1 : k, aKStride = transA ? m : 1;
        int bColStride = transB ? k : 1, bKStride = transB ? 1 : n;
        // A packs so that its copy is contiguous on both sides: rows of K when K is contiguous in A,
        // else K-major (mr row values per k, as A^T supplies them). Small products read A in place either way.
        int aPackRow = transA ? 1 : KC, aPackK = transA ? mr : 1;
        boolean aInPlace = small, bInPlace = small && !transB;
        for (int jc = c0; jc < c1; jc += blockCols) {
            int nc = Math.min(blockCols, c1 - jc);
            for (int pc = 0; pc == 0 || pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                for (int jr = 0; jr < nc; jr += nr) {
                    if (!(bInPlace && jr + nr <= nc)) {
                        pack(b, bOff + pc * bKStride + (jc + jr) * bColStride, bKStride, bColStride, kc,
                                Math.min(nr, nc - jr), nr, s.b, jr * kc, nr, 1, s.map);
                    }
                }
                float betaNow = pc == 0 ? beta : 1f; // later K blocks accumulate onto the first
                Epilogue epilogueNow = pc + KC >= k ? epilogue : null;  // once, with the last K block
                for (int ic = r0; ic < r1; ic += MC) {
                    int mc = Math.min(MC, r1 - ic);
                    if (transA && !aInPlace) packTransposed(a, aOff + pc * m + ic, m, kc, mc, mr, s.a);
                    else for (int ir = 0; ir < mc; ir += mr) {
                        if (!(aInPlace && ir + mr <= mc)) {
                            pack(a, aOff + pc * aKStride + (ic + ir) * aRowStride, aKStride, aRowStride, kc,
                                    Math.min(mr, mc - ir), mr, s.a, ir * KC, aPackK, aPackRow, s.map);
                        }
                    }
                    for (int ir = 0; ir < mc; ir += mr) {
                        boolean aHere = aInPlace && ir + mr <= mc;
                        float[] ap = aHere ? a : s.a;
                        int ai = aHere ? aOff + (ic + ir) * aRowStride + pc * aKStride : ir * KC;
                        int aRow = aHere ? aRowStride : aPackRow, aK = aHere ? aKStride : aPackK;
                        for (int jr = 0; jr < nc; jr += nr) {
                            boolean bHere = bInPlace && jr + nr <= nc;
                            float[] bp = bHere ? b : s.b;
                            int bi = bHere ? bOff + pc * n + jc + jr : jr * kc, bRow = bHere ? n : nr;
                            if (tile == Tile.SIX_BY_FOUR) microKernel6x4(kc, ap, ai, aRow, aK, bp, bi, bRow, s.tile);
                            else microKernel2(kc, ap, ai, aRow, aK, bp, bi, bRow, s.tile, mr == 8);
                            addTile(s.tile, nr, Math.min(mr, mc - ir), Math.min(nr, nc - jr), alpha, betaNow,
                                    c, cOff + (ic + ir) * n + jc + jr, n, epilogueNow, jc + jr);
                        }
                    }
                }
            }
        }
    }

    /**
     * dst[d + p*dp + q*dq] = src[off + p*ps + q*qs] for p < kc, q < count, and 0 for q in [count, width).
     * One of ps, qs is 1: the inner loop runs along it, so reads are contiguous. A whole panel that
     * transposes into contiguous q is gathered a vector at a time instead (about twice as fast),
     * unless its source rows lie 4 KiB or more apart: those share L1 sets, and a gather over them thrashes.
     */
    private static void pack(float[] src, int off, int ps, int qs, int kc, int count, int width,
                             float[] dst, int d, int dp, int dq, int[] map) {
        if (qs != 1 && dq == 1 && count == width && qs * Float.BYTES < 4096) {
            for (int q = 0; q < width; q++) map[q] = q * qs;
            for (int p = 0; p < kc; p++, off += ps, d += dp) {
                for (int q = 0; q < width; q += V) FloatVector.fromArray(S, src, off, map, q).intoArray(dst, d + q);
            }
            return;
        }
        if (qs == 1) copyRows(src, off, ps, kc, count, dst, d, dp, dq);
        else copyRows(src, off, qs, count, kc, dst, d, dq, dp);
        for (int q = count; q < width; q++) {
            for (int p = 0; p < kc; p++) dst[d + p * dp + q * dq] = 0f;
        }
    }

    /**
     * An A block stored transposed (K rows {@code ld} apart, the block's mc rows contiguous in each)
     * into K-major panels of mr (6 or 8) rows: panel q's k-th mr values at dst[q*mr*KC + k*mr],
     * zero-padded. Row by row of the source, so each cache line is read once, whole (panel by panel,
     * power-of-two row strides would evict lines before the next panel reuses them).
     */
    private static void packTransposed(float[] src, int off, int ld, int kc, int mc, int mr, float[] dst) {
        int whole = mc / mr * mr;
        VectorMask<Float> panelRows = F8.indexInRange(0, mr);
        for (int p = 0; p < kc; p++, off += ld) {
            if (mr == F8.length() || p < kc - 1) {
                // Eight lanes carry a k's mr values, unmasked (masked, this pack cost a fifth of a
                // weight gradient's time): with 6 rows the two extra land in the next k's slot, written next.
                for (int ir = 0; ir < whole; ir += mr) FloatVector.fromArray(F8, src, off + ir).intoArray(dst, ir * KC + p * mr);
            } else {
                // The last k's extra lanes would land in the next panel: masked.
                for (int ir = 0; ir < whole; ir += mr) {
                    FloatVector.fromArray(F8, src, off + ir, panelRows).intoArray(dst, ir * KC + p * mr, panelRows);
                }
            }
            if (whole < mc) {
                int d = whole * KC + p * mr;
                for (int r = 0; r < mr; r++) dst[d + r] = whole + r < mc ? src[off + whole + r] : 0f;
            }
        }
    }

    /** dst[d + o*dOuter + i*dInner] = src[off + o*sOuter + i] for o < outer, i < inner. */
    private static void copyRows(float[] src, int off, int sOuter, int outer, int inner,
                                 float[] dst, int d, int dOuter, int dInner) {
        for (int o = 0; o < outer; o++, off += sOuter, d += dOuter) {
            if (dInner == 1 && inner % V == 0 && inner <= 4 * V) {
                // A panel row of B, a few whole vectors: for so few floats System.arraycopy's call
                // costs about as much as the copy.
                for (int i = 0; i < inner; i += V) FloatVector.fromArray(S, src, off + i).intoArray(dst, d + i);
            } else if (dInner == 1 && inner > Tile.EIGHT_BY_TWO.rows()) System.arraycopy(src, off, dst, d, inner);  // longer than any tile's rows
            else for (int i = 0; i < inner; i++) dst[d + i * dInner] = src[off + i];
        }
    }

    /**
     * tile[6 rows x 4 vectors] = A panel (element (r, p) at a[ai + r*aRow + p*aK]) times B panel (K row p
     * at b[bi + p*bRow], 4 vectors of contiguous columns); the accumulators stay in registers.
     */
    private static void microKernel6x4(int kc, float[] a, int ai, int aRow, int aK, float[] b, int bi, int bRow, float[] tile) {
        int r1 = aRow, r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00,
                c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00,
                c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        for (int p = 0; p < kc; p++, ai += aK, bi += bRow) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + V),
                    b2 = FloatVector.fromArray(S, b, bi + 2 * V), b3 = FloatVector.fromArray(S, b, bi + 3 * V), x;
            x = FloatVector.broadcast(S, a[ai]);      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[ai + r1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[ai + r2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[ai + r3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(S, a[ai + r4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(S, a[ai + r5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        // Written out: a helper taking vectors may not be inlined this deep, and would box them.
        int t = 4 * V;
        c00.intoArray(tile, 0);          c01.intoArray(tile, V);              c02.intoArray(tile, 2 * V);          c03.intoArray(tile, 3 * V);
        c10.intoArray(tile, t);         c11.intoArray(tile, t + V);         c12.intoArray(tile, t + 2 * V);     c13.intoArray(tile, t + 3 * V);
        c20.intoArray(tile, 2 * t);     c21.intoArray(tile, 2 * t + V);     c22.intoArray(tile, 2 * t + 2 * V); c23.intoArray(tile, 2 * t + 3 * V);
        c30.intoArray(tile, 3 * t);     c31.intoArray(tile, 3 * t + V);     c32.intoArray(tile, 3 * t + 2 * V); c33.intoArray(tile, 3 * t + 3 * V);
        c40.intoArray(tile, 4 * t);     c41.intoArray(tile, 4 * t + V);     c42.intoArray(tile, 4 * t + 2 * V); c43.intoArray(tile, 4 * t + 3 * V);
        c50.intoArray(tile, 5 * t);     c51.intoArray(tile, 5 * t + V);     c52.intoArray(tile, 5 * t + 2 * V); c53.intoArray(tile, 5 * t + 3 * V);
    }

    /**
     * {@link #microKernel6x4} for the 2-vector tiles: 8 rows (16 accumulators) or, without
     * {@code eightRows}, 6 (12). The JIT compiles the loop once per value of the flag (unswitching):
     * the 6-row loop never touches the last two rows' accumulators, so they take no registers.
     */
    private static void microKernel2(int kc, float[] a, int ai, int aRow, int aK, float[] b, int bi, int bRow, float[] tile,
                                     boolean eightRows) {
        int r1 = aRow, r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow, r6 = 6 * aRow, r7 = 7 * aRow;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
                c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int p = 0; p < kc; p++, ai += aK, bi += bRow) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + V), x;
            x = FloatVector.broadcast(S, a[ai]);      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + r1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + r2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + r3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + r4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + r5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            if (eightRows) {
                x = FloatVector.broadcast(S, a[ai + r6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
                x = FloatVector.broadcast(S, a[ai + r7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            }
        }
        int t = 2 * V;
        c00.intoArray(tile, 0);     c01.intoArray(tile, V);
        c10.intoArray(tile, t);     c11.intoArray(tile, t + V);
        c20.intoArray(tile, 2 * t); c21.intoArray(tile, 2 * t + V);
        c30.intoArray(tile, 3 * t); c31.intoArray(tile, 3 * t + V);
        c40.intoArray(tile, 4 * t); c41.intoArray(tile, 4 * t + V);
        c50.intoArray(tile, 5 * t); c51.intoArray(tile, 5 * t + V);
        if (eightRows) {
            c60.intoArray(tile, 6 * t); c61.intoArray(tile, 6 * t + V);
            c70.intoArray(tile, 7 * t); c71.intoArray(tile, 7 * t + V);
        }
    }

    /**
     * C[rows x cols] = alpha * tile + beta * C, then the epilogue (if not null) for the tile's first
     * column {@code col}; C is read only when beta != 0 (so NaNs in a discarded C vanish).
     */
    private static void addTile(float[] tile, int tileRow, int rows, int cols, float alpha, float beta, float[] c, int ci, int ldc,
                                Epilogue epilogue, int col) {
        FloatVector betas = FloatVector.broadcast(S, beta);
        float[] bias = epilogue != null ? epilogue.bias() : null;
        int bi = epilogue != null ? epilogue.biasOff() + col : 0;
        boolean relu = epilogue != null && epilogue.relu();
        int whole = cols / V * V;
        for (int r = 0; r < rows; r++, ci += ldc) {
            // Whole vectors unmasked, and no multiply by 1: with AVX2 the masked loads and stores
            // showed in about 10% of a tiny step's profile samples (JFR), 5-6% without. Same values.
            for (int j = 0; j < whole; j += V) {
                FloatVector v = FloatVector.fromArray(S, tile, r * tileRow + j);
                if (alpha != 1f) v = v.mul(alpha);
                if (beta != 0f) v = FloatVector.fromArray(S, c, ci + j).fma(betas, v);
                if (bias != null) v = v.add(FloatVector.fromArray(S, bias, bi + j));
                if (relu) v = v.max(0f);  // lane-wise Math.max, as Kernel.Relu
                v.intoArray(c, ci + j);
            }
            if (whole < cols) {
                var inside = S.indexInRange(whole, cols);
                FloatVector v = FloatVector.fromArray(S, tile, r * tileRow + whole).mul(alpha);
                if (beta != 0f) v = FloatVector.fromArray(S, c, ci + whole, inside).fma(betas, v);
                if (bias != null) v = v.add(FloatVector.fromArray(S, bias, bi + whole, inside));
                if (relu) v = v.max(0f);
                v.intoArray(c, ci + whole, inside);
            }
        }
    }
}
