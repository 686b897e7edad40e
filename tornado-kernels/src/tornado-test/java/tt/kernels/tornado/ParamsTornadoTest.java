package tt.kernels.tornado;

import org.junit.jupiter.api.Test;
import tt.kernels.Dim;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;
import tt.kernels.tornado.ElementwiseKernels.DropoutParams;
import tt.kernels.tornado.KernelTasks.BoundCall;
import tt.kernels.tornado.KernelTasks.Task;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Host-side binding: parameter arrays by slot name, with mistakes caught at bind time, and task ids from call labels. */
class ParamsTornadoTest {
    /** Two names for one slot: a layout mistake. */
    interface Overlapping { int ROWS = 0, COLS = 0; }

    @Test
    void slotsAreSetByNameOnceEach() {
        FloatBuf root = FloatBuf.allocate("root", 10), in = root.view("in", 3, 2), out = root.view("out", 5, 2);
        Dim live = new Dim("rows", 1, 8);
        Params p = new Params(DropoutParams.class).offset(DropoutParams.OUT, out).offset(DropoutParams.IN, in)
                .set(DropoutParams.SITE, 7).set(DropoutParams.SEED, 42).dim(DropoutParams.STEP, live)
                .dim(DropoutParams.COLS, Dim.fixed(2)).dim(DropoutParams.ROWS, live);
        assertArrayEquals(new int[] {1, -3, 1, 42, 7, 3, 5}, p.array().toHeapArray(), "live dims as slots, fixed as -1 - value");

        var twice = assertThrows(IllegalStateException.class, () -> new Params(DropoutParams.class).set(DropoutParams.SEED, 1)
                .set(DropoutParams.SEED, 2));
        assertEquals("DropoutParams.SEED set twice", twice.getMessage());
        var unset = assertThrows(IllegalStateException.class, () -> new Params(DropoutParams.class).set(DropoutParams.SEED, 1).array());
        assertEquals("DropoutParams.ROWS not set", unset.getMessage());
        var overlap = assertThrows(IllegalStateException.class, () -> new Params(Overlapping.class));
        assertTrue(overlap.getMessage().startsWith("Overlapping: its int constants must number the slots 0..1 once each"),
                overlap.getMessage());
    }

    @Test
    void taskIdsAreCallLabelsInCharactersTornadoVmKeeps() {
        Kernel fill = new Kernel.Fill(FloatBuf.allocate("x", 1), 0f);
        Task task = new Task(null, null);
        StepGraph.Call call = new StepGraph.Call(12, "encoder.layers.0.self_attn: scores", fill);
        assertEquals("c12_encoder_layers_0_self_attn_scores", new BoundCall(call, List.of(task), List.of()).taskId(0));
        BoundCall norm = new BoundCall(new StepGraph.Call(5, "out = x + dropout(sublayer)", fill), List.of(task, task), List.of());
        assertEquals("c5t1_out_x_dropout_sublayer", norm.taskId(1));
        assertEquals("c3", new BoundCall(new StepGraph.Call(3, " : ", fill), List.of(task), List.of()).taskId(0));
    }
}
