package tt.kernels.tornado;

import tt.kernels.Backend;
import tt.kernels.Buf;
import tt.kernels.Ids;
import tt.kernels.IntBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;
import tt.kernels.tornado.KernelTasks.BoundCall;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs step graphs on a TornadoVM device (OpenCL, PTX or SPIR-V): every kernel is a plain Java
 * method that TornadoVM compiles, every buffer root lives on the device from the first run on,
 * and a run moves only the graph's inputs up and its outputs down.
 *
 * <p>All compiled graphs share their buffers on the device, so they must sit in one TornadoVM
 * execution plan, which has to know every graph when it is built. The plan is therefore built at
 * the first run, upload or download, and rebuilt when a graph is compiled after that: the old
 * plan's buffers are first downloaded to the host (inputs excepted: the host owns those), and the
 * new plan uploads every root again and recompiles every kernel. Compile all graphs before the
 * first run to build it once (a Trainer and a Translator, say).
 */
public final class TornadoBackend implements Backend {
    private final TornadoDevice device;
    private final String index;
    private final DeviceBuffers buffers = new DeviceBuffers();
    private final Map<StepGraph, List<BoundCall>> graphs = new LinkedHashMap<>();
    private final Map<StepGraph, Executable> executables = new LinkedHashMap<>();
    private DevicePlan plan;

    /** The device at {@code "backend:device"}, e.g. "0:0"; see {@link #devices()}. */
    public TornadoBackend(String backendAndDevice) {
        requireBailoutOff();
        requireSignalChaining();
        this.index = backendAndDevice;
        this.device = device(backendAndDevice);
    }

    @Override public String name() { return "tornado"; }

    @Override public String device() {
        return "TornadoVM " + device.getTornadoVMBackend() + " " + index + ": " + device.getPhysicalDevice().getDeviceName();
    }

    /** Compiling the same graph again returns the same executable. */
    @Override public Executable compile(StepGraph graph) {
        Executable known = executables.get(graph);
        if (known != null) return known;
        closePlan();
        buffers.register(graph.sizes().buffer());
        graph.inputs().forEach(b -> buffers.register(b.root()));
        graph.outputs().forEach(b -> buffers.register(b.root()));
        graph.calls().forEach(call -> registerRoots(call.kernel()));
        KernelTasks tasks = new KernelTasks(buffers, buffers.ints(graph.sizes().buffer()));
        List<BoundCall> calls = new ArrayList<>();
        for (StepGraph.Call call : graph.calls()) {
            try {
                calls.add(tasks.bind(call));
            } catch (UnsupportedOperationException e) {
                throw new UnsupportedOperationException(graph.name() + " " + call.describe() + ": " + e.getMessage(), e);
            }
        }
        graphs.put(graph, calls);
        Set<Buf> inputs = roots(graph.inputs()), outputs = roots(graph.outputs());
        Executable exe = () -> {
            graph.checkLiveSizes();
            for (BoundCall call : calls) checkIds(graph, inputs, call);
            DevicePlan p = plan();
            inputs.forEach(p::upload);
            p.run(graph);
            p.download(outputs);
        };
        executables.put(graph, exe);
        return exe;
    }

    @Override public void upload(Buf... bufs) {
        Set<Buf> roots = knownRoots(bufs);
        if (plan == null) {
            plan();  // a new plan uploads every root
        } else {
            roots.forEach(plan::upload);
        }
    }

    @Override public void download(Buf... bufs) {
        Set<Buf> roots = knownRoots(bufs);
        if (!roots.isEmpty()) plan().download(roots);
    }

    @Override public void close() { closePlan(); }

    /** How many TornadoVM task graphs a compiled step graph runs as (several when it exceeds TornadoVM's limits). */
    public int taskGraphs(StepGraph graph) { return plan().taskGraphs(graph); }

    /** One line per TornadoVM device: "backend:device", backend, name, type and global memory. */
    public static List<String> devices() {
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        List<String> lines = new ArrayList<>();
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            var backend = runtime.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                TornadoDevice dev = backend.getDevice(d);
                lines.add(String.format(Locale.ROOT, "%d:%d  %-8s %s (%s, %.1f GB)", b, d, backend.getName(),
                        dev.getPhysicalDevice().getDeviceName(), dev.getDeviceType(), dev.getMaxGlobalMemory() / 1e9));
            }
        }
        return lines;
    }

    private DevicePlan plan() {
        if (plan == null) plan = new DevicePlan(device, buffers, graphs);
        return plan;
    }

    /**
     * Before the next plan: device contents to the host, except the graphs' inputs, which the
     * host owns (a batch set on the host but not yet run must not be overwritten).
     */
    private void closePlan() {
        if (plan == null) return;
        Set<Buf> inputs = new LinkedHashSet<>();
        graphs.keySet().forEach(g -> inputs.addAll(roots(g.inputs())));
        plan.download(plan.roots().stream().filter(r -> !inputs.contains(r)).toList());
        plan.close();
        plan = null;
    }

    /** Every buffer a kernel record holds, by its root. */
    private void registerRoots(Kernel kernel) {
        for (var component : kernel.getClass().getRecordComponents()) {
            try {
                if (component.getAccessor().invoke(kernel) instanceof Buf b) buffers.register(b.root());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + component + " of " + kernel, e);
            }
        }
    }

    private Set<Buf> knownRoots(Buf... bufs) {
        Set<Buf> roots = roots(Arrays.asList(bufs));
        roots.removeIf(r -> !buffers.contains(r));  // no compiled graph uses it: the host copy is the only one
        return roots;
    }

    private static Set<Buf> roots(Collection<Buf> bufs) {
        Set<Buf> roots = new LinkedHashSet<>();
        for (Buf b : bufs) roots.add(b.root());
        return roots;
    }

    /** Token ids and targets index tables and rows on the device, where nothing checks them: check those the graph takes as inputs here. */
    private static void checkIds(StepGraph graph, Set<Buf> inputs, BoundCall call) {
        int[] live = graph.sizes().buffer().array();
        switch (call.call().kernel()) {
            case Kernel.EmbeddingForward k -> checkIds(graph, inputs, call, Ids.Kind.TOKENS, k.ids(), k.tokens().value(live),
                    k.table().length() / k.dim().max(), Ids.NO_PAD);
            case Kernel.EmbeddingBackward k -> checkIds(graph, inputs, call, Ids.Kind.TOKENS, k.ids(), k.tokens().value(live),
                    k.dTable().length() / k.dim().max(), Ids.NO_PAD);
            case Kernel.SmoothedLoss k -> checkIds(graph, inputs, call, Ids.Kind.TARGETS, k.targets(), k.rows().value(live),
                    k.vocab().value(live), k.padId());
            case Kernel.SmoothedLossBackward k -> checkIds(graph, inputs, call, Ids.Kind.TARGETS, k.targets(), k.rows().value(live),
                    k.vocab().value(live), k.padId());
            default -> { }  // the other kernels take no ids
        }
    }

    private static void checkIds(StepGraph graph, Set<Buf> inputs, BoundCall call, Ids.Kind kind, IntBuf ids, int n, int bound, int padId) {
        if (!inputs.contains(ids.root())) return;
        try {
            Ids.check(kind, ids.array(), ids.offset(), n, bound, padId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(graph.name() + " " + call.call().describe() + ": " + e.getMessage(), e);
        }
    }

    /**
     * An OpenCL driver that compiles with LLVM in the process (PoCL does) installs LLVM's crash
     * handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE over the JVM's. The JVM raises those itself,
     * for implicit null and division checks in compiled code, and the process then dies of a plain
     * segmentation fault with no hs_err file, at a random point (one test run in six here).
     * libjsig, preloaded, keeps the JVM's handlers in place and chains the driver's behind them.
     */
    private static void requireSignalChaining() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return;  // not Linux: no LD_PRELOAD, nothing to check
        try (var lines = Files.lines(maps)) {
            if (lines.anyMatch(line -> line.endsWith("/libjsig.so"))) return;
        } catch (IOException | UncheckedIOException e) {
            return;  // cannot tell; do not refuse a run for it
        }
        throw new IllegalStateException("run TornadoVM with LD_PRELOAD=" + Path.of(System.getProperty("java.home"), "lib", "libjsig.so")
                + " (./tt and the tornado Maven profile do): without it the OpenCL driver's LLVM replaces the JVM's signal "
                + "handlers and the JVM dies of a segmentation fault at its next implicit null check");
    }

    private static TornadoDevice device(String backendAndDevice) {
        String[] parts = backendAndDevice.split(":");
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        try {
            int b = Integer.parseInt(parts[0].trim()), d = Integer.parseInt(parts[1].trim());
            if (parts.length != 2) throw new NumberFormatException();
            if (b < 0 || b >= runtime.getNumBackends()) {
                throw new IllegalArgumentException("--device " + backendAndDevice + ": TornadoVM has backends 0.." + (runtime.getNumBackends() - 1)
                        + "; `tt devices` lists them");
            }
            if (d < 0 || d >= runtime.getBackend(b).getNumDevices()) {
                throw new IllegalArgumentException("--device " + backendAndDevice + ": backend " + b + " (" + runtime.getBackend(b).getName()
                        + ") has devices 0.." + (runtime.getBackend(b).getNumDevices() - 1) + "; `tt devices` lists them");
            }
            return runtime.getBackend(b).getDevice(d);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("--device " + backendAndDevice + ": expected backend:device, e.g. 0:0");
        }
    }

    /** A kernel that fails to compile must fail loudly, not run on the JVM and be timed as device work. */
    private static void requireBailoutOff() {
        if (!"false".equalsIgnoreCase(System.getProperty("tornado.recover.bailout"))) {
            throw new IllegalStateException("run TornadoVM with -Dtornado.recover.bailout=False (./tt and the tornado Maven "
                    + "profile do): with bailout on, a kernel that fails to compile silently runs on the JVM");
        }
    }
}
