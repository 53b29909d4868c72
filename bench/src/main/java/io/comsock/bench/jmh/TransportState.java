package io.comsock.bench.jmh;

import io.comsock.bridge.TransportParts;
import io.comsock.demo.RegionDir;
import java.io.IOException;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Two com-socket domains in the benchmark's JVM, connected, with their regions in a fresh
 * directory on {@code /dev/shm} that is removed afterwards.
 */
@State(Scope.Benchmark)
public class TransportState {
    RegionDir dir;
    TransportParts parts;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = RegionDir.create("comsock-jmh");
        parts = TransportParts.open(dir.path());
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        try {
            parts.close();
        } finally {
            dir.close();
        }
    }
}
