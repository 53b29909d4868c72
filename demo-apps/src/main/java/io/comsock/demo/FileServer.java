package io.comsock.demo;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/**
 * Serves one generated file: a request (its name, as UTF) gets the file's length, its SHA-256,
 * then its bytes. Args: port megabytes.
 */
public final class FileServer {
    private FileServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int mb = Integer.parseInt(args[1]);
        Path file = Files.createTempFile("comsock-demo", ".bin");
        file.toFile().deleteOnExit();
        byte[] chunk = new byte[1 << 20];
        Random r = new Random(mb);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mb; i++) {
                r.nextBytes(chunk);
                md.update(chunk);
                out.write(chunk);
            }
        }
        byte[] content = Files.readAllBytes(file);
        String sha = HexFormat.of().formatHex(md.digest());
        try (ServerSocket ss = new ServerSocket(port)) {
            System.out.println("LISTENING " + ss.getLocalPort());
            System.out.flush();
            while (true) {
                Socket accepted = ss.accept();
                try (Socket s = accepted) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    in.readUTF();
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    out.writeLong(content.length);
                    out.writeUTF(sha);
                    for (int off = 0; off < content.length; off += 65536) {
                        out.write(content, off, Math.min(65536, content.length - off));
                    }
                    out.flush();
                } catch (IOException e) {
                    System.err.println("file server: " + e);
                }
            }
        }
    }
}
