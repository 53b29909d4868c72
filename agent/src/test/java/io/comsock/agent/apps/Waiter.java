package io.comsock.agent.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;

/** Runs until its input ends; each input line "host port message" is one echo exchange. */
public final class Waiter {
    public static void main(String[] args) throws Exception {
        System.out.println("PID " + ProcessHandle.current().pid());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            EchoClient.main(line.split(" "));
            System.out.flush();
        }
    }
}
