// Package kv holds the attention key/value cache the model talks to.
//
// The model sees only the Cache interface: it stores each layer's keys and
// values for a run of positions and asks the cache to attend a run of
// queries over what it holds. Keeping attention behind the cache lets
// later implementations (paged, quantized, disk-tiered, sparse policies)
// choose how keys are laid out and read without touching model code.
package kv
