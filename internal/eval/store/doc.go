// Package store keeps evaluation results in an SQLite database (through the
// pure-Go modernc.org/sqlite driver) so that runs survive crashes and resume:
// every request is stored under a key hashed from target, model, prompt and
// decoding parameters, and each result is written in its own transaction,
// so an interrupted run leaves only whole rows behind.
package store
