package tt.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expected BLEU and chrF lines are what sacrebleu 2.6.0 prints for the same files (without its signature). */
class BleuCommandTest {
    @TempDir Path dir;

    private record Run(int exitCode, String out, String err) {}

    private Run run(String stdin, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine bleu = new CommandLine(new BleuCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))));
        bleu.setOut(new PrintWriter(out));
        bleu.setErr(new PrintWriter(err));
        int code = bleu.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private String file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text).toString();
    }

    @Test void scoresStandardInputLikeSacrebleu() throws IOException {
        String ref = file("ref.en", "the cat sat on the mat\nHe paid $ 3.50 , not 1,000 - \" ok \" & left .\n");
        Run r = run("the cat the dog sat on a mat\nHe paid $3.50, not 1,000 - \"ok\" &amp; left.\n", ref);
        assertEquals(0, r.exitCode, r.err);
        // sacrebleu ref.en -f text < hyp, sacreBLEU 2.6.0
        assertEquals("BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 74.8 90.9/75.0/66.7/68.8 (BP = 1.000 ratio = 1.100 hyp_len = 22 ref_len = 20)\n", r.out);
    }

    @Test void multipleReferencesAndMetricsFromAFile() throws IOException {
        String hyp = file("hyp", "the cat is on the mat\na b c d e\n");
        String ref1 = file("ref1", "the cat sat on the mat\na b c d\n"), ref2 = file("ref2", "there is a cat on the mat\na b c d e f\n");
        Run r = run("", ref1, ref2, "-i", hyp, "--metrics", "bleu,chrf");
        assertEquals(0, r.exitCode, r.err);
        // sacrebleu ref1 ref2 -i hyp -m bleu chrf -f text, sacreBLEU 2.6.0
        assertEquals("  BLEU|nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 64.9 100.0/77.8/57.1/40.0 (BP = 1.000 ratio = 1.100 hyp_len = 11 ref_len = 10)\n"
                + "chrF2|nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0 = 63.5\n", r.out);
    }

    @Test void lowercaseScoresBleuCaseInsensitivelyAndLeavesChrFAlone() throws IOException {
        String ref = file("ref", "The Cat sat on the MAT\nEin Mann mit einem ORANGEFARBENEN Hut.\n");
        String hyp = "the cat sat on the mat\nein Mann mit einem orangefarbenen hut .\n";
        Run r = run(hyp, ref, "-lc", "-m", "bleu,chrf");
        assertEquals(0, r.exitCode, r.err);
        // sacrebleu ref -lc -m bleu chrf -f text < hyp, sacreBLEU 2.6.0
        assertEquals("     BLEU|nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:2.6.0 = 100.0 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 13 ref_len = 13)\n"
                + "chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0 = 45.0\n", r.out);
        assertEquals("BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 23.6 53.8/36.4/22.2/7.1 (BP = 1.000 ratio = 1.000 hyp_len = 13 ref_len = 13)\n",
                run(hyp, ref).out);
    }

    @Test void errorRates() throws IOException {
        Run r = run("the cat sat\na dog\n", file("ref", "the cat sat down\nthe dog\n"), "-m", "wer,cer");
        assertEquals(0, r.exitCode, r.err);
        assertEquals("CER = 34.78\nWER = 33.33\n", r.out);
    }

    @Test void lineCountMismatchNamesFilesAndCounts() throws IOException {
        String ref = file("ref.en", "one\ntwo\nthree\n");
        Run r = run("one\ntwo\n", ref);
        assertEquals(2, r.exitCode);
        assertTrue(r.err.contains("standard input has 2 lines but reference " + ref + " has 3 lines"), r.err);
    }

    @Test void unreadableFilesAreNamed() throws IOException {
        Run missing = run("x\n", dir.resolve("missing.en").toString());
        assertEquals(1, missing.exitCode);
        assertTrue(missing.err.contains("missing.en: no such file"), missing.err);
        Path latin1 = dir.resolve("latin1.en");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'});
        Run bad = run("x\n", latin1.toString());
        assertEquals(1, bad.exitCode);
        assertTrue(bad.err.contains(latin1 + ": not valid UTF-8"), bad.err);
    }

    @Test void registeredInMain() {
        assertTrue(new CommandLine(new Main()).getSubcommands().containsKey("bleu"));
    }
}
