// Package engine turns a loaded model into text generation: it applies the
// chat template, tokenizes, prefills the prompt in bounded chunks, samples
// and streams decoded text, and measures each phase.
package engine
