package tt.experiments;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tt.model.io.Checksums;

/** The tt command line: one subcommand per job. */
@Command(name = "tt", mixinStandardHelpOptions = true, version = "tornado-transformer 0.1.0",
        description = "The original Transformer in Java: train, evaluate, benchmark.",
        subcommands = {ExperimentCommand.class, TrainCommand.class, TranslateCommand.class, SampleCommand.class, EvaluateCommand.class, AverageCommand.class, AttentionCommand.class,
                BleuCommand.class, GraphCommand.class,
                PlotCommand.class, BenchCommand.class, JmhCommand.class, DevicesCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    private static volatile boolean debug;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print the stack trace of an error.")
    void debug(boolean on) { debug = on; }

    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            if (debug) e.printStackTrace();
            System.err.println("tt: out of memory with a heap of " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB; lower --max-tokens or"
                    + " the preset, or give the JVM more: TT_HEAP=16g ./tt ...");
            code = 3;
        }
        System.exit(code);
    }

    /**
     * The CLI with its error policy: a mistake in the input (an option, a file, a spec) prints one
     * line saying what and where, exit code 2; anything else is a bug, said in one line too, exit
     * code 70; --debug adds the stack trace.
     */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler((e, args) -> {
                    CommandLine cmd = e.getCommandLine();
                    if (debug) e.printStackTrace(cmd.getErr());
                    cmd.getErr().println("tt " + path(cmd) + ": " + e.getMessage() + " (./tt " + path(cmd) + " --help lists the options)");
                    return 2;
                })
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if (debug) e.printStackTrace(cmd.getErr());
                    String problem = inputProblem(e);
                    cmd.getErr().println("tt " + path(cmd) + ": " + (problem != null ? problem : "internal error: " + e
                            + " (this is a bug: please report it with the output of the same command with --debug)"));
                    return problem != null ? 2 : 70;
                });
    }

    /** What the user can fix, in words, or null if the exception is a bug. */
    private static String inputProblem(Exception e) {
        return switch (e) {
            case IllegalArgumentException a -> a.getMessage();
            case java.io.IOException io -> Checksums.reason(io);
            case java.io.UncheckedIOException u -> Checksums.reason(u.getCause());
            default -> null;
        };
    }

    /** "bench step" for a nested subcommand. */
    private static String path(CommandLine cmd) {
        return cmd.getParent() == null || cmd.getParent().getParent() == null ? cmd.getCommandName()
                : path(cmd.getParent()) + " " + cmd.getCommandName();
    }
}
