package dev.tokenrt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tokenrt} command. */
@Command(name = "tokenrt", mixinStandardHelpOptions = true, version = "tokenrt 0.1.0",
        description = "Token Runtime: count, price, budget and cache every LLM token.")
public final class TokenRt implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new TokenRt()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
