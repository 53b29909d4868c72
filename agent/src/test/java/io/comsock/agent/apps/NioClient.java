package io.comsock.agent.apps;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutionException;

/**
 * NIO channels and datagrams, which the agent does not route: connects and sends to a com
 * address must fail, never reach the network; loopback must work as ever. Args: comHost port.
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
        try (DatagramChannel c = DatagramChannel.open()) {
            c.send(ByteBuffer.wrap(new byte[] {1}), com);
            System.out.println("DATAGRAM-SEND sent");
        } catch (Exception e) {
            System.out.println("DATAGRAM-SEND " + e);
        }
        try (DatagramSocket s = new DatagramSocket()) {
            s.send(new DatagramPacket(new byte[] {1}, 1, com));
            System.out.println("DATAGRAMSOCKET sent");
        } catch (Exception e) {
            System.out.println("DATAGRAMSOCKET " + e);
        }
        try (DatagramSocket r = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)); DatagramSocket s = new DatagramSocket()) {
            s.send(new DatagramPacket(new byte[] {5}, 1, r.getLocalSocketAddress()));
            DatagramPacket p = new DatagramPacket(new byte[1], 1);
            r.setSoTimeout(10_000);
            r.receive(p);
            System.out.println("UDP-LOOPBACK " + (p.getData()[0] == 5 ? "ok" : "lost"));
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
