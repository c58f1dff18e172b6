package dev.tokenrt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tokenrt} command: one entry point, one subcommand per job. */
@Command(name = "tokenrt", mixinStandardHelpOptions = true, version = "tokenrt 0.1.0",
        description = {"Token Runtime: count, price, budget and cache every LLM token.", ""},
        subcommands = {ServeCommand.class, CountCommand.class, CostCommand.class, ModelsCommand.class, ReportCommand.class,
            BudgetsCommand.class, EvalCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'tokenrt help COMMAND' for a command's options and examples."})
public final class TokenRt implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit status (for tests and for embedding). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new TokenRt());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliError) {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                return CliError.EXIT_STATUS;
            }
            throw e;
        });
        cli.setExitCodeExceptionMapper(e -> CliError.EXIT_STATUS);
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
