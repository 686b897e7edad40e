package tt.experiments;

import tt.kernels.Backend;

import java.lang.reflect.InvocationTargetException;
import java.util.List;

/**
 * The TornadoVM backend, reached by reflection: it is compiled only by builds with the tornado
 * Maven profile (./build.sh with a TornadoVM SDK), and runs only on a JVM launched with the SDK's
 * argfile (./tt does that for --backend tornado and `tt devices`). This module needs neither.
 */
final class TornadoBridge {
    private static final String BACKEND = "tt.kernels.tornado.TornadoBackend";

    private TornadoBridge() {}

    static Backend open(String device) {
        try {
            return (Backend) backend().getConstructor(String.class).newInstance(device);
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot open " + BACKEND + ": " + e, e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<String> devices() {
        try {
            return (List<String>) backend().getMethod("devices").invoke(null);
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot list TornadoVM devices: " + e, e);
        }
    }

    private static Class<?> backend() {
        try {
            return Class.forName(BACKEND);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("this build has no TornadoVM backend: build with a TornadoVM SDK installed "
                    + "(TORNADOVM_HOME=/path/to/sdk ./build.sh build; see README, 'TornadoVM backend')");
        } catch (LinkageError e) {
            throw new IllegalStateException("TornadoVM is not on this JVM (" + e + "): launch through ./tt with TORNADOVM_HOME set");
        }
    }

    private static RuntimeException unwrap(InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof LinkageError) {
            return new IllegalStateException("TornadoVM is not on this JVM (" + cause + "): launch through ./tt with TORNADOVM_HOME set", cause);
        }
        return cause instanceof RuntimeException r ? r : new IllegalStateException(cause.toString(), cause);
    }
}
