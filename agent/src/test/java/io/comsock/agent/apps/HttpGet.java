package io.comsock.agent.apps;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/** Fetches a URL with HttpURLConnection and prints the status and body. Args: url. */
public final class HttpGet {
    public static void main(String[] args) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(args[0]).openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        try (InputStream in = c.getInputStream()) {
            System.out.println("STATUS " + c.getResponseCode());
            System.out.print("BODY " + new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (Exception e) {
            System.out.println("ERROR " + e);
        }
    }
}
