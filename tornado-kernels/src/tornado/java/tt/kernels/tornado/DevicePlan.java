package tt.kernels.tornado;

import tt.kernels.Buf;
import tt.kernels.StepGraph;
import tt.kernels.tornado.KernelTasks.BoundCall;
import tt.kernels.tornado.KernelTasks.Task;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One TornadoExecutionPlan holding every graph a backend has compiled, over one device array per
 * buffer root. How device data is shared, given TornadoVM 5.2's rules:
 * <ul>
 *   <li>Each task graph keeps its own device state per object. A graph that
 *       {@code consumeFromDevice}s an object takes the buffer of that object from whichever graph
 *       of the plan ran last, and never allocates or transfers it itself.</li>
 *   <li>So every root has one owner, its <em>upload graph</em>, which allocates it, transfers it
 *       from the host when run (EVERY_EXECUTION) and consumes every other root. Every other graph
 *       (the step graphs' task graphs) consumes every root. Running the upload graphs once in
 *       order allocates all roots; from then on whichever graph runs, it finds every root in
 *       the graph that ran before it, and all graphs share one buffer per root.</li>
 *   <li>Uploads at any time (initial parameters, checkpoints, each run's inputs) run the root's
 *       upload graph; downloads (each run's outputs, log-probs while decoding) are
 *       {@link TornadoExecutionResult#transferToHost} on the last result: every graph holds
 *       every root.</li>
 *   <li>A step graph becomes one task graph, or several when it exceeds what TornadoVM takes in
 *       one: 256 tasks, an 8 KB task list (about 70 tasks of ours) and the bytecode buffer
 *       ({@code -Dtornado.tvm.maxbytecodesize}, 4096 bytes by default); they run one after
 *       another and pass their roots along like any two graphs.</li>
 * </ul>
 * The plan must know all its graphs when it is built, so the backend builds it lazily and builds
 * a new one when another step graph is compiled (see {@link TornadoBackend}).
 */
final class DevicePlan implements AutoCloseable {
    private static final AtomicInteger PLANS = new AtomicInteger();
    /**
     * TornadoVM's limits per task graph: 256 tasks (TornadoExecutionContext.MAX_TASKS), and the
     * task list's own 8192-byte buffer (TornadoTaskGraph.highLevelCode), where a task takes 15
     * bytes plus 5 per argument, at most 20 of them.
     */
    private static final int MAX_TASKS = 256, TASK_LIST_BYTES = 8192, TASK_LIST_BYTES_PER_TASK = 15 + 5 * 20;
    /**
     * Bytecode estimates, generous: a task is a LAUNCH with up to 20 arguments and as many
     * dependency edges, plus its parameter array's allocation and transfer; a root costs an
     * ON_DEVICE and a PERSIST in every graph.
     */
    private static final int GRAPH_BYTES = 128, ROOT_BYTES = 24, TASK_BYTES = 240, PRIVATE_BYTES = 48;

    /** A task's worker grid and how to size it. */
    private record Worker(WorkerGrid grid, Launch launch) {
        void resize(int[] live) { launch.resize(grid, live); }
    }

    /** One task graph of a step graph: its plan index, its calls, and their tasks' workers. */
    private record Chunk(int index, String name, List<BoundCall> calls, List<Worker> workers) {
        String describe(StepGraph graph) {
            return graph.name() + " calls #" + calls.getFirst().call().index() + "-#" + calls.getLast().call().index()
                    + " (task graph " + name + ")";
        }
    }

    private final DeviceBuffers buffers;
    private final List<Buf> roots;
    private final TornadoExecutionPlan plan;
    private final Map<Buf, Integer> uploadGraphs = new LinkedHashMap<>();
    private final Map<StepGraph, List<Chunk>> chunks = new IdentityHashMap<>();
    private TornadoExecutionResult last;

    DevicePlan(TornadoDevice device, DeviceBuffers buffers, Map<StepGraph, List<BoundCall>> graphs) {
        this.buffers = buffers;
        String prefix = "tt" + PLANS.incrementAndGet() + "_";
        roots = buffers.roots();
        Object[] all = roots.stream().map(buffers::array).toArray();
        List<ImmutableTaskGraph> taskGraphs = new ArrayList<>();
        for (Buf root : roots) {
            uploadGraphs.put(root, taskGraphs.size());
            taskGraphs.add(uploadGraph(prefix + "upload" + taskGraphs.size(), root, roots).snapshot());
        }
        GridScheduler grids = new GridScheduler();
        int budget = Integer.getInteger("tornado.tvm.maxbytecodesize", 4096);
        for (Map.Entry<StepGraph, List<BoundCall>> e : graphs.entrySet()) {
            StepGraph graph = e.getKey();
            List<Chunk> graphChunks = new ArrayList<>();
            for (List<BoundCall> calls : split(graph, e.getValue(), roots.size(), budget)) {
                String name = prefix + graph.name().replaceAll("[^A-Za-z0-9_]", "_") + "_" + graphChunks.size();
                Chunk chunk = new Chunk(taskGraphs.size(), name, calls, new ArrayList<>());
                taskGraphs.add(taskGraph(chunk, all, grids, graph.sizes().buffer().array()).snapshot());
                graphChunks.add(chunk);
            }
            chunks.put(graph, graphChunks);
        }
        plan = new TornadoExecutionPlan(taskGraphs.toArray(ImmutableTaskGraph[]::new));
        plan.withDevice(device);
        if (!grids.keySet().isEmpty()) plan.withGridScheduler(grids);
        for (Buf root : roots) upload(root);
    }

    /** Host to device: the whole root, through its upload graph. */
    void upload(Buf root) {
        buffers.stage(root);
        execute(uploadGraphs.get(root), "upload of '" + root.name() + "'");
    }

    /** Device to host: whole roots. */
    void download(Collection<Buf> roots) {
        if (roots.isEmpty()) return;
        try {
            last.transferToHost(roots.stream().map(buffers::array).toArray());
        } catch (RuntimeException e) {
            throw new IllegalStateException("TornadoVM failed to download " + roots + ": " + e.getMessage(), e);
        }
        roots.forEach(buffers::unstage);
    }

    /** Runs a step graph's task graphs at the current live sizes. */
    void run(StepGraph graph) {
        int[] live = graph.sizes().buffer().array();
        for (Chunk chunk : chunks.get(graph)) {
            for (Worker w : chunk.workers()) w.resize(live);
            execute(chunk.index(), chunk.describe(graph));
        }
    }

    /** The roots on the device: those of the graphs it was built for. */
    List<Buf> roots() { return roots; }

    /** How many task graphs each step graph became. */
    int taskGraphs(StepGraph graph) { return chunks.get(graph).size(); }

    @Override public void close() {
        try {
            plan.close();
        } catch (Exception e) {
            throw new IllegalStateException("TornadoVM failed to free device memory: " + e.getMessage(), e);
        }
    }

    private void execute(int index, String what) {
        try {
            last = plan.withGraph(index).execute();
        } catch (RuntimeException e) {
            throw new IllegalStateException("TornadoVM failed running " + what + ": " + e.getMessage(), e);
        }
    }

    /** The owner of a root: allocates it and copies it from the host each time it runs. */
    private TaskGraph uploadGraph(String name, Buf root, List<Buf> roots) {
        TaskGraph g = new TaskGraph(name);
        Object[] others = roots.stream().filter(r -> r != root).map(buffers::array).toArray();
        if (others.length > 0) g.consumeFromDevice(others);
        Object array = buffers.array(root);
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, array);
        switch (array) {
            case FloatArray f -> g.task("touch", DevicePlan::touchFloats, f);
            case IntArray i -> g.task("touch", DevicePlan::touchInts, i);
            default -> throw new IllegalStateException("unexpected device array " + array);
        }
        return g.persistOnDevice(array);
    }

    private TaskGraph taskGraph(Chunk chunk, Object[] roots, GridScheduler grids, int[] live) {
        TaskGraph g = new TaskGraph(chunk.name()).consumeFromDevice(roots);
        Object[] privates = chunk.calls().stream().flatMap(c -> c.privates().stream()).toArray();
        if (privates.length > 0) g.transferToDevice(DataTransferMode.FIRST_EXECUTION, privates);
        KernelContext ctx = new KernelContext();
        for (BoundCall call : chunk.calls()) {
            for (int t = 0; t < call.tasks().size(); t++) {
                Task task = call.tasks().get(t);
                String id = call.taskId(t);
                task.adder().add(g, id, ctx);
                WorkerGrid grid = task.launch().newWorker(live);
                grids.addWorkerGrid(chunk.name() + "." + id, grid);
                chunk.workers().add(new Worker(grid, task.launch()));
            }
        }
        return g.persistOnDevice(roots);
    }

    /** Cuts a graph's calls into task graphs under TornadoVM's task and bytecode limits; a call's tasks stay together. */
    private static List<List<BoundCall>> split(StepGraph graph, List<BoundCall> calls, int roots, int budget) {
        int fixed = GRAPH_BYTES + ROOT_BYTES * roots;
        int maxTasks = Math.min(MAX_TASKS, TASK_LIST_BYTES / TASK_LIST_BYTES_PER_TASK);
        List<List<BoundCall>> out = new ArrayList<>();
        List<BoundCall> current = new ArrayList<>();
        int bytes = fixed, tasks = 0;
        for (BoundCall call : calls) {
            int n = call.tasks().size(), cost = n * TASK_BYTES + call.privates().size() * PRIVATE_BYTES;
            if (fixed + cost > budget) {
                throw new IllegalStateException(graph.name() + " " + call.call().describe() + " needs about " + (fixed + cost)
                        + " bytes of TornadoVM bytecode; run with -Dtornado.tvm.maxbytecodesize=" + 4 * (fixed + cost));
            }
            if (!current.isEmpty() && (bytes + cost > budget || tasks + n > maxTasks)) {
                out.add(current);
                current = new ArrayList<>();
                bytes = fixed;
                tasks = 0;
            }
            current.add(call);
            bytes += cost;
            tasks += n;
        }
        if (!current.isEmpty()) out.add(current);
        return out;
    }

    /** The task of an upload graph: transfers need a task to happen; it reads nothing. */
    static void touchFloats(FloatArray a) {}

    static void touchInts(IntArray a) {}
}
