package tt.model;

import tt.kernels.Buf;
import tt.kernels.FloatBuf;
import tt.kernels.Kernel;
import tt.kernels.StepGraph;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each activation gradient lives, planned from the training step's calls: a gradient is
 * live from the first call that touches it to the last, and gradients whose lives do not overlap
 * share storage (backward frees a layer's gradients as it leaves the layer, as PyTorch's autograd
 * does). Backward kernels accumulate, so each gradient's first call either overwrites it (a GEMM
 * with beta 0 instead of 1, see {@link tt.kernels.Kernel#overwriting}) or follows a zeroing of it;
 * the step never zeroes the whole arena. Planned from a measuring pass, whose unallocated buffers
 * have the names and lengths the real pass will ask for, in the same order of calls.
 */
final class GradientPlan {
    /** A gradient's storage and life: [offset, offset + length) from call first to call last (inclusive). */
    private record Slot(String name, int length, int first, int last, int offset) {}

    private final Map<String, Slot> slots = new HashMap<>();
    /** Names of the gradients to zero before each call of the training step, by call index. */
    private final Map<Integer, List<String>> zeroBefore = new HashMap<>();
    /** Gradients whose storage a later gradient of the step takes over: their values are gone when the step ends. */
    private final java.util.Set<String> overwritten = new java.util.HashSet<>();
    private final int floats;

    private GradientPlan(List<FloatBuf> gradients, StepGraph trainStep) {
        Map<Buf, int[]> life = new HashMap<>();  // root -> {first, last}
        for (StepGraph.Call call : trainStep.calls()) {
            for (StepGraph.Use use : trainStep.uses(call)) {
                int[] span = life.computeIfAbsent(use.buffer().root(), b -> new int[] {call.index(), call.index()});
                span[1] = call.index();
            }
        }
        List<Slot> live = new ArrayList<>();
        for (FloatBuf g : gradients) {
            int[] span = life.get(g);
            live.add(new Slot(g.name(), g.length(), span != null ? span[0] : Integer.MAX_VALUE, span != null ? span[1] : Integer.MAX_VALUE, -1));
        }
        live.sort(Comparator.comparingInt(Slot::first));
        List<Slot> placed = new ArrayList<>();
        int end = 0;
        for (Slot s : live) {
            if (s.first() == Integer.MAX_VALUE) {  // no call of the step touches it: storage shared with anything
                slots.put(s.name(), new Slot(s.name(), s.length(), s.first(), s.last(), 0));
                end = Math.max(end, s.length());
                continue;
            }
            int offset = 0;
            List<Slot> overlapping = placed.stream().filter(p -> p.last() >= s.first()).sorted(Comparator.comparingInt(Slot::offset)).toList();
            for (Slot p : overlapping) {  // the lowest gap among the gradients still live
                if (p.offset() - offset >= s.length()) break;
                offset = Math.max(offset, p.offset() + p.length());
            }
            Slot at = new Slot(s.name(), s.length(), s.first(), s.last(), offset);
            for (Slot p : placed) {
                if (p.last() < s.first() && p.offset() < offset + s.length() && offset < p.offset() + p.length()) overwritten.add(p.name());
            }
            placed.add(at);
            slots.put(s.name(), at);
            end = Math.max(end, offset + s.length());
            zeroBefore.computeIfAbsent(s.first(), i -> new ArrayList<>()).add(s.name());
        }
        this.floats = end;
    }

    /** The plan for the gradients a measuring pass handed out, in the order it did, used by its training step. */
    static GradientPlan of(List<FloatBuf> gradients, StepGraph trainStep) { return new GradientPlan(gradients, trainStep); }

    int floats() { return floats; }

    /** Where gradient {@code name} starts in the arena; it must be one the measuring pass handed out, with the same length. */
    int offset(String name, int length) {
        Slot s = slots.get(name);
        if (s == null || s.length() != length) throw new IllegalStateException("gradient " + name + " of " + length + " floats was not planned");
        return s.offset();
    }

    /** The gradients to zero before the training step's call {@code index}. */
    List<String> zeroBefore(int index) { return zeroBefore.getOrDefault(index, List.of()); }

    /** Whether a buffer still holds what the step wrote into it when the step ends (no later gradient reused its storage). */
    boolean keepsValue(Buf b) { return !overwritten.contains(b.name()); }

    /**
     * Zeroes gradients as a training step is built: before the step's n-th own call, each gradient
     * whose life starts there is zeroed by a Fill, unless the call can overwrite it (the plan's call
     * indices count no Fills this adds).
     */
    static final class Zeroing {
        private final GradientPlan plan;
        private final Arena gradients;
        private int next;

        Zeroing(GradientPlan plan, Arena gradients) {
            this.plan = plan;
            this.gradients = gradients;
        }

        /** The call to append in place of {@code kernel}, after adding the Fills it still needs. */
        Kernel before(StepGraph graph, Kernel kernel) {
            for (String g : plan.zeroBefore(next)) {
                FloatBuf target = gradients.view(g);
                Kernel overwriting = kernel.overwriting(target);
                if (overwriting != null) kernel = overwriting;
                else graph.add("zero " + g, new Kernel.Fill(target, 0f));
            }
            next++;
            return kernel;
        }
    }
}
