package io.comsock.bench.jmh;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The in-process parts of figure 4: the cost of the two copies com-socket makes per message,
 * heap array to a direct (mapped-like) buffer and back, beside a plain array copy (the paper's
 * memcpy reference). Run with {@code bin/bench-jmh}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CopyBenchmark {
    @Param({"1", "64", "1024", "8192", "65536", "524288"})
    public int size;

    private byte[] heap;
    private byte[] back;
    private ByteBuffer direct;

    @Setup
    public void setup() {
        heap = new byte[size];
        back = new byte[size];
        direct = ByteBuffer.allocateDirect(Math.max(size, 8192));
    }

    /** memcpy: one array to another. */
    @Benchmark
    public byte[] arrayCopy() {
        System.arraycopy(heap, 0, back, 0, size);
        return back;
    }

    /** com-socket's copy 1 and copy 2: into the shared buffer, and out of it. */
    @Benchmark
    public byte[] throughSharedBuffer() {
        direct.put(0, heap, 0, size);
        direct.get(0, back, 0, size);
        return back;
    }
}
