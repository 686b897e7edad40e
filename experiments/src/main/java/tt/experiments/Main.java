package tt.experiments;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The tt command line: one subcommand per job. */
@Command(name = "tt", mixinStandardHelpOptions = true, version = "tornado-transformer 0.1.0",
        description = "The original Transformer in Java: train, evaluate, benchmark.",
        subcommands = {QuickstartCommand.class, TrainCommand.class, TranslateCommand.class, BleuCommand.class,
                BenchCommand.class, JmhCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }
}
