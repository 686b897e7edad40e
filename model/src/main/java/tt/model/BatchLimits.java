package tt.model;

/**
 * The largest batch a model's buffers are allocated for: at most {@code maxTokens} padded tokens
 * per side (sentences * padded length), {@code maxSentences} sentences, {@code maxLen} tokens per
 * sentence (including &lt;s&gt; or &lt;/s&gt;).
 */
public record BatchLimits(int maxTokens, int maxSentences, int maxLen) {
    public BatchLimits {
        if (maxTokens < 1 || maxSentences < 1 || maxLen < 1) {
            throw new IllegalArgumentException("batch limits must be positive: tokens " + maxTokens
                    + ", sentences " + maxSentences + ", length " + maxLen);
        }
        if (maxSentences > maxTokens) maxSentences = maxTokens;
    }
}
