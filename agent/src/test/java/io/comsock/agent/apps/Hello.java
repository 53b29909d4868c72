package io.comsock.agent.apps;

/** Prints one line: proves that main ran. */
public final class Hello {
    public static void main(String[] args) {
        System.out.println("MAIN RAN");
    }
}
