package io.comsock.bench.jmh;

import io.comsock.bridge.ComConnection;
import java.io.IOException;
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
 * com-socket's in-process parts, one operation each, beside a plain array copy (the paper's
 * memcpy): the data path's copy 1 (the sender's array into blocks of the receiver's mapped
 * region) and copy 2 (out of them into the reader's array), a whole message through the
 * connection (a write and the read that takes it, on one thread), the block bitmap (a run claimed
 * by the sender and freed by the receiver), and the descriptor queue (one descriptor published
 * into a lane, drained and dispatched). Run with {@code bin/bench-jmh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// JNA calls the futex: granted, so that Java 22 and later warn of no restricted call
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TransportPartsBenchmark {
    /** A message of {@code size} bytes and the array it is read into. */
    @State(Scope.Thread)
    public static class Message {
        @Param({"1", "64", "1024", "8192", "65536", "524288"})
        public int size;

        byte[] src;
        byte[] dst;

        @Setup
        public void setup() {
            src = new byte[size];
            dst = new byte[size];
        }
    }

    /** A run of {@code blocks} 8 KB blocks: 1 for an 8 KB write, 8 (the longest run) for 64 KB or more. */
    @State(Scope.Thread)
    public static class Run {
        @Param({"1", "8"})
        public int blocks;
    }

    /** memcpy: one array to another. */
    @Benchmark
    public byte[] memcpy(Message m) {
        System.arraycopy(m.src, 0, m.dst, 0, m.size);
        return m.dst;
    }

    /** Copy 1: into the receiver's region, through the sender's mapping of it. */
    @Benchmark
    public byte[] copyIntoRegion(TransportState t, Message m) {
        t.parts.copyIn(m.src, m.size);
        return m.src;
    }

    /** Copy 2: out of the receiver's own mapping of its region. */
    @Benchmark
    public byte[] copyOutOfRegion(TransportState t, Message m) {
        t.parts.copyOut(m.dst, m.size);
        return m.dst;
    }

    /** One message through the connection: the write, then the read that takes all of it. */
    @Benchmark
    public byte[] writeThenRead(TransportState t, Message m) throws IOException {
        t.parts.client().write(m.src, 0, m.size);
        ComConnection in = t.parts.server();
        for (int got = 0; got < m.size; ) {
            got += in.read(m.dst, got, m.size - got, 0);
        }
        return m.dst;
    }

    /** The sender claims a run in the receiver's bitmap; the receiver frees it. */
    @Benchmark
    public int claimAndFree(TransportState t, Run r) {
        return t.parts.claimAndFree(r.blocks);
    }

    /** One descriptor published into the sender's lane, then drained, checked and dispatched. */
    @Benchmark
    public void publishAndDrain(TransportState t) throws IOException {
        t.parts.publishAndDrain(1);
    }
}
