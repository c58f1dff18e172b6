package dev.tokenrt.cli;

/**
 * A problem the user can fix (unknown model, malformed JSON, unreadable file). The CLI prints its message as
 * one line on stderr and exits with status 2; nothing has been printed on stdout before it is thrown.
 */
final class CliError extends RuntimeException {
    static final int EXIT_STATUS = 2;

    CliError(String message) {
        super(message, null, false, false);
    }

    CliError(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
