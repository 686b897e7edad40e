package tt.experiments;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Where the project is on this machine: ./tt, experiments/bench/ and the rest, found from the running code. */
final class Project {
    private Project() {}

    /** The directory holding ./tt: this jar's (or classes directory's) module is experiments/, whose parent is the project. */
    static Path root() {
        try {
            Path code = Path.of(Project.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return code.getParent().getParent().getParent().toAbsolutePath();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
