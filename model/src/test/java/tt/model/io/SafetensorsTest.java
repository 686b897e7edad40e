package tt.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Round trips are bit-exact (tolerance 0): safetensors stores the raw IEEE bits. */
class SafetensorsTest {
    @TempDir Path dir;

    private static SequencedMap<String, Tensor> sampleTensors() {
        SplittableRandom rnd = new SplittableRandom(7);
        SequencedMap<String, Tensor> t = new LinkedHashMap<>();
        for (int[] shape : new int[][] {{3, 5}, {7}, {2, 3, 9}, {}, {0, 4}, {1, 13}}) {
            float[] x = new float[Tensor.elementCount(shape)];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextDouble(-20, 20)));
            t.put("f32." + t.size(), new Tensor.F32(shape, x));
        }
        t.put("special", new Tensor.F32(new int[] {6}, new float[] {-0.0f, Float.NaN, Float.POSITIVE_INFINITY,
                Float.MIN_VALUE, Float.MAX_VALUE, Float.intBitsToFloat(0x7fc01234)}));
        t.put("ids", new Tensor.I32(new int[] {2, 3}, rnd.ints(6).toArray()));
        t.put("steps", new Tensor.I64(new int[] {5}, rnd.longs(5).toArray()));
        return t;
    }

    @Test void roundTripIsIdentical() throws IOException {
        Safetensors written = new Safetensors(sampleTensors(), Map.of("format", "pt", "commit", "ümlaut \"quoted\""));
        Path file = dir.resolve("model.safetensors");
        written.write(file);
        Safetensors read = Safetensors.read(file);
        assertEquals(written.metadata(), read.metadata());
        assertEquals(List.copyOf(written.tensors().keySet()), List.copyOf(read.tensors().keySet()));
        written.tensors().forEach((name, w) -> {
            Tensor r = read.tensors().get(name);
            assertEquals(w.dtype(), r.dtype(), name);
            assertArrayEquals(w.shape(), r.shape(), name);
            assertArrayEquals(w.memory().toArray(JAVA_BYTE),
                    r.memory().toArray(JAVA_BYTE), name);
        });
    }

    @Test void headerIsTheSafetensorsLayout() throws IOException {
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", new Tensor.F32(new int[] {2, 3}, new float[] {1.5f, -2, 3, 4, 5, 6.25f}));
        tensors.put("n", new Tensor.I64(new int[] {1}, new long[] {0x0102030405060708L}));
        tensors.put("i", new Tensor.I32(new int[] {}, new int[] {-2}));
        Path file = dir.resolve("small.safetensors");
        new Safetensors(tensors, Map.of("k", "v")).write(file);

        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long n = bytes.getLong(0);
        assertEquals(0, (8 + n) % 8, "data section aligned to 8 bytes");
        String header = new String(bytes.array(), 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.matches("(?s)\\{.*\\} *"), "JSON object padded with spaces: " + header);
        JsonNode json = new ObjectMapper().readTree(header);
        assertEquals("v", json.get("__metadata__").get("k").asText());
        assertEquals("{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", json.get("w").toString());
        assertEquals("{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]}", json.get("n").toString());
        assertEquals("{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[32,36]}", json.get("i").toString());
        assertEquals(8 + n + 36, bytes.capacity());
        int data = (int) (8 + n);
        assertEquals(1.5f, bytes.getFloat(data));
        assertEquals(6.25f, bytes.getFloat(data + 20));
        assertEquals(0x0102030405060708L, bytes.getLong(data + 24));
        assertEquals(8, bytes.get(data + 24), "little-endian");
        assertEquals(-2, bytes.getInt(data + 32));
    }

    /** A file written by Hugging Face's safetensors 0.8.0 (Python, numpy) reads back with its values. */
    @Test void readsTheReferenceImplementation() throws Exception {
        Path file = Path.of(getClass().getResource("python-safetensors-0.8.0.safetensors").toURI());
        Safetensors s = Safetensors.read(file);
        assertEquals(Map.of("format", "pt", "note", "written by safetensors 0.8.0 (Python)"), s.metadata());
        var embed = assertInstanceOf(Tensor.F32.class, s.tensors().get("embed.weight"));
        assertArrayEquals(new int[] {2, 3}, embed.shape());
        assertArrayEquals(new float[] {0.5f, -1.25f, 3.0f, 1e-30f, -0.0f, 65504.0f}, embed.data());
        var step = assertInstanceOf(Tensor.I64.class, s.tensors().get("step"));
        assertArrayEquals(new int[0], step.shape());
        assertArrayEquals(new long[] {123456789012L}, step.data());
        var lengths = assertInstanceOf(Tensor.I32.class, s.tensors().get("lengths"));
        assertArrayEquals(new int[] {3, -7, Integer.MAX_VALUE, Integer.MIN_VALUE, 0}, lengths.data());
        assertArrayEquals(new int[] {0, 4}, s.tensors().get("empty").shape());
    }

    /** A file with the given header text (padded as the format asks) and {@code dataBytes} zero bytes of data. */
    private Path rawFile(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, b.array());
        return file;
    }

    private void assertInvalid(String expected, Path file) {
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().startsWith(file + ": not a valid safetensors file: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private void assertInvalid(String expected, String header, int dataBytes) throws IOException {
        assertInvalid(expected, rawFile(header, dataBytes));
    }

    @Test void rejectsBrokenHeadersNamingTheFile() throws IOException {
        String w = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        assertInvalid("header is not valid JSON", "{\"w\":", 0);
        assertInvalid("header is not valid JSON", w + "} {}", 8);
        assertInvalid("header is not valid JSON", w + ",\"w\":{}}", 8); // duplicate name
        assertInvalid("header is not a JSON object", "[1, 2]", 0);
        assertInvalid("outside the data section of 4 bytes", w + "}", 4);
        assertInvalid("needs 8 bytes but data_offsets span 12", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12);
        assertInvalid("dtype \"F16\" is not one of", "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
        assertInvalid("dtype missing", "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertInvalid("shape [2,-1] is not a list", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}", 8);
        assertInvalid("shape [2.0] is not a list", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8);
        assertInvalid("data_offsets [0] is not [begin, end]", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8);
        assertInvalid("__metadata__ value of \"k\" is not a string", "{\"__metadata__\":{\"k\":1}}", 0);
        assertInvalid("tensors \"a\" and \"b\" overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertInvalid("bytes [0, 4) of the data section belong to no tensor",
                "{\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertInvalid("bytes [8, 12) of the data section belong to no tensor", w + "}", 12);
    }

    @Test void rejectsTruncatedFiles() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 0, 0});
        assertInvalid("only 3 bytes", tiny);
        Path longHeader = dir.resolve("long.safetensors");
        Files.write(longHeader, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0).array());
        assertInvalid("header length 1000 does not fit the file of 16 bytes", longHeader);
    }

    @Test void rejectsMismatchedTensorsBeforeWriting() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Tensor.F32(new int[] {2, 3}, new float[5]));
        assertEquals("shape [2, 3] needs 6 elements, data has 5", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Safetensors(
                new LinkedHashMap<>(Map.of("__metadata__", new Tensor.I32(new int[] {}, new int[1]))), Map.of()));
    }
}
