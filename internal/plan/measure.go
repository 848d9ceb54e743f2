package plan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// MeasureBandwidth is the machine's read bandwidth in bytes per second,
// summing a buffer of size bytes (use several times the last-level cache)
// with every thread of the pool.
func MeasureBandwidth(size int64) float64 { return parallel.ReadBandwidth(size, 3) }

// MeasureFLOPS is the FLOP rate of the prefill kernels on m: its first
// layer's seven matrices multiplied with a batch of tokens activations,
// repeated for at least minTime after a warm-up pass.
func MeasureFLOPS(m *model.Model, tokens int, minTime time.Duration) (float64, error) {
	if len(m.Layers) == 0 || tokens < 1 {
		return 0, errors.New("plan: no layers to measure, or no tokens")
	}
	l := m.Layers[0]
	ws := []model.Weight{l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down}
	var maxCols, maxRows int
	var flopsPerPass float64
	for _, w := range ws {
		maxCols, maxRows = max(maxCols, w.Cols), max(maxRows, w.Rows)
		flopsPerPass += 2 * float64(w.Rows) * float64(w.Cols) * float64(tokens)
	}
	x := make([]float32, tokens*maxCols)
	for i := range x {
		x[i] = float32(i%17)/17 - 0.5
	}
	dst := make([]float32, tokens*maxRows)
	pass := func() error {
		for _, w := range ws {
			if err := tensor.MatMul(dst[:tokens*w.Rows], w.Data, w.Type, w.Rows, w.Cols, x[:tokens*w.Cols], tokens); err != nil {
				return fmt.Errorf("plan: measuring %s: %w", w.Name, err)
			}
		}
		return nil
	}
	if err := pass(); err != nil {
		return 0, err
	}
	start := time.Now()
	n := 0
	for n == 0 || time.Since(start) < minTime {
		if err := pass(); err != nil {
			return 0, err
		}
		n++
	}
	return flopsPerPass * float64(n) / time.Since(start).Seconds(), nil
}

// AvailableMemory is the memory the system can give without swapping
// (Linux's MemAvailable).
func AvailableMemory() (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("plan: available memory: %w", err)
	}
	defer f.Close()
	return parseMemAvailable(f)
}

// parseMemAvailable reads the MemAvailable line of /proc/meminfo.
func parseMemAvailable(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Bytes()
		rest, ok := bytes.CutPrefix(line, []byte("MemAvailable:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("plan: unexpected meminfo line %q", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("plan: unexpected meminfo line %q", line)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("plan: no MemAvailable in /proc/meminfo")
}
