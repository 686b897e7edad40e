package tt.experiments;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML file read into maps, lists and scalars that remember their line, so that every complaint
 * about a spec can say "file:line: key: what is wrong". Scalars keep their text as written (1e-3
 * stays "1e-3"), booleans are Boolean and an empty value is null. Duplicate keys are an error.
 */
final class SpecFile {
    /** A value and the line it was written on (for a map entry, the line of its key); {@code path} is like "variants.fast.lr". */
    record Node(Object value, int line, String path) {
        @SuppressWarnings("unchecked")
        Map<String, Node> map() { return value instanceof Map<?, ?> m ? (Map<String, Node>) m : null; }

        @SuppressWarnings("unchecked")
        List<Node> list() { return value instanceof List<?> l ? (List<Node>) l : null; }

        boolean scalar() { return !(value instanceof Map) && !(value instanceof List); }

        /** The scalar as a command-line argument would spell it. */
        String text() { return String.valueOf(value); }
    }

    /** A problem at a place in the file. */
    static final class SpecError extends IllegalArgumentException {
        SpecError(String file, int line, String path, String message) {
            super(file + ":" + line + ": " + (path.isEmpty() ? "" : path + ": ") + message);
        }
    }

    /** How errors name the file: its path as given. */
    final String name;
    /** The file as written, for the report. */
    final String text;
    final Node root;

    private SpecFile(String name, String text, Node root) {
        this.name = name;
        this.text = text;
        this.root = root;
    }

    static SpecFile read(Path file) throws IOException {
        try {
            return parse(file.toString(), Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such spec file; give a path to a YAML spec such as experiments/specs/quickstart.yaml");
        }
    }

    static SpecFile parse(String file, String text) throws IOException {
        try (JsonParser p = new YAMLFactory().createParser(text)) {
            if (p.nextToken() == null) throw new SpecError(file, 1, "", "the spec is empty");
            return new SpecFile(file, text, node(file, p, p.currentTokenLocation().getLineNr(), ""));
        } catch (JsonProcessingException e) {
            int line = e.getLocation() != null ? e.getLocation().getLineNr() : 1;
            throw new SpecError(file, line, "", "not valid YAML (" + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
        }
    }

    SpecError error(Node at, String message) { return new SpecError(name, at.line(), at.path(), message); }

    private static Node node(String file, JsonParser p, int line, String path) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Node> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    int keyLine = p.currentTokenLocation().getLineNr();
                    String keyPath = path.isEmpty() ? key : path + "." + key;
                    p.nextToken();
                    Node value = node(file, p, keyLine, keyPath);
                    if (map.put(key, value) != null) throw new SpecError(file, keyLine, keyPath, "given twice; keep one");
                }
                return new Node(map, line, path);
            }
            case START_ARRAY -> {
                List<Node> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(node(file, p, p.currentTokenLocation().getLineNr(), path + "[" + list.size() + "]"));
                }
                return new Node(list, line, path);
            }
            case VALUE_TRUE, VALUE_FALSE -> { return new Node(t == JsonToken.VALUE_TRUE, line, path); }
            case VALUE_NULL -> { return new Node(null, line, path); }
            default -> { return new Node(p.getText(), line, path); }
        }
    }

    /** The tree as plain JSON-ready values (maps, lists, strings, booleans), for the manifest and the spec's hash. */
    static Object plain(Node n) {
        if (n.map() != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            n.map().forEach((k, v) -> m.put(k, plain(v)));
            return m;
        }
        if (n.list() != null) return n.list().stream().map(SpecFile::plain).toList();
        return n.value();
    }
}
