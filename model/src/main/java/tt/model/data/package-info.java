/**
 * Data for training and evaluation. Text comes from a {@link tt.model.data.ParallelCorpus} (read
 * from two aligned files, e.g. {@link tt.model.data.Multi30k}) or from a seeded
 * {@link tt.model.data.SyntheticTask}; a {@link tt.model.text.Tokenizer} turns it into
 * {@link tt.model.data.EncodedPair}s; a {@link tt.model.data.TokenBatcher} groups those into padded
 * {@link tt.model.data.Batch}es of at most a given number of tokens.
 *
 * <pre>{@code
 * ParallelCorpus train = Multi30k.read(Multi30k.locate(null), Multi30k.Split.TRAIN, "de", "en", ParallelCorpus.Options.DEFAULT);
 * List<String> both = new ArrayList<>(train.source()); both.addAll(train.target());
 * Tokenizer bpe = BpeTokenizer.train(both, 8000, false);
 * var batcher = new TokenBatcher(TokenBatcher.filterByLength(train.encode(bpe, bpe), 100), 4096);
 * for (Batch batch : batcher.epoch(seed, epoch)) { ... }
 * }</pre>
 */
package tt.model.data;
