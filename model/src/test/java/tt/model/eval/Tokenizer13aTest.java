package tt.model.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Expected tokenizations are sacrebleu 2.6.0's Tokenizer13a()(line) on the same strings. */
class Tokenizer13aTest {
    @Test void numbersKeepTheirPeriodsAndCommas() {
        assertEquals("He said \" 3.5 \" or 1,000 - ok .", Tokenizer13a.tokenize("He said \"3.5\" or 1,000 - ok."));
        assertEquals("1.000.000 , 5 . 5.5 . 5 , 5 5 ,", Tokenizer13a.tokenize("1.000.000, 5. 5.5 .5 ,5 5,"));
        assertEquals("end .", Tokenizer13a.tokenize("end."));
    }

    @Test void dashesSplitOnlyAfterDigits() {
        assertEquals("Prices : $ 3.50 , 1,000.5 and 12 - 13 items ; a . b , x-y !",
                Tokenizer13a.tokenize("Prices: $3.50, 1,000.5 and 12-13 items; a.b, x-y!"));
        assertEquals("Straße über 😀 2 -", Tokenizer13a.tokenize("Straße über 😀 2-"));
    }

    @Test void symbolsAndBracketsAreTokens() {
        assertEquals("don't ( stop ) [ now ] { x } @ home # 1 50 % a / b",
                Tokenizer13a.tokenize("don't (stop) [now] {x} @home #1 50% a/b"));
    }

    @Test void entitiesSkippedMarkersAndBrokenLines() {
        assertEquals("A & B \" quoted \" < tag > & amp ;",
                Tokenizer13a.tokenize("A &amp; B &quot;quoted&quot; &lt;tag&gt; &amp;amp;"));
        assertEquals("drop me", Tokenizer13a.tokenize("drop <skipped> me"));
        assertEquals("splitword and next", Tokenizer13a.tokenize("split-\nword and\nnext"));
    }

    @Test void pythonWhitespaceSeparatesTokens() {
        assertEquals("lots of space nbsp thin", Tokenizer13a.tokenize("  lots   of\tspace\u00a0nbsp\u2009thin  "));
    }

    /** The code points for which Python 3.11's str.isspace() is true. */
    @Test void isSpaceIsPythons() {
        List<Integer> python = List.of(0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
                0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029,
                0x202f, 0x205f, 0x3000);
        assertEquals(python, IntStream.rangeClosed(0, Character.MAX_CODE_POINT).filter(PythonText::isSpace).boxed().toList());
    }

    @Test void fixedRoundsTheBinaryValueHalfEvenLikePython() {
        assertEquals("0.12", PythonText.fixed(0.125, 2));    // exact tie: half-even
        assertEquals("2.67", PythonText.fixed(2.675, 2));    // 2.67499999... in binary
        assertEquals("100.00", PythonText.fixed(100, 2));
        assertEquals("0.0", PythonText.fixed(0, 1));
    }
}
