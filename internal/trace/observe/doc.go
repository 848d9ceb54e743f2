// Package observe wraps a kv.Cache to watch and alter attention without
// touching the model's forward pass: the model calls Store and then Attend
// per layer with rotated queries, and the wrappers sit in between.
//
//   - Observer recomputes, for chosen query rows, each head's attention
//     probabilities softmax(scale·q·Kᵀ) over all visible keys (read back with
//     ReadKeys) and hands the probabilities of chosen key columns, one row of
//     one head at a time, to a Reducer that aggregates them in place (column
//     sums for AttnTrace and CAM, per-head argmax for retrieval heads), so no
//     heads × rows × keys tensor is ever held.
//   - Mask silences chosen (layer, head) pairs: "uniform" zeroes the head's
//     query so its attention is uniform over the visible keys and its output
//     the mean of the values (what the retrieval-head paper's code does);
//     "zero" zeroes the head's output instead.
//
// Stack them as Mask(Observer(cache)) so the observer sees the queries the
// cache really attends with.
package observe
