package io.comsock.agent;

import static org.junit.jupiter.api.Assertions.*;

import io.comsock.agent.behaviour.BehaviourClient;
import io.comsock.agent.behaviour.BehaviourServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour checks of {@link BehaviourServer} and {@link BehaviourClient}, run here on plain
 * TCP (the reference, no agent) and through the agent on the user-space transport. The kernel
 * end-to-end run (agent/src/test/e2e/kernel-e2e.sh, in a virtual machine with the module loaded)
 * runs the same two programs with {@code provider=kernel}. Each check printed becomes a test.
 */
@org.junit.jupiter.api.extension.ExtendWith(Jvm.SharingLoopback.class) // every test here needs TCP beside com-socket
class BehaviourIT {
    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicNode> plainTcpAsTheReference() throws Exception {
        return run("tcp", null, null, "7100", "127.0.0.1", "127.0.0.2", "127.0.0.1", "10.255.255.1", "127.0.0.1");
    }

    @TestFactory
    Stream<DynamicNode> userSpaceTransportThroughTheAgent() throws Exception {
        return run("shm", "domain=3,provider=shm,dir=" + dir, "domain=4,provider=shm,dir=" + dir,
                "7200", "192.168.0.5", "127.0.0.1", "192.168.0.5", "192.168.0.100", "192.168.0.6");
    }

    /** Runs both programs to the end and turns each check line into a test. */
    private static Stream<DynamicNode> run(String name, String serverAgent, String clientAgent, String port,
            String serverOwn, String serverOther, String host, String absent, String clientOwn) throws Exception {
        List<String> server;
        List<String> client;
        int clientExit;
        try (Jvm s = Jvm.start(serverAgent, BehaviourServer.class.getName(), port, serverOwn, serverOther)) {
            s.await("LISTENING");
            server = s.out();
            try (Jvm c = Jvm.start(clientAgent, List.of(), java.util.Map.of(), BehaviourClient.class.getName(),
                    host, port, absent, clientOwn)) {
                clientExit = c.exitWithin(240);
                client = c.out();
                client.addAll(c.err());
            }
        }
        List<DynamicNode> tests = new ArrayList<>();
        tests.add(DynamicContainer.dynamicContainer("server", checks(server, "server")));
        tests.add(DynamicContainer.dynamicContainer("client", checks(client, "client")));
        int exit = clientExit;
        tests.add(DynamicTest.dynamicTest("the client ran every check and exited 0",
                () -> assertEquals(0, exit, String.join("\n", client))));
        return Stream.of(DynamicContainer.dynamicContainer(name, tests));
    }

    private static Stream<DynamicTest> checks(List<String> lines, String side) {
        List<DynamicTest> tests = new ArrayList<>();
        boolean summary = false;
        for (String line : lines) {
            if (line.startsWith("ok - " + side + ": ") || line.startsWith("not ok - " + side + ": ")) {
                String check = line.substring(line.indexOf(": ") + 2);
                tests.add(DynamicTest.dynamicTest(check, () -> assertTrue(line.startsWith("ok - "), line)));
            }
            summary |= line.startsWith("CHECKS " + side + " ");
        }
        boolean complete = summary;
        tests.add(DynamicTest.dynamicTest("every " + side + " check ran",
                () -> assertTrue(complete, "no summary line; output:\n" + String.join("\n", lines))));
        return tests.stream();
    }
}
