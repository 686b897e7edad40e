package tt.experiments;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** The TornadoVM devices, by the backend:device index that --device takes. */
@Command(name = "devices", mixinStandardHelpOptions = true, description = "List TornadoVM devices as backend:device for --device (needs a TornadoVM build).")
public final class DevicesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override public Integer call() {
        try {
            TornadoBridge.devices().forEach(System.out::println);
            return 0;
        } catch (IllegalStateException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
