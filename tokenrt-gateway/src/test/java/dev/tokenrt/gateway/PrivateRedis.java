package dev.tokenrt.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of the test's own, a child process on a free loopback port that keeps nothing on disk, so a
 * fault test can kill it without touching the Redis other tests share. Needs {@code redis-server} on the PATH
 * (CI has it): the test fails, never skips, without it. Stops only what it started, by its process handle.
 */
final class PrivateRedis implements AutoCloseable {

    private final int port;
    private final Process process;

    PrivateRedis(Path dir) throws IOException, InterruptedException {
        try (ServerSocket probe = new ServerSocket(0)) {
            this.port = probe.getLocalPort();
        }
        try {
            process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new AssertionError("redis-server is needed on the PATH for this test: " + e.getMessage(), e);
        }
        for (int i = 0; i < 200; i++) { // up to 10 s to answer PING
            if (answersPing()) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("redis-server exited with " + process.exitValue() + " on port " + port);
            }
            Thread.sleep(50);
        }
        close();
        throw new AssertionError("redis-server did not answer PING on port " + port);
    }

    String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    /** SIGKILL, as a crashed or OOM-killed Redis; returns once the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("redis-server " + process.pid() + " survived SIGKILL");
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    private boolean answersPing() {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(1_000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] reply = in.readNBytes(7);
            return new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
