package tt.model.data;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Multi30k task 1 corpus (German-English image captions): where its files are, how to read a
 * split, and how to download it. The six files are {train,val,test_2016_flickr}.{de,en}.gz.
 */
public final class Multi30k {
    public enum Split {
        TRAIN("train", 29000), VAL("val", 1014), TEST("test_2016_flickr", 1000);

        public final String stem;
        public final int sentences;

        Split(String stem, int sentences) {
            this.stem = stem;
            this.sentences = sentences;
        }
    }

    public static final List<String> LANGUAGES = List.of("de", "en");
    /** The public source of the raw files. */
    public static final URI SOURCE = URI.create("https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/");
    /** A folder holding {@code multi30k/}, or the Multi30k folder itself. */
    public static final String DATA_ENV = "TT_DATA";
    private static final Path SHARED = Path.of("shared", "data", "multi30k");

    private Multi30k() {}

    /** The six file names. */
    public static List<String> fileNames() {
        return Stream.of(Split.values()).flatMap(s -> LANGUAGES.stream().map(lang -> s.stem + "." + lang + ".gz")).toList();
    }

    public static Path file(Path dir, Split split, String language) {
        if (!LANGUAGES.contains(language)) throw new IllegalArgumentException("Multi30k has languages " + LANGUAGES + ", not '" + language + "'");
        return dir.resolve(split.stem + "." + language + ".gz");
    }

    /** One split, from {@code sourceLanguage} to {@code targetLanguage} ("de", "en"). */
    public static ParallelCorpus read(Path dir, Split split, String sourceLanguage, String targetLanguage, ParallelCorpus.Options options)
            throws IOException {
        return ParallelCorpus.read(file(dir, split, sourceLanguage), file(dir, split, targetLanguage), options);
    }

    /**
     * The folder holding all six files: {@code given} if not null (and then only it), else
     * $TT_DATA/multi30k or $TT_DATA, else shared/data/multi30k in the working directory or any folder
     * above it (so ../shared/data/multi30k beside the repository is found from inside it), else the
     * download cache ~/.cache/tornado-transformer/multi30k. Fails with a message listing where it
     * looked and how to get the files.
     */
    public static Path locate(Path given) throws IOException {
        List<Path> candidates = candidates(given, System.getenv(DATA_ENV), Path.of(System.getProperty("user.dir")), cache());
        for (Path dir : candidates) if (isComplete(dir)) return dir;
        throw new IOException("Multi30k not found. Looked for the files " + String.join(", ", fileNames()) + " in:\n  "
                + String.join("\n  ", candidates.stream().map(Path::toString).toList())
                + "\n" + howToGetFiles("one of these folders"));
    }

    /**
     * As {@link #locate(Path)}; if the files are nowhere and {@code download} is set, downloads them
     * from {@link #SOURCE} into {@code given}, else $TT_DATA/multi30k, else the download cache.
     */
    public static Path locate(Path given, boolean download) throws IOException {
        try {
            return locate(given);
        } catch (IOException notFound) {
            if (!download) throw notFound;
            String dataEnv = System.getenv(DATA_ENV);
            return download(given != null ? given : dataEnv != null && !dataEnv.isBlank() ? Path.of(dataEnv, "multi30k") : cache(), SOURCE);
        }
    }

    static List<Path> candidates(Path given, String dataEnv, Path workingDir, Path cache) {
        if (given != null) return List.of(given.toAbsolutePath().normalize());
        Set<Path> dirs = new LinkedHashSet<>();
        if (dataEnv != null && !dataEnv.isBlank()) {
            dirs.add(Path.of(dataEnv, "multi30k").toAbsolutePath().normalize());
            dirs.add(Path.of(dataEnv).toAbsolutePath().normalize());
        }
        for (Path p = workingDir.toAbsolutePath().normalize(); p != null; p = p.getParent()) dirs.add(p.resolve(SHARED));
        dirs.add(cache);
        return new ArrayList<>(dirs);
    }

    private static Path cache() { return Path.of(System.getProperty("user.home"), ".cache", "tornado-transformer", "multi30k"); }

    static boolean isComplete(Path dir) {
        return fileNames().stream().allMatch(name -> Files.isRegularFile(dir.resolve(name)));
    }

    /**
     * Downloads the missing files from {@code source} (normally {@link #SOURCE}) into {@code dir}
     * and returns it. Each file goes to a temporary name first, is checked to be gzip, then renamed,
     * so an interrupted download leaves no half file. Offline, fails saying where to put the files.
     */
    public static Path download(Path dir, URI source) throws IOException {
        Files.createDirectories(dir);
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build()) {
            for (String name : fileNames()) {
                Path file = dir.resolve(name);
                if (Files.isRegularFile(file)) continue;
                URI uri = source.resolve(name);
                Path temp = dir.resolve(name + ".part");
                try {
                    HttpResponse<Path> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).build(),
                            HttpResponse.BodyHandlers.ofFile(temp));
                    if (response.statusCode() != 200) throw new IOException("HTTP status " + response.statusCode());
                    if (!isGzip(temp)) throw new IOException("the response is not a gzip file");
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException | IllegalArgumentException e) {
                    Files.deleteIfExists(temp);
                    throw new IOException("Could not download " + uri + " (" + e + ").\n" + howToGetFiles(dir.toString()), e);
                } catch (InterruptedException e) {
                    Files.deleteIfExists(temp);
                    Thread.currentThread().interrupt();
                    throw new IOException("download of " + uri + " interrupted", e);
                }
            }
        }
        return dir;
    }

    private static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    private static String howToGetFiles(String where) {
        return "Without network, fetch the six files from " + SOURCE + " (github.com/multi30k/dataset, data/task1/raw) on "
                + "another machine and put them into " + where + ", or set " + DATA_ENV
                + " to a folder that holds multi30k/ with them.";
    }
}
