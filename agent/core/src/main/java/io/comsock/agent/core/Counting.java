package io.comsock.agent.core;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Streams of routed connections that count bytes for the agent's statistics. */
final class Counting {
    private Counting() {
    }

    static final class In extends FilterInputStream {
        private final Stats stats;

        In(InputStream in, Stats stats) {
            super(in);
            this.stats = stats;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                stats.bytesIn.increment();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                stats.bytesIn.add(n);
            }
            return n;
        }
    }

    static final class Out extends FilterOutputStream {
        private final Stats stats;

        Out(OutputStream out, Stats stats) {
            super(out);
            this.stats = stats;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            stats.bytesOut.increment();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            stats.bytesOut.add(len);
        }
    }
}
