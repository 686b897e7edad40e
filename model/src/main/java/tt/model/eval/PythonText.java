package tt.model.eval;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/** The few Python str behaviours sacreBLEU's scores depend on, so ours match it to the last digit. */
final class PythonText {
    private PythonText() {}

    /** Python's str.isspace(): Java's whitespace misses the no-break spaces and U+0085. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    /** str.split() with no argument: runs of whitespace separate, none at either end. */
    static List<String> split(String s) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= s.length(); i++) {
            boolean space = i == s.length() || isSpace(s.charAt(i));
            if (space && start >= 0) {
                words.add(s.substring(start, i));
                start = -1;
            } else if (!space && start < 0) {
                start = i;
            }
        }
        return words;
    }

    /** str.rstrip() with no argument. */
    static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) end--;
        return s.substring(0, end);
    }

    /** f"{x:.{digits}f}": the exact binary value rounded half-even, as Python does (Java's %f rounds half-up). */
    static String fixed(double x, int digits) {
        return new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
    }
}
