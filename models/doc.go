// Package models holds longctx's own default model, embedded in the binary
// so that a fresh clone runs its main job with no download: a 5M-parameter
// llama-architecture model trained by `longctx train --recipe default` on
// the synthetic long-context retrieval curriculum (see the README's model
// card). It is what run, ask, eval, trace and serve use when no -m is given.
package models
