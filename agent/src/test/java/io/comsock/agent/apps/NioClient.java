package io.comsock.agent.apps;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutionException;

/**
 * NIO channels, which the agent does not route: connects to a com address must fail, never go
 * to TCP; a connect to loopback must work as ever. Args: comHost port.
 */
public final class NioClient {
    public static void main(String[] args) throws Exception {
        InetSocketAddress com = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        try (SocketChannel c = SocketChannel.open(com)) {
            System.out.println("SOCKETCHANNEL connected " + c);
        } catch (Exception e) {
            System.out.println("SOCKETCHANNEL " + e);
        }
        try (AsynchronousSocketChannel c = AsynchronousSocketChannel.open()) {
            c.connect(com).get();
            System.out.println("ASYNC connected");
        } catch (ExecutionException e) {
            System.out.println("ASYNC " + e.getCause());
        }
        try (DatagramChannel c = DatagramChannel.open()) {
            c.connect(com);
            System.out.println("DATAGRAM connected");
        } catch (Exception e) {
            System.out.println("DATAGRAM " + e);
        }
        try (ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                SocketChannel c = SocketChannel.open(ss.getLocalAddress());
                SocketChannel a = ss.accept()) {
            c.write(ByteBuffer.wrap(new byte[] {7}));
            ByteBuffer one = ByteBuffer.allocate(1);
            a.read(one);
            System.out.println("LOOPBACK " + (one.get(0) == 7 ? "ok" : "lost"));
        }
    }
}
