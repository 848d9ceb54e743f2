package parallel

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// countJob counts how often each index is visited.
type countJob struct{ hits []atomic.Int32 }

func (c *countJob) Do(lo, hi int) {
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

func TestRunCoversEachIndexOnce(t *testing.T) {
	defer SetThreads(0)
	for _, threads := range []int{1, 2, 3, 8} {
		SetThreads(threads)
		if got := Threads(); got != threads {
			t.Fatalf("Threads() = %d after SetThreads(%d)", got, threads)
		}
		for _, tc := range []struct{ n, grain int }{{1, 0}, {7, 1}, {100, 0}, {100, 7}, {1000, 64}, {5, 100}} {
			for rep := 0; rep < 20; rep++ {
				j := &countJob{hits: make([]atomic.Int32, tc.n)}
				Run(tc.n, tc.grain, j)
				for i := range j.hits {
					if h := j.hits[i].Load(); h != 1 {
						t.Fatalf("threads=%d n=%d grain=%d: index %d visited %d times", threads, tc.n, tc.grain, i, h)
					}
				}
			}
		}
	}
}

func TestNestedRunDoesNotDeadlock(t *testing.T) {
	var total atomic.Int64
	Run(8, 1, Func(func(lo, hi int) {
		// Kernels size their grain by Threads inside loops.
		Run(10, max(1, 10/Threads()), Func(func(lo, hi int) { total.Add(int64(hi - lo)) }))
	}))
	if got := total.Load(); got != 80 {
		t.Fatalf("nested loops covered %d indexes, want 80", got)
	}
}

func TestRunDoesNotAllocate(t *testing.T) {
	SetThreads(2)
	defer SetThreads(0)
	j := &countJob{hits: make([]atomic.Int32, 4096)}
	allocs := testing.AllocsPerRun(100, func() { Run(4096, 64, j) })
	if allocs != 0 {
		t.Fatalf("Run allocates %v times per call", allocs)
	}
}

// Idle workers poll for spinFor and then block: loops must be picked up
// from either state, including right at the boundary.
func TestRunWakesSleepingWorkers(t *testing.T) {
	SetThreads(4)
	defer SetThreads(0)
	for _, pause := range []time.Duration{0, spinFor / 2, spinFor, 3 * spinFor} {
		for rep := 0; rep < 10; rep++ {
			time.Sleep(pause)
			j := &countJob{hits: make([]atomic.Int32, 64)}
			Run(64, 1, j)
			for i := range j.hits {
				if h := j.hits[i].Load(); h != 1 {
					t.Fatalf("after %v idle: index %d visited %d times", pause, i, h)
				}
			}
		}
	}
}

// With fewer processors than threads, polling workers must yield, or each
// loop would wait for the scheduler to preempt them (10 ms).
func TestRunWithOneProcessor(t *testing.T) {
	SetThreads(4)
	defer SetThreads(0)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	start := time.Now()
	j := &countJob{hits: make([]atomic.Int32, 64)}
	for rep := 0; rep < 100; rep++ {
		Run(64, 1, j)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("100 loops on one processor took %v", d)
	}
}

type nopJob struct{}

func (nopJob) Do(lo, hi int) {}

// BenchmarkRunOverhead is the cost of waking the pool for an empty loop:
// what each matrix multiply pays for going parallel.
func BenchmarkRunOverhead(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Run(1024, 0, nopJob{})
	}
}

func TestReadBandwidthIsPlausible(t *testing.T) {
	bw := ReadBandwidth(8<<20, 3)
	if bw < 1e8 || bw > 1e13 {
		t.Fatalf("ReadBandwidth = %g B/s, outside 0.1 GB/s..10 TB/s", bw)
	}
}

// BenchmarkReadBandwidth reports the machine's DRAM read bandwidth (1 GiB
// buffer), the reference figure for the kernels' "% BW" metrics.
func BenchmarkReadBandwidth(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.ReportMetric(ReadBandwidth(1<<30, 3)/1e9, "GB/s")
	}
}

func TestSharedRunsLoopsInline(t *testing.T) {
	SetThreads(2)
	defer SetThreads(0)
	var other atomic.Int32
	probe := Func(func(lo, hi int) {
		if lo != 0 {
			other.Add(1)
		}
	})
	done1 := Shared()
	Run(64, 1, probe) // one marked goroutine still uses the pool
	done2 := Shared()
	before := other.Load()
	for range 20 {
		Run(64, 1, probe)
	}
	if other.Load() != before {
		t.Fatalf("with two goroutines marked Shared, loops were split")
	}
	done2()
	done1()
	if allocs := testing.AllocsPerRun(10, func() { Shared()() }); allocs != 0 {
		t.Fatalf("Shared allocates %v times", allocs)
	}
}

// Loops in quick succession, with idle gaps on both sides of the polling
// window: each covers its range once and none hangs. (A wake-up token sent
// after the worker had already run the loop once made it run the loop
// twice; the race detector's slowdown exposed it within seconds.)
func TestRunStress(t *testing.T) {
	SetThreads(2)
	defer SetThreads(0)
	r := rand.New(rand.NewPCG(1, 2))
	deadline := time.Now().Add(3 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		n := 1 + r.IntN(20)
		j := &countJob{hits: make([]atomic.Int32, n)}
		done := make(chan struct{})
		go func() {
			Run(n, 1, j)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("loop %d hung", i)
		}
		for k := range j.hits {
			if h := j.hits[k].Load(); h != 1 {
				t.Fatalf("loop %d: index %d visited %d times", i, k, h)
			}
		}
		if r.IntN(4) == 0 {
			time.Sleep(time.Duration(r.IntN(2*int(spinFor/time.Microsecond))) * time.Microsecond)
		}
	}
}
