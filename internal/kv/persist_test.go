package kv

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

// savedFixture is a small q8_0 sequence of 70 positions in blocks of 32,
// saved with its tokens, and the query and attention output it gives.
func savedFixture(t testing.TB) (s Shape, file []byte, q, want []float32, tokens []int32) {
	t.Helper()
	s = Shape{Layers: 2, Ctx: 300, KVHeads: 2, HeadDim: 32, ElemType: tensor.Q8_0}
	p, err := NewPool(s, PoolOptions{BlockSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := rand.New(rand.NewPCG(41, 42))
	const n = 70
	sq := p.NewSeq()
	storeAll(t, sq, s.Layers, randVec(r, n*s.KVDim()), randVec(r, n*s.KVDim()), s.KVDim(), 25)
	tokens = make([]int32, n)
	for i := range tokens {
		tokens[i] = int32(1000 + i)
	}
	var buf bytes.Buffer
	if err := sq.Save(&buf, "model-A", tokens); err != nil {
		t.Fatal(err)
	}
	q = randVec(r, 2*4*s.HeadDim)
	want = make([]float32, len(q))
	if err := sq.Attend(1, n-2, q, 2, 4, 0.3, want); err != nil {
		t.Fatal(err)
	}
	return s, buf.Bytes(), q, want, tokens
}

// A saved prefix loads into pools of any block size, spilled or not, and
// into a contiguous cache, with the same contents: attention is the same
// bit for bit.
func TestSaveLoad(t *testing.T) {
	s, file, q, want, tokens := savedFixture(t)
	check := func(t *testing.T, c Cache, gotTokens []int32) {
		t.Helper()
		if !slices.Equal(gotTokens, tokens) {
			t.Fatalf("tokens %v, want %v", gotTokens, tokens)
		}
		if c.Len() != len(tokens) {
			t.Fatalf("Len %d, want %d", c.Len(), len(tokens))
		}
		got := make([]float32, len(q))
		if err := c.Attend(1, len(tokens)-2, q, 2, 4, 0.3, got); err != nil {
			t.Fatal(err)
		}
		sameBits(t, "attention after load", got, want)
	}
	for _, o := range []struct{ block, ram int }{{32, 0}, {16, 0}, {64, 1}} {
		p, err := NewPool(s, PoolOptions{BlockSize: o.block})
		if err != nil {
			t.Fatal(err)
		}
		p.SetRAM(int64(o.ram) * p.BlockBytes())
		sq, got, err := p.Load(bytes.NewReader(file), "model-A")
		if err != nil {
			t.Fatal(err)
		}
		check(t, sq, got)
		// Saved again from this pool, it loads into a contiguous cache.
		path := filepath.Join(t.TempDir(), "prefix.kv")
		if err := sq.SaveFile(path, "model-A", got); err != nil {
			t.Fatal(err)
		}
		c, _ := NewContiguous(s)
		got, err = c.LoadFile(path, "model-A")
		if err != nil {
			t.Fatal(err)
		}
		check(t, c, got)
		p.Close()
	}
	// And a contiguous cache's file loads into a pool.
	c, _ := NewContiguous(s)
	if _, err := c.Load(bytes.NewReader(file), "model-A"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Save(&buf, "model-A", nil); err != nil {
		t.Fatal(err)
	}
	p, _ := NewPool(s, PoolOptions{})
	defer p.Close()
	sq, got, err := p.Load(&buf, "model-A")
	if err != nil {
		t.Fatal(err)
	}
	if got != nil {
		t.Errorf("tokens %v from a file saved without", got)
	}
	check(t, sq, tokens)
}

func TestLoadErrors(t *testing.T) {
	s, file, _, _, _ := savedFixture(t)
	p, _ := NewPool(s, PoolOptions{BlockSize: 32})
	defer p.Close()
	load := func(data []byte, fp string) error {
		sq, _, err := p.Load(bytes.NewReader(data), fp)
		if err == nil {
			sq.Free()
		}
		return err
	}
	flip := func(i int) []byte {
		b := slices.Clone(file)
		b[i] ^= 0x10
		return b
	}
	for _, c := range []struct {
		name string
		data []byte
		fp   string
		want string
	}{
		{"fingerprint", file, "model-B", `saved for model "model-A", not "model-B"`},
		{"empty", nil, "model-A", "ends early"},
		{"magic", flip(0), "model-A", "bad magic"},
		{"version", flip(8), "model-A", "format version"},
		{"layers", flip(12), "model-A", "does not match"},
		{"positions", flip(37), "model-A", "positions, the cache holds"},
		{"token", flip(60), "model-A", "header checksum"},
		{"data", flip(len(file) - 100), "model-A", "data checksum"},
		{"truncated", file[:len(file)-10], "model-A", "ends early"},
		{"no data checksum", file[:len(file)-4], "model-A", "ends early"},
		{"trailing bytes", append(slices.Clone(file), "xyz"...), "model-A", "data after the end"},
	} {
		err := load(c.data, c.fp)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	if err := load(file, "model-B"); !errors.Is(err, ErrPrefixMismatch) {
		t.Errorf("fingerprint mismatch is not ErrPrefixMismatch: %v", err)
	}
	other, _ := NewPool(Shape{Layers: 2, Ctx: 300, KVHeads: 2, HeadDim: 32, ElemType: tensor.F16}, PoolOptions{})
	defer other.Close()
	if _, _, err := other.Load(bytes.NewReader(file), "model-A"); !errors.Is(err, ErrPrefixMismatch) {
		t.Errorf("f16 pool loading a q8_0 file: %v", err)
	}
	small, _ := NewPool(Shape{Layers: 2, Ctx: 50, KVHeads: 2, HeadDim: 32, ElemType: tensor.Q8_0}, PoolOptions{BlockSize: 32})
	defer small.Close()
	if _, _, err := small.Load(bytes.NewReader(file), "model-A"); err == nil || !strings.Contains(err.Error(), "70 positions, the cache holds 50") {
		t.Errorf("70 positions into a 50-position pool: %v", err)
	}
	if _, _, err := p.LoadFile(filepath.Join(t.TempDir(), "missing"), "model-A"); err == nil {
		t.Error("missing file loaded")
	}
	// Every single-byte corruption is an error, never a panic or a
	// silently different cache.
	for i := 0; i < len(file); i += 7 {
		if err := load(flip(i), "model-A"); err == nil {
			t.Fatalf("corrupting byte %d went unnoticed", i)
		}
	}
}

// FuzzLoad feeds arbitrary bytes to the loader: it must fail cleanly or
// produce a usable sequence.
func FuzzLoad(f *testing.F) {
	s, file, q, _, _ := savedFixture(f)
	f.Add(file)
	f.Add(file[:64])
	f.Add([]byte(prefixMagic))
	p, err := NewPool(s, PoolOptions{BlockSize: 32})
	if err != nil {
		f.Fatal(err)
	}
	out := make([]float32, len(q))
	f.Fuzz(func(t *testing.T, data []byte) {
		sq, _, err := p.Load(bytes.NewReader(data), "model-A")
		if err != nil {
			return
		}
		defer sq.Free()
		if n := sq.Len(); n > 0 {
			if err := sq.Attend(0, n-1, q, 1, 4, 0.3, out); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestSaveFileLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	c, _ := NewContiguous(Shape{Layers: 1, Ctx: 4, KVHeads: 1, HeadDim: 4, ElemType: tensor.F32})
	if err := c.SaveFile(filepath.Join(dir, "x.kv"), "m", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SaveFile(filepath.Join(dir, "missing", "x.kv"), "m", nil); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
	names, _ := os.ReadDir(dir)
	if len(names) != 1 || names[0].Name() != "x.kv" {
		t.Errorf("directory holds %v, want x.kv alone", names)
	}
}
