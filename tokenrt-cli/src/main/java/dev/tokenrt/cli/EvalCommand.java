package dev.tokenrt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tokenrt eval}: measure a component of the product against labelled data. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = {"Measure a component against labelled data.", ""},
        subcommands = {EvalCacheCommand.class, CommandLine.HelpCommand.class})
final class EvalCommand implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
