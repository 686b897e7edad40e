package tt.model;

/** What layers need while they lay out their buffers: arenas, config, dims, dropout sites; and the attention layers laid out. */
final class Layout {
    final Buffers buffers;
    final TransformerConfig config;
    final Dims dims;
    /** Every attention layer, in the order laid out: what {@link Transformer#attentionMaps()} reads. */
    final java.util.List<Attention> attentions = new java.util.ArrayList<>();
    /** [max tokens] ones: the key sizes of attention whose keys are single tokens. */
    final tt.kernels.FloatBuf ones;
    private final int dropoutSeed;
    private int nextSite;

    Layout(Buffers buffers, TransformerConfig config, Dims dims, int dropoutSeed, tt.kernels.FloatBuf ones) {
        this.ones = ones;
        this.buffers = buffers;
        this.config = config;
        this.dims = dims;
        this.dropoutSeed = dropoutSeed;
    }

    /** A new dropout site at the model's dropout rate. */
    Dropout dropout(String name) {
        return dropout(name, config.dropout());
    }

    /** A new dropout site at its own rate. */
    Dropout dropout(String name, float rate) {
        return new Dropout(name, rate, dropoutSeed, nextSite++, dims.step());
    }

    /** An activation of [max tokens, width] with its gradient. */
    Tensor rows(String name, int width) {
        return buffers.activation(name, dims.limits().maxTokens(), width);
    }
}
