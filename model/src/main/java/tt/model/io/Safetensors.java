package tt.model.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Named tensors and string metadata in the safetensors format (as read by Hugging Face's safetensors and PyTorch):
 * an 8-byte little-endian header length N, N bytes of JSON
 * {@code {"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}}
 * padded with spaces to a multiple of 8, then the tensors' little-endian bytes back to back, offsets counted from
 * the start of that data section.
 */
public record Safetensors(SequencedMap<String, Tensor> tensors, Map<String, String> metadata) {
    private static final String METADATA = "__metadata__";
    private static final long MAX_HEADER = 100_000_000; // the reference implementation's limit
    private static final ValueLayout.OfLong HEADER_LENGTH = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public Safetensors {
        tensors = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        if (tensors.containsKey(METADATA)) throw new IllegalArgumentException(METADATA + " cannot name a tensor");
    }

    /** Writes the file atomically (see {@link AtomicFile}), tensors in this map's order. */
    public void write(Path file) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) metadata.forEach(header.putObject(METADATA)::put);
        long offset = 0;
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long end = offset + t.memory().byteSize();
            ObjectNode info = header.putObject(e.getKey()).put("dtype", t.dtype().name());
            Arrays.stream(t.shape()).forEach(info.putArray("shape")::add);
            info.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        AtomicFile.write(file, out -> {
            byte[] length = new byte[8];
            MemorySegment.ofArray(length).set(HEADER_LENGTH, 0, padded.length);
            out.write(length);
            out.write(padded);
            byte[] chunk = new byte[1 << 20];
            for (Tensor t : tensors.values()) t.littleEndian(chunk, (bytes, len) -> out.write(bytes, 0, len));
        });
    }

    /** Reads a file, checking its header first; every error names the file. */
    public static Safetensors read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            if (bytes.byteSize() < 8) throw invalid(file, "only " + bytes.byteSize() + " bytes, shorter than the 8-byte header length");
            long headerLength = bytes.get(HEADER_LENGTH, 0);
            if (headerLength < 2 || headerLength > Math.min(MAX_HEADER, bytes.byteSize() - 8)) {
                throw invalid(file, "header length " + headerLength + " does not fit the file of " + bytes.byteSize() + " bytes");
            }
            JsonNode header;
            try {
                header = JSON.readTree(bytes.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE));
            } catch (JacksonException e) {
                throw invalid(file, "header is not valid JSON: " + e.getOriginalMessage());
            }
            if (!(header instanceof ObjectNode)) throw invalid(file, "header is not a JSON object");
            MemorySegment data = bytes.asSlice(8 + headerLength);
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (var field : header.properties()) {
                if (field.getKey().equals(METADATA)) readMetadata(file, field.getValue(), metadata);
                else entries.add(Entry.parse(file, field.getKey(), field.getValue(), data.byteSize()));
            }
            checkLayout(file, entries, data.byteSize());
            SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) tensors.put(e.name, e.dtype.read(e.shape, data.asSlice(e.begin, e.end - e.begin)));
            return new Safetensors(tensors, metadata);
        }
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> metadata) throws IOException {
        if (!node.isObject()) throw invalid(file, METADATA + " is not a JSON object");
        for (var field : node.properties()) {
            if (!field.getValue().isTextual()) throw invalid(file, METADATA + " value of \"" + field.getKey() + "\" is not a string");
            metadata.put(field.getKey(), field.getValue().textValue());
        }
    }

    /** One header entry, checked on its own: known dtype, shape and data_offsets well formed and consistent. */
    private record Entry(String name, Tensor.DType dtype, int[] shape, long begin, long end) {
        static Entry parse(Path file, String name, JsonNode info, long dataLength) throws IOException {
            String where = "tensor \"" + name + "\": ";
            if (!info.isObject()) throw invalid(file, where + "header entry is not a JSON object");
            JsonNode dtype = info.path("dtype"), shape = info.path("shape"), offsets = info.path("data_offsets");
            Tensor.DType type = Arrays.stream(Tensor.DType.values()).filter(d -> dtype.isTextual() && d.name().equals(dtype.textValue()))
                    .findFirst().orElseThrow(() -> invalid(file, where + "dtype " + (dtype.isMissingNode() ? "missing" : dtype)
                            + " is not one of F32, I32, I64"));
            if (!shape.isArray() || !allIntegers(shape, Integer.MAX_VALUE)) throw invalid(file, where + "shape " + shape + " is not a list of dimensions");
            if (!offsets.isArray() || offsets.size() != 2 || !allIntegers(offsets, Long.MAX_VALUE)) {
                throw invalid(file, where + "data_offsets " + offsets + " is not [begin, end]");
            }
            int[] dims = new int[shape.size()];
            for (int i = 0; i < dims.length; i++) dims[i] = shape.get(i).intValue();
            long begin = offsets.get(0).longValue(), end = offsets.get(1).longValue();
            if (begin > end || end > dataLength) {
                throw invalid(file, where + "data_offsets [" + begin + ", " + end + "] outside the data section of " + dataLength + " bytes");
            }
            int count;
            try {
                count = Tensor.elementCount(dims);
            } catch (IllegalArgumentException e) {
                throw invalid(file, where + e.getMessage());
            }
            if ((long) count * type.bytes() != end - begin) {
                throw invalid(file, where + "shape " + shape + " of " + type + " needs " + (long) count * type.bytes()
                        + " bytes but data_offsets span " + (end - begin));
            }
            return new Entry(name, type, dims, begin, end);
        }

        private static boolean allIntegers(JsonNode array, long max) {
            for (JsonNode x : array) if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0 || x.longValue() > max) return false;
            return true;
        }
    }

    /** Tensors must tile the data section exactly, as the reference implementation requires: no overlap, no gap. */
    private static void checkLayout(Path file, List<Entry> entries, long dataLength) throws IOException {
        List<Entry> byOffset = entries.stream().sorted(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end)).toList();
        long covered = 0;
        String last = null;
        for (Entry e : byOffset) {
            if (e.begin < covered) throw invalid(file, "tensors \"" + last + "\" and \"" + e.name + "\" overlap in the data section");
            if (e.begin > covered) throw invalid(file, "bytes [" + covered + ", " + e.begin + ") of the data section belong to no tensor");
            covered = e.end;
            last = e.name;
        }
        if (covered != dataLength) throw invalid(file, "bytes [" + covered + ", " + dataLength + ") of the data section belong to no tensor");
    }

    private static IOException invalid(Path file, String problem) {
        return new IOException(file + ": not a valid safetensors file: " + problem);
    }
}
