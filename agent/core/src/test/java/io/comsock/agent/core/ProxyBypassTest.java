package io.comsock.agent.core;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/** What the hooks of {@link ProxyBypass} answer, without a JDK patched. */
class ProxyBypassTest {
    private static final Proxy HTTP = new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("proxy.example", 3128));
    private static final Proxy SOCKS = new Proxy(Proxy.Type.SOCKS, InetSocketAddress.createUnresolved("proxy.example", 1080));

    /** A selector that proxies everything and remembers the failures it is told of. */
    private static final class Everything extends ProxySelector {
        final List<URI> failed = new ArrayList<>();

        @Override
        public List<Proxy> select(URI uri) {
            return List.of(HTTP);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress sa, IOException e) {
            failed.add(uri);
        }
    }

    @Test
    void aWrappedSelectorAnswersDirectForComAddressesOnly() {
        Everything app = new Everything();
        ProxySelector wrapped = (ProxySelector) ProxyBypass.SELECTORS.apply(app, null);
        assertNotSame(app, wrapped);
        for (String uri : new String[] {"socket://192.168.0.5:7000", "http://192.168.0.7/x", "https://[::ffff:192.168.0.5]:8443/",
            "http://3232235525/"}) {
            assertEquals(List.of(Proxy.NO_PROXY), wrapped.select(URI.create(uri)), uri);
        }
        for (String uri : new String[] {"socket://127.0.0.1:7000", "http://192.168.1.5/", "http://example.com/",
            "http://192.168.0.5.example.com/"}) {
            assertEquals(List.of(HTTP), wrapped.select(URI.create(uri)), uri);
        }
        wrapped.connectFailed(URI.create("http://example.com/"), HTTP.address(), new IOException("down"));
        assertEquals(List.of(URI.create("http://example.com/")), app.failed);
    }

    @Test
    void aSelectorIsWrappedOnceAndNullStaysNull() {
        Everything app = new Everything();
        Object wrapped = ProxyBypass.SELECTORS.apply(app, null);
        assertSame(wrapped, ProxyBypass.SELECTORS.apply(app, null), "the same selector: the same wrapper");
        assertSame(wrapped, ProxyBypass.SELECTORS.apply(wrapped, null), "never wrapped twice");
        assertNull(ProxyBypass.SELECTORS.apply(null, null), "no selector: direct connections, as it was");
    }

    @Test
    void anHttpClientForAComUrlGetsNoProxy() throws Exception {
        assertSame(Proxy.NO_PROXY, ProxyBypass.PROXIES.apply(new URL("http://192.168.0.5:8080/x"), HTTP));
        assertSame(Proxy.NO_PROXY, ProxyBypass.PROXIES.apply(new URL("https://192.168.0.5/"), SOCKS));
        assertSame(Proxy.NO_PROXY, ProxyBypass.PROXIES.apply(new URL("http://[::ffff:c0a8:5]/"), HTTP));
        assertSame(HTTP, ProxyBypass.PROXIES.apply(new URL("http://127.0.0.1/"), HTTP));
        assertSame(HTTP, ProxyBypass.PROXIES.apply(new URL("http://example.com/"), HTTP));
        assertSame(Proxy.NO_PROXY, ProxyBypass.PROXIES.apply(new URL("http://127.0.0.1/"), Proxy.NO_PROXY));
        assertNull(ProxyBypass.PROXIES.apply(new URL("http://192.168.0.5/"), null));
    }

    @Test
    void onlyComEndpointsLeaveTheProxysConnect() {
        assertTrue(ProxyBypass.isComEndpoint(new InetSocketAddress("192.168.0.5", 80)));
        assertTrue(ProxyBypass.isComEndpoint(InetSocketAddress.createUnresolved("192.168.0.5", 80)));
        assertTrue(ProxyBypass.isComEndpoint(InetSocketAddress.createUnresolved("0xc0a80005", 80)));
        assertFalse(ProxyBypass.isComEndpoint(new InetSocketAddress("127.0.0.1", 80)));
        assertFalse(ProxyBypass.isComEndpoint(InetSocketAddress.createUnresolved("com.example", 80)));
        assertFalse(ProxyBypass.isComEndpoint(null));
        // anything else goes on through the proxy, and the delegate is not touched
        assertFalse(((IntPredicate) ProxyBypass.DIRECT.apply(null, new InetSocketAddress("127.0.0.1", 80))).test(0));
        assertTrue(ProxyBypass.DIRECT.apply(null, new InetSocketAddress("192.168.0.5", 80)) instanceof ProxyBypass.Connect);
    }
}
