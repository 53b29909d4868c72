package io.comsock.agent.behaviour;

/** Reproducible bytes for transfers checked on the other side: xorshift from a seed. */
final class Pattern {
    private long s;

    Pattern(long seed) {
        s = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
    }

    void fill(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            s ^= s << 13;
            s ^= s >>> 7;
            s ^= s << 17;
            b[i] = (byte) s;
        }
    }
}
