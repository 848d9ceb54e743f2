// Package heads finds retrieval heads (Wu et al., "Retrieval Head
// Mechanistically Explains Long-Context Factuality"): attention heads that
// copy from the context. Over a grid of needle-in-a-haystack prompts
// (lengths × depths × needles) the model answers greedily; whenever the
// token it writes is the needle token its head's top-1 attention points
// at, that head earns 1/len(needle). A head's retrieval score is its mean
// over the samples answered correctly (ROUGE-1 recall of the needle above
// one half, or every gold phrase in the answer, as the accuracy checks):
// the share of the needle it copy-pastes.
//
// The ranked list is saved as JSON (with the reference code's
// "layer-head": [per-sample scores] map alongside), and Verify checks
// causally that masking the top heads breaks retrieval while masking as
// many random non-retrieval heads does not. ResolveMask turns a
// --mask-heads argument (L:H lists or a saved report) into heads to mask,
// and NewCacheFunc plugs such a mask into engine.Request.NewCache.
package heads
