package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Job is a loop body: Do handles the index range [lo, hi). Do is called
// concurrently from several goroutines on disjoint ranges.
type Job interface {
	Do(lo, hi int)
}

// Func adapts a function to Job.
type Func func(lo, hi int)

// Do calls f(lo, hi).
func (f Func) Do(lo, hi int) { f(lo, hi) }

// spinFor is how long an idle worker keeps polling for the next loop
// before blocking. A decode step runs its loops a few microseconds apart;
// a goroutine blocked on a channel takes tens of microseconds to run again
// (its wake-up lands on the waker's run queue and another OS thread must be
// woken to steal it), which cost a third of the weights' streaming rate on
// 2 cores.
const spinFor = 200 * time.Microsecond

// The loop word (pool.loop) holds a loop counter above loopShift bits and
// the number of workers taking part in the loop below them.
const (
	loopShift  = 16
	helperMask = 1<<loopShift - 1
)

// pool is the process-wide pool. The calling goroutine always takes part
// in a loop, so a pool of n threads has n-1 workers.
type pool struct {
	mu sync.Mutex // held for the duration of one loop, and by SetThreads
	// threads is written under mu but read without it, so that a job
	// running inside a loop can ask (Threads) without deadlocking.
	threads atomic.Int32
	workers []*worker

	// The loop being run, read by the workers that take part in it once
	// they have seen its loop word.
	job     Job
	n       int
	grain   int
	next    atomic.Int64
	pending atomic.Int32
	loop    atomic.Uint64

	// shared counts the goroutines marked by Shared.
	shared atomic.Int32
}

// worker is one pool goroutine; sleeping is set while it is blocked on
// wake, and whoever clears it owes it one token on wake. retired tells it
// to stop (SetThreads); it is set before the loop word that wakes it.
type worker struct {
	sleeping atomic.Bool
	retired  atomic.Bool
	wake     chan struct{}
}

var p = newPool(runtime.NumCPU())

func newPool(threads int) *pool {
	q := &pool{}
	q.start(threads)
	return q
}

func (q *pool) start(threads int) {
	threads = min(threads, helperMask) // the loop word's helper field
	q.threads.Store(int32(threads))
	q.workers = make([]*worker, threads-1)
	seen := q.loop.Load()
	for i := range q.workers {
		w := &worker{wake: make(chan struct{}, 1)}
		q.workers[i] = w
		go q.work(i, w, seen)
	}
}

// work runs the loops that worker i takes part in, from the loop after
// seen, until the pool is retired.
func (q *pool) work(i int, w *worker, seen uint64) {
	for {
		word := q.await(w, seen)
		seen = word
		if w.retired.Load() {
			return
		}
		if i >= int(word&helperMask) {
			continue
		}
		q.take()
		q.pending.Add(-1)
	}
}

// await returns the first loop word other than seen: polled for spinFor,
// then blocked on w.wake. A token can be stale: post publishes the word
// before it clears the flags, and in between a fast worker may have run
// the loop and gone to sleep again; so a woken worker checks the word and
// sleeps again when it has not changed.
func (q *pool) await(w *worker, seen uint64) uint64 {
	if word, ok := q.poll(seen); ok {
		return word
	}
	for {
		w.sleeping.Store(true)
		if word := q.loop.Load(); word != seen {
			if w.sleeping.CompareAndSwap(true, false) {
				return word
			}
			// Run cleared the flag first and is sending a token; take it.
		}
		<-w.wake
		if word := q.loop.Load(); word != seen {
			return word
		}
	}
}

// poll watches for a loop word other than seen for about spinFor,
// yielding the processor now and then so that a polling worker never
// holds up other goroutines (with GOMAXPROCS below the pool's size, for
// instance).
func (q *pool) poll(seen uint64) (uint64, bool) {
	start := time.Now()
	for {
		for range 64 {
			if word := q.loop.Load(); word != seen {
				return word, true
			}
		}
		if time.Since(start) > spinFor {
			return 0, false
		}
		runtime.Gosched()
	}
}

// take runs grain-sized ranges from the shared counter until none is left.
func (q *pool) take() {
	n, g := q.n, q.grain
	for {
		lo := int(q.next.Add(int64(g))) - g
		if lo >= n {
			return
		}
		q.job.Do(lo, min(lo+g, n))
	}
}

// post publishes a loop word and wakes the first helpers workers among
// those that have gone to sleep.
func (q *pool) post(helpers int) {
	q.loop.Store((q.loop.Load()>>loopShift+1)<<loopShift | uint64(helpers))
	for _, w := range q.workers[:min(helpers, len(q.workers))] {
		if w.sleeping.Swap(false) {
			w.wake <- struct{}{}
		}
	}
}

// SetThreads sets how many goroutines (the caller included) run a loop;
// n <= 0 means one per CPU (runtime.NumCPU()). It waits for a running loop
// to finish.
func SetThreads(n int) {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n == int(p.threads.Load()) {
		return
	}
	for _, w := range p.workers {
		w.retired.Store(true)
	}
	p.post(len(p.workers))
	p.start(n)
}

// Threads returns the number of goroutines a loop runs on.
func Threads() int { return int(p.threads.Load()) }

// Shared marks the calling goroutine as one of several that run loops
// side by side (traceback passes, each on its own goroutine) until the
// returned function is called. While more than one is marked, Run runs
// each loop on its caller alone: the cores are already divided among the
// callers, and the pool's workers would only compete with them.
func Shared() (done func()) {
	p.shared.Add(1)
	return unshare
}

func unshare() { p.shared.Add(-1) }

// Run calls job.Do on ranges covering [0, n) of about grain indexes each
// (grain <= 0 picks n/(4*threads), so that a slow thread does not hold up
// the others), spread over the pool, and returns when all are done. When
// another loop is already running (a nested or concurrent Run), or
// several goroutines are marked Shared, the loop runs on the calling
// goroutine alone, so Run never deadlocks.
func Run(n, grain int, job Job) {
	if n <= 0 {
		return
	}
	if p.shared.Load() > 1 || !p.mu.TryLock() {
		job.Do(0, n)
		return
	}
	defer p.mu.Unlock()
	threads := int(p.threads.Load())
	if grain <= 0 {
		grain = max(1, n/(4*threads))
	}
	chunks := (n + grain - 1) / grain
	helpers := min(threads, chunks) - 1
	if helpers <= 0 {
		job.Do(0, n)
		return
	}
	p.job, p.n, p.grain = job, n, grain
	p.next.Store(0)
	p.pending.Store(int32(helpers))
	p.post(helpers)
	p.take()
	p.wait()
	p.job = nil
}

// wait returns when the loop's helpers are done. It polls rather than
// blocks: by the time the caller finds no range left, each helper has at
// most one range to finish, and a blocked caller would wake tens of
// microseconds late.
func (q *pool) wait() {
	for q.pending.Load() != 0 {
		for i := 0; i < 64 && q.pending.Load() != 0; i++ {
		}
		runtime.Gosched()
	}
}
