package io.comsock.agent.apps;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * An application that brings its own JNA: makes one echo exchange, then says which JNA it runs
 * and what JNA's properties are, and calls the C library through it. (An application often loads
 * JNA late, long after the agent has loaded its own.) Args: host port message.
 */
public final class OwnJna {
    /** The C library, as an application maps it. */
    public interface CLibrary extends Library {
        int getpid();
    }

    public static void main(String[] args) throws Exception {
        EchoClient.main(args);
        String version = Native.class.getPackage().getImplementationVersion();
        CLibrary c = Native.load("c", CLibrary.class);
        System.out.println("JNA " + version + " FROM " + Native.class.getProtectionDomain().getCodeSource().getLocation()
                + " GETPID " + c.getpid() + " BOOTPATH " + System.getProperty("jna.boot.library.path")
                + " NOSYS " + System.getProperty("jna.nosys") + " TMPDIR " + System.getProperty("jna.tmpdir"));
        System.out.flush();
    }
}
