package tt.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tt.model.data.Multi30k;
import tt.model.data.ParallelCorpus;

class BpeTokenizerTest {
    @TempDir Path temp;

    static ParallelCorpus train, val;
    static BpeTokenizer multi30k;

    /** One shared BPE of 8000 tokens learned on both sides of Multi30k train, as a translation run would. */
    @BeforeAll static void learnOnMulti30k() throws IOException {
        Path dir = Multi30k.locate(null);
        train = Multi30k.read(dir, Multi30k.Split.TRAIN, "de", "en", ParallelCorpus.Options.DEFAULT);
        val = Multi30k.read(dir, Multi30k.Split.VAL, "de", "en", ParallelCorpus.Options.DEFAULT);
        long start = System.nanoTime();
        multi30k = BpeTokenizer.train(bothSides(train), 8000, false);
        System.out.printf("BPE on Multi30k train (de+en, %d sentences), vocab 8000: learned in %.2f s%n",
                2 * train.size(), (System.nanoTime() - start) / 1e9);
    }

    static List<String> bothSides(ParallelCorpus corpus) {
        List<String> all = new ArrayList<>(corpus.source());
        all.addAll(corpus.target());
        return all;
    }

    @Test void multi30kValidationRoundTripsExactly() {
        assertEquals(8000, multi30k.vocabSize());
        int exact = 0, known = 0, total = 0;
        for (String s : bothSides(val)) {
            total++;
            boolean allSeen = s.codePoints().allMatch(c -> Character.isWhitespace(c) || multi30k.id(Character.toString(c)) != Tokenizer.UNK);
            boolean roundTrips = multi30k.decode(multi30k.encode(s)).equals(Tokenizer.normalize(s));
            if (allSeen) known++;
            if (roundTrips) exact++;
            if (allSeen) assertTrue(roundTrips, s);
        }
        System.out.printf("BPE round trip on Multi30k val: %d of %d sentences exact (%d have only characters seen in training)%n", exact, total, known);
        assertEquals(total, known, "every val character occurs in train");
    }

    @Test void savesAndLoadsExactly() throws IOException {
        SaveLoad.assertRoundTrips(multi30k, temp.resolve("bpe.json"), bothSides(val));
    }

    @Test void unseenCharactersAndTheMarkerItselfAreUnknown() {
        BpeTokenizer bpe = BpeTokenizer.train(List.of("ab ab abc", "ba"), 20, false);
        int[] ids = bpe.encode("abz \u2581ab");
        assertEquals(2, java.util.Arrays.stream(ids).filter(id -> id == Tokenizer.UNK).count());
        assertEquals("ab<unk> <unk>ab", bpe.decode(ids));
        assertEquals("ba ab", bpe.decode(bpe.encode("  ba\t ab ")));
        assertEquals("", bpe.decode(bpe.encode(" ")));
    }

    @Test void textSpellingASpecialNeverBecomesIt() {
        BpeTokenizer bpe = BpeTokenizer.train(List.of("a<s> a<s> b<s> <unk> <unk>"), 40, false);
        assertEquals(Tokenizer.BOS, bpe.id("<s>"));
        for (String s : List.of("a<s>", "<unk>", "x<pad>")) {
            int[] ids = bpe.encode(s);
            assertTrue(java.util.Arrays.stream(ids).noneMatch(id -> id < Tokenizer.UNK), s);
        }
        assertEquals("a<s> <unk>", bpe.decode(bpe.encode("a<s> <unk>")));
    }

    @Test void learningIsDeterministicAndIgnoresSentenceOrder() {
        List<String> some = new ArrayList<>(bothSides(train).subList(0, 4000));
        BpeTokenizer first = BpeTokenizer.train(some, 1500, false);
        Collections.shuffle(some, new Random(1));
        assertEquals(first.merges(), BpeTokenizer.train(some, 1500, false).merges());
    }

    @Test void incrementalCountsMatchRecountingEveryMerge() {
        var random = new Random(7);
        for (int trial = 0; trial < 30; trial++) {
            List<String> sentences = new ArrayList<>();
            for (int s = 0; s < 20; s++) {
                var sentence = new StringBuilder();
                for (int w = random.nextInt(1, 6); w > 0; w--) {
                    for (int c = random.nextInt(1, 8); c > 0; c--) sentence.append("abcd".charAt(random.nextInt(trial % 3 + 2)));
                    sentence.append(' ');
                }
                sentences.add(sentence.toString());
            }
            int vocabSize = 10 + random.nextInt(60);
            BpeTokenizer bpe = BpeTokenizer.train(sentences, vocabSize, false);
            Reference reference = new Reference(sentences, vocabSize);
            assertEquals(reference.merges, bpe.merges(), "trial " + trial);
            for (var word : reference.segmentation.entrySet()) assertEquals(word.getValue(), pieces(bpe, word.getKey()), word.getKey());
            for (String s : sentences) assertEquals(Tokenizer.normalize(s), bpe.decode(bpe.encode(s)));
        }
    }

    @Test void tooSmallVocabularyIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> BpeTokenizer.train(List.of("abc"), 7, false));
        assertTrue(e.getMessage().contains("below the 8 tokens"), e.getMessage());
    }

    private static List<String> pieces(BpeTokenizer bpe, String word) {
        return java.util.Arrays.stream(bpe.encode(word)).mapToObj(bpe::token).toList();
    }

    /** BPE the slow, obvious way: recount every pair before each merge. Same tie rule: smaller ids. */
    static final class Reference {
        final List<String> merges = new ArrayList<>();
        final Map<String, List<String>> segmentation = new HashMap<>();

        Reference(List<String> sentences, int vocabSize) {
            Map<String, Integer> counts = new HashMap<>();
            for (String s : sentences) for (String w : Tokenizer.words(s)) counts.merge(w, 1, Integer::sum);
            List<String> tokens = new ArrayList<>(Tokenizer.SPECIALS);
            tokens.add(BpeTokenizer.WORD_START);
            TreeSet<Integer> chars = new TreeSet<>();
            counts.keySet().forEach(w -> w.codePoints().forEach(chars::add));
            chars.forEach(c -> tokens.add(Character.toString(c)));
            Map<String, List<String>> words = new HashMap<>();
            for (String w : counts.keySet()) {
                List<String> symbols = new ArrayList<>(List.of(BpeTokenizer.WORD_START));
                w.codePoints().forEach(c -> symbols.add(Character.toString(c)));
                words.put(w, symbols);
            }
            while (tokens.size() < vocabSize) {
                Map<List<String>, Integer> pairs = new HashMap<>();
                words.forEach((w, symbols) -> {
                    for (int i = 0; i + 1 < symbols.size(); i++) pairs.merge(List.of(symbols.get(i), symbols.get(i + 1)), counts.get(w), Integer::sum);
                });
                List<String> best = null;
                for (var e : pairs.entrySet()) {
                    if (best == null || e.getValue() > pairs.get(best) || e.getValue().equals(pairs.get(best)) && smallerIds(e.getKey(), best, tokens)) best = e.getKey();
                }
                if (best == null || pairs.get(best) < 2) break;
                String merged = best.get(0) + best.get(1);
                if (!tokens.contains(merged)) tokens.add(merged);
                String rule = best.get(0) + " " + best.get(1);
                if (!merges.contains(rule)) merges.add(rule);
                for (List<String> symbols : words.values()) {
                    for (int i = 0; i + 1 < symbols.size(); i++) {
                        if (symbols.get(i).equals(best.get(0)) && symbols.get(i + 1).equals(best.get(1))) {
                            symbols.set(i, merged);
                            symbols.remove(i + 1);
                        }
                    }
                }
            }
            words.forEach((w, symbols) -> segmentation.put(w, symbols));
        }

        private static boolean smallerIds(List<String> a, List<String> b, List<String> tokens) {
            int a0 = tokens.indexOf(a.get(0)), b0 = tokens.indexOf(b.get(0));
            return a0 != b0 ? a0 < b0 : tokens.indexOf(a.get(1)) < tokens.indexOf(b.get(1));
        }
    }

    @Test void bpeDropoutResegmentsButAlwaysDecodesToTheSameText() {
        List<String> sentences = bothSides(val);
        var random = new java.util.SplittableRandom(7);
        long plain = 0, sampled = 0;
        int resegmented = 0;
        for (String s : sentences) {
            int[] usual = multi30k.encode(s);
            assertTrue(java.util.Arrays.equals(usual, multi30k.encodeSampled(s, 0, random)), "dropout 0 is plain BPE: " + s);
            int[] drawn = multi30k.encodeSampled(s, 0.1, random);
            assertEquals(Tokenizer.normalize(s), multi30k.decode(drawn), s);
            int[] characters = multi30k.encodeSampled(s, 1, random);
            assertEquals(Tokenizer.normalize(s), multi30k.decode(characters), s);
            for (int id : characters) assertEquals(1, multi30k.token(id).codePointCount(0, multi30k.token(id).length()), "dropout 1 merges nothing: " + s);
            plain += usual.length;
            sampled += drawn.length;
            if (!java.util.Arrays.equals(usual, drawn)) resegmented++;
        }
        System.out.printf("BPE-dropout 0.1 on Multi30k val: %d -> %d tokens, %d of %d sentences segmented differently%n",
                plain, sampled, resegmented, sentences.size());
        assertTrue(sampled > plain * 1.05 && resegmented > sentences.size() / 2, plain + " -> " + sampled + " tokens, " + resegmented + " changed");
        String s = sentences.get(0);
        assertTrue(java.util.Arrays.equals(multi30k.encodeSampled(s, 0.1, new java.util.SplittableRandom(3)),
                multi30k.encodeSampled(s, 0.1, new java.util.SplittableRandom(3))), "the same draws give the same segmentation");
        assertThrows(IllegalArgumentException.class, () -> multi30k.encodeSampled(s, 1.5, random));
    }

    /**
     * Merges "a b" then "▁ ab": the word "ab" stays three symbols if the first draw skips "a b"
     * (then no candidate is left), two if only the second skips, one otherwise.
     */
    @Test void eachMergeIsSkippedWithTheDropoutProbability() {
        BpeTokenizer bpe = new BpeTokenizer(List.of(BpeTokenizer.WORD_START, "a", "b"), List.of("a b", BpeTokenizer.WORD_START + " ab"), false);
        double p = 0.3;
        int draws = 20_000;
        int[] byLength = new int[4];
        var random = new java.util.SplittableRandom(11);
        for (int i = 0; i < draws; i++) byLength[bpe.encodeSampled("ab", p, random).length]++;
        double[] expected = {0, (1 - p) * (1 - p), (1 - p) * p, p};
        for (int length = 1; length <= 3; length++) {
            double mean = draws * expected[length], sd = Math.sqrt(draws * expected[length] * (1 - expected[length]));
            // 5 standard deviations: a false failure about once in 3.5 million runs (the draws are fixed by the seed anyway).
            assertTrue(Math.abs(byLength[length] - mean) < 5 * sd, length + " tokens: " + byLength[length] + " of " + draws + ", expected " + mean);
        }
    }

    /**
     * With splitPunctuation no token joins a letter or digit to punctuation, "ladder." is "ladder"
     * then ".", val still decodes exactly, and the file keeps the flag (a file without flags, as
     * before it existed, loads as whole words).
     */
    @Test void splittingPunctuationKeepsWordsApartFromIt() throws IOException {
        BpeTokenizer split = BpeTokenizer.train(bothSides(train), 8000, true);
        assertEquals(8000, split.vocabSize());
        for (int id = Tokenizer.SPECIALS.size(); id < split.vocabSize(); id++) {
            String token = split.token(id).replace(BpeTokenizer.WORD_START, "");
            boolean word = token.codePoints().anyMatch(Character::isLetterOrDigit);
            boolean other = token.codePoints().anyMatch(c -> !Character.isLetterOrDigit(c) && Character.getType(c) != Character.NON_SPACING_MARK);
            assertTrue(!(word && other), "token '" + split.token(id) + "' joins a word to punctuation");
        }
        int[] ladder = split.encode("ladder.");
        int[] dot = {split.id(".")};
        assertArrayEquals(concat(split.encode("ladder"), dot), ladder);
        List<String> mans = tokens(split, "man's");
        assertTrue(mans.contains("'") && mans.get(mans.size() - 1).equals("s"), "the apostrophe stands alone: " + mans);
        long wholeWords = 0, pieces = 0;
        for (String s : bothSides(val)) {
            assertEquals(Tokenizer.normalize(s), split.decode(split.encode(s)), s);
            assertEquals(Tokenizer.normalize(s), split.decode(split.encodeSampled(s, 0.1, new java.util.SplittableRandom(5))), s);
            wholeWords += multi30k.encode(s).length;
            pieces += split.encode(s).length;
        }
        System.out.printf("BPE 8000 on Multi30k val: %d tokens on whole words, %d with punctuation split off%n", wholeWords, pieces);
        SaveLoad.assertRoundTrips(split, temp.resolve("split.json"), bothSides(val));
        assertTrue(((BpeTokenizer) Tokenizer.load(temp.resolve("split.json"))).splitsPunctuation());
        multi30k.save(temp.resolve("whole.json"));
        assertTrue(!java.nio.file.Files.readString(temp.resolve("whole.json")).contains("flags"), "whole-word files stay as before");
        assertTrue(!((BpeTokenizer) Tokenizer.load(temp.resolve("whole.json"))).splitsPunctuation());
        java.nio.file.Files.writeString(temp.resolve("odd.json"), java.nio.file.Files.readString(temp.resolve("split.json")).replace("split-punctuation", "split-emoji"));
        var e = assertThrows(IOException.class, () -> Tokenizer.load(temp.resolve("odd.json")));
        assertTrue(e.getMessage().contains("odd.json: unknown flag 'split-emoji'"), e.getMessage());
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static List<String> tokens(Tokenizer tokenizer, String text) {
        List<String> out = new ArrayList<>();
        for (int id : tokenizer.encode(text)) out.add(tokenizer.token(id));
        return out;
    }
}
