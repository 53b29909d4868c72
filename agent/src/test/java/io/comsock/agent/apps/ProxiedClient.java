package io.comsock.agent.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A client that uses the JDK's proxies every way it offers them; nothing of comsock in it.
 * Args: echoHost:port httpHost:port proxyPort how... Each {@code how} prints one line starting
 * with itself, then {@code REPLY line}, {@code STATUS code BODY line} or {@code ERROR exception};
 * a {@code how:port} goes to that port instead of the echo or HTTP server's:
 * <ul>
 * <li>{@code socket}: a plain {@code Socket} to the echo port (proxies from the system properties
 * or the default selector), {@code socks} and {@code tunnel}: a {@code Socket} given a SOCKS or
 * an HTTP {@code Proxy} at 127.0.0.1:proxyPort, {@code socks-unresolved}: the same SOCKS socket
 * to an unresolved address (which a SOCKS proxy resolves);</li>
 * <li>{@code url}: {@code HttpURLConnection} to the HTTP port, {@code url-http} and
 * {@code url-socks}: {@code openConnection} given a proxy, {@code https-http}: an {@code https}
 * URL given an HTTP proxy;</li>
 * <li>{@code httpclient}: {@code java.net.http} with the default selector,
 * {@code httpclient-proxy}: given {@code ProxySelector.of} the proxy.</li>
 * </ul>
 * With {@code -Dapp.selector=true} it first installs a default {@code ProxySelector} of its own
 * that sends everything to the proxy (SOCKS for sockets, HTTP for the rest).
 */
public final class ProxiedClient {
    public static void main(String[] args) throws Exception {
        String[] echoServer = args[0].split(":");
        String[] httpServer = args[1].split(":");
        InetSocketAddress proxy = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[2]));
        if (Boolean.getBoolean("app.selector")) {
            ProxySelector.setDefault(new ProxySelector() {
                @Override
                public List<Proxy> select(URI uri) {
                    return List.of(new Proxy(uri.getScheme().equals("socket") ? Proxy.Type.SOCKS : Proxy.Type.HTTP, proxy));
                }

                @Override
                public void connectFailed(URI uri, SocketAddress sa, IOException e) {
                }
            });
        }
        for (int i = 3; i < args.length; i++) {
            String how = args[i];
            int colon = how.indexOf(':');
            String port = colon < 0 ? null : how.substring(colon + 1);
            String host = echoServer[0];
            int echoPort = Integer.parseInt(port == null ? echoServer[1] : port);
            String http = "http://" + httpServer[0] + ":" + (port == null ? httpServer[1] : port) + "/";
            String result;
            try {
                switch (colon < 0 ? how : how.substring(0, colon)) {
                    case "socket":
                        result = echo(new Socket(), host, echoPort);
                        break;
                    case "socks":
                        result = echo(new Socket(new Proxy(Proxy.Type.SOCKS, proxy)), host, echoPort);
                        break;
                    case "socks-unresolved":
                        result = echo(new Socket(new Proxy(Proxy.Type.SOCKS, proxy)),
                                InetSocketAddress.createUnresolved(host, echoPort));
                        break;
                    case "tunnel":
                        result = echo(new Socket(new Proxy(Proxy.Type.HTTP, proxy)), host, echoPort);
                        break;
                    case "url":
                        result = get((HttpURLConnection) new URL(http).openConnection());
                        break;
                    case "url-http":
                        result = get((HttpURLConnection) new URL(http).openConnection(new Proxy(Proxy.Type.HTTP, proxy)));
                        break;
                    case "url-socks":
                        result = get((HttpURLConnection) new URL(http).openConnection(new Proxy(Proxy.Type.SOCKS, proxy)));
                        break;
                    case "https-http":
                        result = get((HttpURLConnection) new URL(http.replace("http:", "https:"))
                                .openConnection(new Proxy(Proxy.Type.HTTP, proxy)));
                        break;
                    case "httpclient":
                        result = send(HttpClient.newBuilder(), http);
                        break;
                    case "httpclient-proxy":
                        result = send(HttpClient.newBuilder().proxy(ProxySelector.of(proxy)), http);
                        break;
                    default:
                        throw new IllegalArgumentException(how);
                }
            } catch (Exception e) {
                StringBuilder sb = new StringBuilder("ERROR " + e);
                for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                    sb.append(" / ").append(c);
                }
                result = sb.toString();
            }
            System.out.println(how + " " + result);
            System.out.flush();
        }
    }

    private static String echo(Socket s, String host, int port) throws IOException {
        return echo(s, new InetSocketAddress(host, port));
    }

    private static String echo(Socket s, InetSocketAddress to) throws IOException {
        try (s) {
            s.setSoTimeout(10_000);
            s.connect(to, 10_000);
            PrintWriter out = new PrintWriter(s.getOutputStream(), true);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream()));
            out.println("hi");
            return "REPLY " + in.readLine();
        }
    }

    private static String get(HttpURLConnection c) throws IOException {
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        try (InputStream in = c.getInputStream()) {
            return "STATUS " + c.getResponseCode() + " BODY " + new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }

    private static String send(HttpClient.Builder builder, String url) throws Exception {
        HttpClient client = builder.version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return "STATUS " + r.statusCode() + " BODY " + r.body().trim();
    }
}
