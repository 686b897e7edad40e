package tt.model.text;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import tt.model.io.AtomicFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokenizer files: a JSON object with the type, the flags that change how text is cut (if any; a
 * file without them is one from before flags), the specials and the vocabulary, one entry a line.
 */
final class TokenizerFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FLAGS = "flags";

    private TokenizerFiles() {}

    /** A named list of strings in a tokenizer file. */
    record Field(String name, List<String> values) {}

    static Tokenizer load(Path file) throws IOException {
        JsonNode json;
        try {
            json = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException(file + ": not a tokenizer file (" + e.getMessage() + ")", e);
        }
        List<String> specials = strings(json, "specials", file);
        if (!specials.equals(Tokenizer.SPECIALS)) {
            throw new IOException(file + ": specials " + specials + " differ from " + Tokenizer.SPECIALS);
        }
        String type = json.path("type").asText("(none)");
        List<String> flags = json.has(FLAGS) ? strings(json, FLAGS, file) : List.of();
        List<String> known = type.equals(BpeTokenizer.TYPE) ? List.of(BpeTokenizer.SPLIT_PUNCTUATION) : List.of();
        for (String flag : flags) {
            if (!known.contains(flag)) throw new IOException(file + ": unknown flag '" + flag + "' for a '" + type + "' tokenizer (known: " + known + ")");
        }
        try {
            return switch (type) {
                case WordTokenizer.TYPE -> new WordTokenizer(strings(json, "tokens", file));
                case BpeTokenizer.TYPE -> new BpeTokenizer(strings(json, "alphabet", file), strings(json, "merges", file),
                        flags.contains(BpeTokenizer.SPLIT_PUNCTUATION));
                default -> throw new IOException(file + ": unknown tokenizer type '" + type + "' (expected '"
                        + WordTokenizer.TYPE + "' or '" + BpeTokenizer.TYPE + "')");
            };
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {type, flags (if any), specials, fields...}, atomically (temp file + rename). */
    static void save(Path file, String type, List<String> flags, Field... fields) throws IOException {
        ObjectNode json = JSON.createObjectNode();
        json.put("type", type);
        if (!flags.isEmpty()) flags.forEach(json.putArray(FLAGS)::add);
        List<Field> all = new ArrayList<>(List.of(new Field("specials", Tokenizer.SPECIALS)));
        all.addAll(List.of(fields));
        for (Field f : all) f.values().forEach(json.putArray(f.name())::add);
        var onePerLine = new DefaultPrettyPrinter().withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
        byte[] bytes = (JSON.writer(onePerLine).writeValueAsString(json) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, out -> out.write(bytes));
    }

    private static List<String> strings(JsonNode json, String field, Path file) throws IOException {
        JsonNode array = json.get(field);
        if (array == null || !array.isArray()) throw new IOException(file + ": missing array '" + field + "'");
        List<String> strings = new ArrayList<>();
        for (JsonNode e : array) {
            if (!e.isTextual()) throw new IOException(file + ": '" + field + "' holds " + e + ", not a string");
            strings.add(e.textValue());
        }
        return strings;
    }
}
