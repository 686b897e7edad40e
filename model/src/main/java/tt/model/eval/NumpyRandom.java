package tt.model.eval;

/**
 * NumPy's {@code np.random.default_rng(seed)} bit for bit, as far as sacreBLEU's bootstrap tests use it: the seed
 * goes through {@code SeedSequence} (numpy/random/bit_generator.pyx) into {@code PCG64} (XSL-RR 128/64,
 * numpy/random/src/pcg64/pcg64.h), and {@code Generator.choice(n, size, replace=True)}, which is
 * {@code Generator.integers(0, n, size, dtype=int64)}, draws each index with Lemire's bounded method on 32-bit outputs
 * (buffered_bounded_lemire_uint32 in numpy/random/src/distributions/distributions.c). Checked against NumPy 2.4.
 */
final class NumpyRandom {
    private static final long MASK32 = 0xFFFF_FFFFL;
    // PCG_DEFAULT_MULTIPLIER_128
    private static final long MULT_HI = 2549297995355413924L, MULT_LO = 4865540595714422341L;
    // SeedSequence's constants; XSHIFT is 16.
    private static final int INIT_A = 0x43b0d7e5, MULT_A = 0x931e8875, INIT_B = 0x8b51f9dd, MULT_B = 0x58f38ded,
            MIX_MULT_L = 0xca01f9dd, MIX_MULT_R = 0x4973f715, POOL_SIZE = 4;

    private long stateHi, stateLo;
    private final long incHi, incLo;
    // PCG64's next_uint32 returns the low half of a 64-bit output and keeps the high half for the next call.
    private boolean hasHalf;
    private int half;

    NumpyRandom(long seed) {
        if (seed < 0) throw new IllegalArgumentException("numpy seeds are non-negative, got " + seed);
        // SeedSequence takes the integer as 32-bit words, lowest first; PCG64 asks it for 4 uint64 words.
        int[] entropy = seed >>> 32 == 0 ? new int[] {(int) seed} : new int[] {(int) seed, (int) (seed >>> 32)};
        long[] words = generateState(mixEntropy(entropy), 4);
        // pcg64_set_seed: state = words[0]:words[1], increment = (words[2]:words[3] << 1) | 1, then two steps
        // around adding the state (pcg_setseq_128_srandom_r).
        incHi = words[2] << 1 | words[3] >>> 63;
        incLo = words[3] << 1 | 1;
        step();
        long lo = stateLo + words[1];
        stateHi += words[0] + (Long.compareUnsigned(lo, stateLo) < 0 ? 1 : 0);
        stateLo = lo;
        step();
    }

    /** SeedSequence.mix_entropy for an entropy of at most POOL_SIZE words and no spawn key. */
    private static int[] mixEntropy(int[] entropy) {
        int[] pool = new int[POOL_SIZE];
        int[] hashConst = {INIT_A};
        for (int i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0, hashConst);
        for (int src = 0; src < POOL_SIZE; src++) {
            for (int dst = 0; dst < POOL_SIZE; dst++) {
                if (src != dst) pool[dst] = mix(pool[dst], hashmix(pool[src], hashConst));
            }
        }
        return pool;
    }

    private static int hashmix(int value, int[] hashConst) {
        value ^= hashConst[0];
        hashConst[0] *= MULT_A;
        value *= hashConst[0];
        return value ^ value >>> 16;
    }

    private static int mix(int x, int y) {
        int result = MIX_MULT_L * x - MIX_MULT_R * y;
        return result ^ result >>> 16;
    }

    /** SeedSequence.generate_state(n, np.uint64): 2n 32-bit words read in little-endian pairs. */
    private static long[] generateState(int[] pool, int n) {
        long[] state = new long[n];
        int hashConst = INIT_B;
        for (int i = 0; i < 2 * n; i++) {
            int value = pool[i % POOL_SIZE] ^ hashConst;
            hashConst *= MULT_B;
            value *= hashConst;
            value ^= value >>> 16;
            state[i / 2] |= (value & MASK32) << (32 * (i % 2));
        }
        return state;
    }

    /** The LCG step: state = state * MULT + inc (mod 2^128). */
    private void step() {
        long hi = Math.unsignedMultiplyHigh(stateLo, MULT_LO) + stateLo * MULT_HI + stateHi * MULT_LO;
        long lo = stateLo * MULT_LO;
        long sum = lo + incLo;
        stateHi = hi + incHi + (Long.compareUnsigned(sum, lo) < 0 ? 1 : 0);
        stateLo = sum;
    }

    /** PCG64's next_uint64: step, then rotate (high ^ low) right by the top 6 bits of the new state. */
    long nextLong() {
        step();
        return Long.rotateRight(stateHi ^ stateLo, (int) (stateHi >>> 58));
    }

    /** PCG64's next_uint32 (as a Java int holding the unsigned bits). */
    int nextInt() {
        if (hasHalf) {
            hasHalf = false;
            return half;
        }
        long next = nextLong();
        hasHalf = true;
        half = (int) (next >>> 32);
        return (int) next;
    }

    /** One value of {@code Generator.integers(0, n)} for 1 <= n < 2^32. */
    long integer(long n) {
        if (n < 1 || n > MASK32) throw new IllegalArgumentException("n must be in [1, 2^32), got " + n);
        if (n == 1) return 0;  // numpy returns the lower bound without drawing
        long m = (nextInt() & MASK32) * n;  // the unsigned 64-bit product; its high word is the candidate
        if ((m & MASK32) < n) {
            long threshold = ((1L << 32) - n) % n;
            while ((m & MASK32) < threshold) m = (nextInt() & MASK32) * n;
        }
        return m >>> 32;
    }

    /** {@code Generator.choice(n, size=(rows, cols), replace=True)}, drawn row by row like numpy's C-order fill. */
    int[][] choice(int n, int rows, int cols) {
        int[][] out = new int[rows][cols];
        for (int[] row : out) {
            for (int j = 0; j < cols; j++) row[j] = (int) integer(n);
        }
        return out;
    }
}
