package tt.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.UncheckedIOException;

/** JSON through Jackson: run options into checkpoints and manifests, and back. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tree as it will read back from a file: numbers in their JSON form (a float 0.1 and a double 0.1 differ in memory). */
    static com.fasterxml.jackson.databind.JsonNode reparse(com.fasterxml.jackson.databind.JsonNode tree) {
        try {
            return MAPPER.readTree(MAPPER.writeValueAsString(tree));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
