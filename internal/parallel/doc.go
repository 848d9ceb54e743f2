// Package parallel is a persistent pool of worker goroutines for splitting
// loops over rows across cores. The matrix multiplies of a forward pass are
// short (tens of microseconds to milliseconds) and run hundreds of times per
// token, so the workers are started once and woken per loop instead of
// spawning goroutines per call, and a loop allocates nothing. Idle workers
// poll for the next loop for a short while before they block, since waking
// a blocked goroutine costs more than a small matrix multiply.
package parallel
