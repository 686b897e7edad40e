package tt.model.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import tt.model.text.Tokenizer;

/** Aligned sentences: {@code source.get(i)} translates to {@code target.get(i)}. */
public record ParallelCorpus(List<String> source, List<String> target) {
    public ParallelCorpus {
        if (source.size() != target.size()) {
            throw new IllegalArgumentException("misaligned corpus: " + source.size() + " source and " + target.size() + " target sentences");
        }
        source = List.copyOf(source);
        target = List.copyOf(target);
    }

    /**
     * How sentences are read: at most {@code maxSentences} (the first ones), lowercased (with the
     * root locale) or kept as they are, and stripped of leading and trailing whitespace or not.
     */
    public record Options(int maxSentences, boolean lowercase, boolean trim) {
        /** All sentences, case kept, trimmed. */
        public static final Options DEFAULT = new Options(Integer.MAX_VALUE, false, true);

        public Options {
            if (maxSentences < 0) throw new IllegalArgumentException("max sentences must be >= 0, got " + maxSentences);
        }

        public Options withMaxSentences(int max) { return new Options(max, lowercase, trim); }

        public Options withLowercase(boolean lower) { return new Options(maxSentences, lower, trim); }

        public Options withTrim(boolean strip) { return new Options(maxSentences, lowercase, strip); }

        String apply(String line) {
            String s = trim ? line.strip() : line;
            return lowercase ? s.toLowerCase(Locale.ROOT) : s;
        }
    }

    /**
     * Reads two aligned files, one sentence per line, plain or gzip. Fails, naming both files and
     * their line counts, if they have different numbers of lines.
     */
    public static ParallelCorpus read(Path sourceFile, Path targetFile, Options options) throws IOException {
        TextLines.Head source = TextLines.read(sourceFile, options.maxSentences());
        TextLines.Head target = TextLines.read(targetFile, options.maxSentences());
        if (source.count() != target.count()) {
            throw new IOException("misaligned parallel corpus: " + sourceFile + " has " + source.count() + " lines but "
                    + targetFile + " has " + target.count() + ". Line i of one file must translate line i of the other: "
                    + "check that both files are the same split and neither was truncated (download or extract them again).");
        }
        return new ParallelCorpus(source.lines().stream().map(options::apply).toList(),
                target.lines().stream().map(options::apply).toList());
    }

    public int size() { return source.size(); }

    /** Every pair encoded, with its index in this corpus as its id. */
    public List<EncodedPair> encode(Tokenizer sourceTokenizer, Tokenizer targetTokenizer) {
        return encode(sourceTokenizer::encode, targetTokenizer::encode);
    }

    /** Every pair encoded by these functions (e.g. a sampled segmentation), source then target, with its index as its id. */
    public List<EncodedPair> encode(Function<String, int[]> sourceEncoder, Function<String, int[]> targetEncoder) {
        List<EncodedPair> pairs = new ArrayList<>(size());
        for (int i = 0; i < size(); i++) pairs.add(new EncodedPair(i, sourceEncoder.apply(source.get(i)), targetEncoder.apply(target.get(i))));
        return pairs;
    }
}
