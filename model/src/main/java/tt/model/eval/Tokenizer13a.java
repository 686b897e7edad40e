package tt.model.eval;

import java.util.regex.Pattern;

/**
 * sacreBLEU's default BLEU tokenizer "13a", the tokenization of WMT's mteval-v13a.pl: drop {@code <skipped>}, join
 * lines broken at a hyphen, unescape four XML entities, then split punctuation off words, keeping periods and
 * commas inside numbers ("3.5", "1,000") and splitting a dash only after a digit.
 */
public final class Tokenizer13a {
    private Tokenizer13a() {}

    private record Rule(Pattern pattern, String replacement) {}

    // The regexes of sacrebleu/tokenizers/tokenizer_re.py, applied in this order.
    private static final Rule[] RULES = {
        // Symbols and most punctuation (ASCII ranges {-~, [-`, space-&, (-+, :-@ and /) become tokens.
        new Rule(Pattern.compile("([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])"), " $1 "),
        // Period and comma split unless preceded by a digit...
        new Rule(Pattern.compile("([^0-9])([\\.,])"), "$1 $2 "),
        // ...or unless followed by a digit.
        new Rule(Pattern.compile("([\\.,])([^0-9])"), " $1 $2"),
        // A dash after a digit.
        new Rule(Pattern.compile("([0-9])(-)"), "$1 $2 "),
    };

    /** The tokens of {@code line} joined by single spaces, as sacreBLEU's Tokenizer13a returns them. */
    public static String tokenize(String line) {
        line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ");
        if (line.indexOf('&') >= 0) {
            line = line.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
        }
        line = " " + line + " ";
        for (Rule rule : RULES) line = rule.pattern.matcher(line).replaceAll(rule.replacement);
        return String.join(" ", PythonText.split(line));
    }
}
