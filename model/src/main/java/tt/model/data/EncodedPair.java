package tt.model.data;

/**
 * A sentence pair as token ids, without <s> or </s> (batching adds them). {@code id} says where it
 * came from (its line in the corpus), so outputs can be put back in corpus order.
 */
public record EncodedPair(int id, int[] source, int[] target) {}
