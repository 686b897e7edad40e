/**
 * Tokenizers: {@link tt.model.text.WordTokenizer} (words and punctuation, rare words to <unk>) and
 * {@link tt.model.text.BpeTokenizer} (byte-pair encoding over characters, exact round trip). Both
 * share the specials <pad>=0 <s>=1 </s>=2 <unk>=3 and save to a small JSON file.
 */
package tt.model.text;
