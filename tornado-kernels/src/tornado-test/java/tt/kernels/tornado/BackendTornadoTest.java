package tt.kernels.tornado;

import org.junit.jupiter.api.Test;
import tt.kernels.Backend;
import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.IntBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where data lives: graphs sharing device buffers, uploads and downloads at any time, new graphs after the first run. */
class BackendTornadoTest {
    private static final Dim ONE = Dim.fixed(1), TEN = Dim.fixed(10);

    @Test
    void graphsShareDeviceBuffersAcrossUploadsDownloadsAndNewGraphs() {
        FloatBuf x = FloatBuf.of("x", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), y = FloatBuf.allocate("y", 10), z = FloatBuf.allocate("z", 10);
        FloatBuf notOnDevice = FloatBuf.of("not on device", 42);
        StepGraph doubled = new StepGraph("y = 2x").add("y = x + x", new Kernel.Add(ONE, TEN, x, x, y));
        StepGraph accumulated = new StepGraph("z += y").add("z += y", new Kernel.Axpy(ONE, TEN, 1f, y, z)).outputs(z);
        try (TornadoBackend backend = new TornadoBackend("0:0")) {
            Backend.Executable first = backend.compile(doubled);
            first.run();
            backend.download(y);
            assertArrayEquals(floats(i -> 2 * (i + 1)), y.toArray(), "y = 2x after the first graph");

            // A second graph: the plan is rebuilt and y, computed on the device, must survive it.
            y.fill(-1f);  // host copy of a device-owned buffer: not uploaded, not seen
            Backend.Executable second = backend.compile(accumulated);
            second.run();
            assertArrayEquals(floats(i -> 2 * (i + 1)), z.toArray(), "z += y, z an output of the second graph");

            // Host changes reach the device only through upload.
            x.fill(100f);
            first.run();
            second.run();
            assertArrayEquals(floats(i -> 4 * (i + 1)), z.toArray(), "x changed on the host only");
            backend.upload(x);
            first.run();
            second.run();
            assertArrayEquals(floats(i -> 4 * (i + 1) + 200), z.toArray(), "after upload(x)");

            // Any root downloads after any graph; roots no graph uses stay on the host.
            x.fill(0f);
            backend.download(x);
            assertArrayEquals(floats(i -> 100), x.toArray(), "x downloaded after a graph that does not read it");
            backend.upload(notOnDevice);
            backend.download(notOnDevice);
            assertArrayEquals(new float[] {42}, notOnDevice.toArray());
            assertTrue(backend.compile(doubled) == first, "compiling a graph again returns its executable");
        }
    }

    @Test
    void idsOutsideTheirTableFailBeforeTheDeviceRuns() {
        IntBuf ids = IntBuf.of("ids", 3, 99), targets = IntBuf.of("targets", 0, 7);
        StepGraph embed = new StepGraph("embed").add("lookup", new Kernel.EmbeddingForward(Dim.fixed(2), Dim.fixed(4), 1f, ids,
                FloatBuf.allocate("table", 20), FloatBuf.allocate("out", 8))).inputs(ids);
        StepGraph loss = new StepGraph("loss").add("loss", new Kernel.SmoothedLoss(Dim.fixed(2), Dim.fixed(5), Dim.fixed(1), 0, 0.1f, true, Kernel.Reduction.TOKEN, targets,
                FloatBuf.allocate("log probs", 10), FloatBuf.allocate("rows", 2), FloatBuf.allocate("stats", Kernel.SmoothedLoss.STATS))).inputs(targets);
        try (TornadoBackend backend = new TornadoBackend("0:0")) {
            var e = assertThrows(IllegalArgumentException.class, backend.compile(embed)::run);
            assertTrue(e.getMessage().endsWith("token id 99 at position 1 is outside the embedding table [0, 5)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, backend.compile(loss)::run);
            assertTrue(e.getMessage().endsWith("target id 7 at row 1 is outside the vocabulary [0, 5)"), e.getMessage());
        }
    }

    @Test
    void devicesAreListedAndBadIndicesNamed() {
        List<String> devices = TornadoBackend.devices();
        assertFalse(devices.isEmpty());
        assertTrue(devices.getFirst().startsWith("0:0"), devices.getFirst());
        var e = assertThrows(IllegalArgumentException.class, () -> new TornadoBackend("7:0"));
        assertTrue(e.getMessage().startsWith("--device 7:0: TornadoVM has backends 0.."), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TornadoBackend("gpu"));
        assertTrue(e.getMessage().contains("expected backend:device, e.g. 0:0"), e.getMessage());
    }

    private static float[] floats(java.util.function.IntUnaryOperator f) {
        float[] a = new float[10];
        for (int i = 0; i < 10; i++) a[i] = f.applyAsInt(i);
        return a;
    }
}
