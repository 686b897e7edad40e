package tt.model;

import tt.kernels.FloatBuf;

import java.util.Arrays;

/**
 * A value and its gradient, laid out identically in their two arenas. Parameters carry their
 * torch-style name and shape (torch.nn.Transformer state_dict names); activations are flat.
 */
public record Tensor(String name, int[] shape, FloatBuf value, FloatBuf grad) {

    public int size() { return value.length(); }

    /** Rows [offset, offset + product(shape)) of this tensor as a tensor of its own (value and grad). */
    public Tensor slice(String sliceName, int offset, int... sliceShape) {
        int n = 1;
        for (int s : sliceShape) n *= s;
        return new Tensor(sliceName, sliceShape, value.view(sliceName, offset, n), grad.view("d" + sliceName, offset, n));
    }

    @Override public String toString() { return name + Arrays.toString(shape); }
}
