package tt.kernels.jvm;

/** C = alpha * op(A) op(B) + beta * C, batched over dense row-major matrices. */
public final class GemmKernels {
    private GemmKernels() {}

    public static void gemm(Parallel par, int batch, int m, int n, int k, boolean transA, boolean transB, float alpha,
                            float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        par.range(batch * m, Math.max(1, (1 << 16) / Math.max(1, n * Math.max(k, 1))), (s, e) -> {
            float[] row = new float[n];
            for (int bi = s; bi < e; bi++) {
                int bat = bi / m, i = bi % m;
                int ab = aOff + bat * m * k, bb = bOff + bat * k * n, cb = cOff + bat * m * n + i * n;
                java.util.Arrays.fill(row, 0f);
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[ab + p * m + i] : a[ab + i * k + p];
                    if (transB) {
                        for (int j = 0; j < n; j++) row[j] += av * b[bb + j * k + p];
                    } else {
                        int br = bb + p * n;
                        for (int j = 0; j < n; j++) row[j] += av * b[br + j];
                    }
                }
                for (int j = 0; j < n; j++) c[cb + j] = alpha * row[j] + (beta == 0f ? 0f : beta * c[cb + j]);
            }
        });
    }
}
