package parallel

import (
	"sort"
	"time"
	"unsafe"
)

// sumJob reads its buffer in parallel ranges of 64-byte lines.
type sumJob struct {
	buf  []uint64
	sums []uint64 // one per range start, so ranges never share a slot
}

func (s *sumJob) Do(lo, hi int) {
	b := s.buf[lo*8 : hi*8]
	var a0, a1, a2, a3 uint64
	for i := 0; i+8 <= len(b); i += 8 {
		a0 += b[i] + b[i+4]
		a1 += b[i+1] + b[i+5]
		a2 += b[i+2] + b[i+6]
		a3 += b[i+3] + b[i+7]
	}
	s.sums[lo] = a0 + a1 + a2 + a3
}

// ReadBandwidth measures how fast the pool's threads read memory: it sums
// a buffer of size bytes (use several times the last-level cache) reps
// times and returns the median rate in bytes per second. Decode speed is
// capped by this figure divided by the bytes read per token.
func ReadBandwidth(size int64, reps int) float64 {
	lines := int(size / 64)
	if lines < 1 || reps < 1 {
		return 0
	}
	buf := make([]uint64, lines*8)
	for i := range buf {
		buf[i] = uint64(i) // touch every page so the first pass reads real memory
	}
	j := &sumJob{buf: buf, sums: make([]uint64, lines)}
	grain := max(1024, lines/(8*Threads()))
	rates := make([]float64, reps)
	for r := range rates {
		t := time.Now()
		Run(lines, grain, j)
		rates[r] = float64(len(buf)) * float64(unsafe.Sizeof(buf[0])) / time.Since(t).Seconds()
	}
	sort.Float64s(rates)
	return rates[reps/2]
}
