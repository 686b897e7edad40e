package tt.experiments;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The tt command line: one subcommand per job. */
@Command(name = "tt", mixinStandardHelpOptions = true, version = "tornado-transformer 0.1.0",
        description = "The original Transformer in Java: train, evaluate, benchmark.",
        subcommands = {ExperimentCommand.class, TrainCommand.class, TranslateCommand.class, BleuCommand.class,
                PlotCommand.class, BenchCommand.class, JmhCommand.class, DevicesCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The CLI with its error policy: bad input (a wrong option value, a missing or malformed file)
     * prints one line saying what and where, exit code 2; anything else is a bug and keeps its
     * stack trace.
     */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if (e instanceof IllegalArgumentException || e instanceof java.io.IOException
                            || e instanceof java.io.UncheckedIOException) {
                        cmd.getErr().println("tt " + cmd.getCommandName() + ": " + e.getMessage());
                        return 2;
                    }
                    throw e;
                });
    }
}
