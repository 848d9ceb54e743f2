package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
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

// pool is the process-wide pool. The calling goroutine always takes part
// in a loop, so a pool of n threads has n-1 workers.
type pool struct {
	mu sync.Mutex // held for the duration of one loop, and by SetThreads
	// threads is written under mu but read without it, so that a job
	// running inside a loop can ask (Threads) without deadlocking.
	threads atomic.Int32
	wake    []chan struct{}

	// The loop being run, read by the workers after their wake-up.
	job     Job
	n       int
	grain   int
	next    atomic.Int64
	pending atomic.Int32
	done    chan struct{}
}

var p = newPool(runtime.NumCPU())

func newPool(threads int) *pool {
	q := &pool{done: make(chan struct{}, 1)}
	q.start(threads)
	return q
}

func (q *pool) start(threads int) {
	q.threads.Store(int32(threads))
	q.wake = make([]chan struct{}, threads-1)
	for i := range q.wake {
		c := make(chan struct{}, 1)
		q.wake[i] = c
		go q.worker(c)
	}
}

func (q *pool) worker(wake chan struct{}) {
	for range wake {
		q.work()
		if q.pending.Add(-1) == 0 {
			q.done <- struct{}{}
		}
	}
}

// work takes grain-sized ranges from the shared counter until none is left.
func (q *pool) work() {
	n, g := q.n, q.grain
	for {
		lo := int(q.next.Add(int64(g))) - g
		if lo >= n {
			return
		}
		q.job.Do(lo, min(lo+g, n))
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
	for _, c := range p.wake {
		close(c)
	}
	p.start(n)
}

// Threads returns the number of goroutines a loop runs on.
func Threads() int { return int(p.threads.Load()) }

// Run calls job.Do on ranges covering [0, n) of about grain indexes each
// (grain <= 0 picks n/(4*threads), so that a slow thread does not hold up
// the others), spread over the pool, and returns when all are done. When
// another loop is already running (a nested or concurrent Run) the loop
// runs on the calling goroutine alone, so Run never deadlocks.
func Run(n, grain int, job Job) {
	if n <= 0 {
		return
	}
	if !p.mu.TryLock() {
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
	for _, c := range p.wake[:helpers] {
		c <- struct{}{}
	}
	p.work()
	<-p.done
	p.job = nil
}
