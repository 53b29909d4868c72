package io.comsock.agent.core;

import io.comsock.bridge.ComAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.SocketImpl;
import java.net.URI;
import java.net.URL;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.IntPredicate;

/**
 * Com addresses never go through a proxy: to a proxy, 192.168.0.0/24 is a network like any other,
 * and it would connect there over its own TCP. The hook class calls these at three kinds of
 * places (see {@link JdkPatcher}):
 * <ul>
 * <li>{@link #DIRECT}, at the entry of {@code connect} of the JDK's SOCKS and HTTP-tunnel socket
 * implementations (every {@code Socket} without a factory has the SOCKS one, with or without a
 * proxy): a com endpoint is connected through the implementation's delegate, the platform
 * implementation that the agent routes, instead of through the proxy, whether the proxy was
 * given to the socket or chosen by a {@code ProxySelector};</li>
 * <li>{@link #PROXIES}, where {@code HttpURLConnection} makes its HTTP or HTTPS client: for a URL
 * whose host is a com address, the client gets no proxy, whether the proxy was given to
 * {@code openConnection} or chosen by a {@code ProxySelector};</li>
 * <li>{@link #SELECTORS}, on what {@code ProxySelector.getDefault()} returns and on the selector
 * given to {@code java.net.http}'s {@code HttpClient.Builder.proxy}: a selector that answers
 * {@code DIRECT} for com addresses and asks the selector it wraps about everything else (so
 * {@code java.net.http}, whose connects the agent does not route, fails closed instead of going to
 * a proxy).</li>
 * </ul>
 * Only addresses are recognised, and host names that spell one ({@link ComAddress#literal}): a
 * name is never looked up here. The three are instances of this one class (each class the agent
 * loads at start-up costs start-up); what they make, {@link Connect} and {@link Selector}, loads
 * when first needed.
 */
final class ProxyBypass implements BiFunction<Object, Object, Object>, IntPredicate {
    /** (SocketImpl delegate, SocketAddress endpoint) to an {@code IntPredicate} of the timeout. */
    static final ProxyBypass DIRECT = new ProxyBypass(0);
    /** (URL, Proxy) to the proxy to use. */
    static final ProxyBypass PROXIES = new ProxyBypass(1);
    /** (ProxySelector, unused) to the selector to use. */
    static final ProxyBypass SELECTORS = new ProxyBypass(2);

    private final int kind;
    /** For {@link #SELECTORS}: the last wrapper made, reused for the same selector. */
    private volatile Selector last;

    private ProxyBypass(int kind) {
        this.kind = kind;
    }

    @Override
    public Object apply(Object a, Object b) {
        switch (kind) {
            case 0:
                return isComEndpoint((SocketAddress) b) ? new Connect((SocketImpl) a, (SocketAddress) b) : this;
            case 1:
                return proxyFor((URL) a, (Proxy) b);
            default:
                return selector((ProxySelector) a);
        }
    }

    /**
     * {@link #DIRECT}'s answer for an endpoint that is not a com address, given the connect
     * timeout: false, the proxy's {@code connect} goes on as the JDK wrote it.
     */
    @Override
    public boolean test(int timeout) {
        return false;
    }

    /** Whether {@code host}, from a URL or a URI, is a com address. */
    static boolean isComHost(String host) {
        return host != null && ComAddress.literal(host) != null;
    }

    /**
     * Whether {@code endpoint} is a com address: resolved, or unresolved with a host string that
     * spells one (a proxy would resolve it).
     */
    static boolean isComEndpoint(SocketAddress endpoint) {
        if (!(endpoint instanceof InetSocketAddress)) {
            return false;
        }
        InetSocketAddress isa = (InetSocketAddress) endpoint;
        return isa.isUnresolved() ? isComHost(isa.getHostString()) : ComAddress.isComNetwork(isa.getAddress());
    }

    /** The proxy an HTTP(S) client for a URL gets: none for a com address, else the one chosen. */
    private static Proxy proxyFor(URL url, Proxy proxy) {
        if (proxy == null || proxy.type() == Proxy.Type.DIRECT || url == null || !isComHost(url.getHost())) {
            return proxy;
        }
        Log.debug(url.getProtocol() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + ": direct, not through the proxy " + proxy + " (com-socket's addresses never go through a proxy)");
        return Proxy.NO_PROXY;
    }

    /**
     * {@code selector} wrapped in a {@link Selector}, once. (Typed {@code Object}, so that
     * verifying this class does not load {@code Selector}: it loads when a selector is first
     * asked for.)
     */
    private Object selector(ProxySelector selector) {
        if (selector == null || selector instanceof Selector) {
            return selector;
        }
        Selector l = last;
        if (l != null && l.delegate == selector) {
            return l;
        }
        l = new Selector(selector);
        last = l;
        return l;
    }

    /**
     * Given the connect timeout: connects the delegate to a com endpoint and answers true (the
     * proxy's {@code connect} then returns at once). The delegate connects as with no proxy at
     * all: an unresolved endpoint fails there with {@code UnknownHostException}, as the JDK's
     * direct connect fails it.
     */
    static final class Connect implements IntPredicate {
        private final SocketImpl delegate;
        private final SocketAddress endpoint;

        Connect(SocketImpl delegate, SocketAddress endpoint) {
            this.delegate = delegate;
            this.endpoint = endpoint;
        }

        @Override
        public boolean test(int timeout) {
            try {
                Impls.connect(delegate, endpoint, timeout);
            } catch (IOException e) {
                throw Impls.<RuntimeException>undeclared(e);
            }
            return true;
        }
    }

    /** A proxy selector that answers {@code DIRECT} for com addresses and asks another about the rest. */
    static final class Selector extends ProxySelector {
        private static final List<Proxy> DIRECT_ONLY = List.of(Proxy.NO_PROXY);

        final ProxySelector delegate;

        Selector(ProxySelector delegate) {
            this.delegate = delegate;
        }

        @Override
        public List<Proxy> select(URI uri) {
            return uri != null && isComHost(uri.getHost()) ? DIRECT_ONLY : delegate.select(uri);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress address, IOException failure) {
            delegate.connectFailed(uri, address, failure);
        }

        @Override
        public String toString() {
            return delegate + " (DIRECT for 192.168.0.0/24)";
        }
    }
}
