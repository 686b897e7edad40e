package tt.model.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locating and downloading Multi30k; downloads go only to a server on the loopback address. */
class Multi30kTest {
    @TempDir Path temp;

    @Test void findsSharedDataFromInsideTheRepository() throws IOException {
        Path dir = Multi30k.locate(null);
        assertTrue(dir.endsWith(Path.of("shared", "data", "multi30k")) || System.getenv(Multi30k.DATA_ENV) != null, dir.toString());
        assertEquals(dir, Multi30k.locate(dir));
    }

    @Test void candidatesPreferGivenThenEnvironmentThenParentsOfTheWorkingDirectoryThenCache() {
        Path given = temp.resolve("given");
        Path cache = Path.of("/home/me/.cache/tt");
        assertEquals(List.of(given), Multi30k.candidates(given, "/data", temp, cache));
        List<Path> found = Multi30k.candidates(null, "/data", Path.of("/work/repo/model"), cache);
        assertEquals(List.of(Path.of("/data/multi30k"), Path.of("/data"), Path.of("/work/repo/model/shared/data/multi30k"),
                Path.of("/work/repo/shared/data/multi30k"), Path.of("/work/shared/data/multi30k"), Path.of("/shared/data/multi30k"), cache), found);
    }

    @Test void aGivenIncompleteFolderIsReportedWithWhatToDo() throws IOException {
        Files.writeString(temp.resolve("train.de.gz"), "x");
        IOException e = assertThrows(IOException.class, () -> Multi30k.locate(temp));
        assertTrue(e.getMessage().contains("Multi30k not found") && e.getMessage().contains(temp.toString())
                && e.getMessage().contains("test_2016_flickr.en.gz") && e.getMessage().contains(Multi30k.DATA_ENV), e.getMessage());
    }

    @Test void downloadsEveryFileFromTheSource() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/raw/", exchange -> {
            String name = Path.of(exchange.getRequestURI().getPath()).getFileName().toString();
            byte[] body = ParallelCorpusTest.gzip("line of " + name + "\n");
            exchange.sendResponseHeaders(200, body.length);
            try (var out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/missing/", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
        try {
            Path dir = temp.resolve("multi30k");
            URI source = URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort() + "/raw/");
            assertEquals(dir, Multi30k.download(dir, source));
            assertEquals(dir.toAbsolutePath().normalize(), Multi30k.locate(dir));
            assertEquals(List.of("line of val.en.gz"), TextLines.read(Multi30k.file(dir, Multi30k.Split.VAL, "en")));
            URI missing = source.resolve("/missing/");
            IOException e = assertThrows(IOException.class, () -> Multi30k.download(temp.resolve("other"), missing));
            assertTrue(e.getMessage().contains("HTTP status 404"), e.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test void offlineDownloadSaysWhereToPutTheFiles() throws IOException {
        int closedPort;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Path dir = temp.resolve("multi30k");
        IOException e = assertThrows(IOException.class, () -> Multi30k.download(dir, URI.create("http://127.0.0.1:" + closedPort + "/raw/")));
        assertTrue(e.getMessage().contains("Could not download http://127.0.0.1:" + closedPort + "/raw/train.de.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("put them into " + dir), e.getMessage());
        assertFalse(Files.exists(dir.resolve("train.de.gz.part")), "no half file is left behind");
    }
}
