package tt.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A checkpoint's config as JSON (its safetensors metadata), read back, also when written before a field existed. */
class TransformerConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aConfigSavedBeforeAttentionAndActivationDropoutDropsThemAtItsDropoutRate() throws Exception {
        TransformerConfig c = TransformerConfig.preset("tiny", 100).toBuilder().dropout(0.3f).build();
        ObjectNode saved = JSON.valueToTree(c);
        assertEquals(c, JSON.treeToValue(saved, TransformerConfig.class), "written and read back");
        saved.remove("attentionDropout");
        saved.remove("activationDropout");
        saved.remove("arch");
        TransformerConfig old = JSON.treeToValue(saved, TransformerConfig.class);
        assertEquals(0.3f, old.attentionDropout());
        assertEquals(0.3f, old.activationDropout());
        assertEquals(c, old, "what the model trained with then");
        TransformerConfig fairseq = c.toBuilder().attentionDropout(0f).activationDropout(0f).build();
        assertEquals(fairseq, JSON.treeToValue(JSON.valueToTree(fairseq), TransformerConfig.class));
        assertEquals(0.1f, fairseq.toBuilder().dropout(0.1f).build().dropout());
        assertEquals(0f, fairseq.toBuilder().dropout(0.1f).build().attentionDropout(), "a rate of its own stays when dropout changes");
        assertEquals(0.1f, c.toBuilder().dropout(0.1f).build().attentionDropout(), "one that followed dropout follows it still");
    }
}
