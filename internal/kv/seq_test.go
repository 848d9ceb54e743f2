package kv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/longctx/longctx/internal/tensor"
)

var _ Selective = (*Seq)(nil)
var _ Meter = (*Seq)(nil)

// storeAll stores k and v (rows of KVDim) at positions 0.. of every layer,
// in chunks of chunk positions.
func storeAll(t testing.TB, c Cache, layers int, k, v []float32, kvDim, chunk int) {
	t.Helper()
	n := len(k) / kvDim
	for pos := 0; pos < n; pos += chunk {
		m := min(chunk, n-pos)
		for l := 0; l < layers; l++ {
			if err := c.Store(l, pos, k[pos*kvDim:], v[pos*kvDim:], m); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d: %g, want %g", what, i, got[i], want[i])
		}
	}
}

// A paged sequence computes exactly what a contiguous cache does, for
// block sizes dividing the chunk, in memory or spilled to disk.
func TestSeqMatchesContiguous(t *testing.T) {
	const ctx, nKV, nHead, hd, layers = 2500, 2, 8, 32, 2
	r := rand.New(rand.NewPCG(31, 32))
	k, v := randVec(r, ctx*nKV*hd), randVec(r, ctx*nKV*hd)
	q := randVec(r, 3*nHead*hd)
	for _, typ := range kvTypes {
		s := Shape{Layers: layers, Ctx: ctx, KVHeads: nKV, HeadDim: hd, ElemType: typ}
		c, err := NewContiguous(s)
		if err != nil {
			t.Fatal(err)
		}
		storeAll(t, c, layers, k, v, nKV*hd, 700)
		want := make([]float32, len(q))
		if err := c.Attend(1, ctx-3, q, 3, nHead, 0.2, want); err != nil {
			t.Fatal(err)
		}
		for _, o := range []struct{ block, ramBlocks int }{{64, 0}, {256, 1}, {1024, 2}} {
			t.Run(fmt.Sprintf("%s/block%d/ram%d", typ, o.block, o.ramBlocks), func(t *testing.T) {
				p, err := NewPool(s, PoolOptions{BlockSize: o.block, SpillPath: filepath.Join(t.TempDir(), "spill")})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if err := p.SetRAM(int64(o.ramBlocks) * p.BlockBytes()); err != nil {
					t.Fatal(err)
				}
				sq := p.NewSeq()
				storeAll(t, sq, layers, k, v, nKV*hd, 333)
				if st := sq.Stats(); o.ramBlocks > 0 && st.Spilled == 0 {
					t.Errorf("nothing spilled with a RAM budget of %d blocks: %+v", o.ramBlocks, st)
				}
				before := sq.Stats()
				got := make([]float32, len(q))
				if err := sq.Attend(1, ctx-3, q, 3, nHead, 0.2, got); err != nil {
					t.Fatal(err)
				}
				sameBits(t, "attention", got, want)
				st := sq.Stats()
				if st.Tokens-before.Tokens != 0 || st.Read <= before.Read || (o.ramBlocks > 0) != (st.ReadDisk > before.ReadDisk) {
					t.Errorf("stats before %+v, after attending in layer 1 %+v", before, st)
				}
				gk, wk := make([]float32, ctx*hd), make([]float32, ctx*hd)
				for _, read := range []string{"keys", "values"} {
					f, g := c.ReadKeys, sq.ReadKeys
					if read == "values" {
						f, g = c.ReadValues, sq.ReadValues
					}
					if err := f(0, 1, 0, ctx, wk); err != nil {
						t.Fatal(err)
					}
					if err := g(0, 1, 0, ctx, gk); err != nil {
						t.Fatal(err)
					}
					sameBits(t, read, gk, wk)
				}
			})
		}
	}
}

// addShifter re-positions the block-table test's keys, whose elements are
// integers plus their position.
type addShifter struct{}

func (addShifter) ShiftKeys(k []float32, nKVHeads, headDim, delta int) {
	for i := range k[:nKVHeads*headDim] {
		k[i] += float32(delta)
	}
}

// ddKey and ddValue are the contents the block-table tests store for token
// x at position p: small integers, so shifting is exact.
func ddKey(x, p, j int) float32 { return float32(x%97*4 + j + p) }
func ddValue(x, j int) float32  { return float32(x) + 0.25*float32(j) }

const ddHD, ddLayers = 4, 2

// TestBlockTables runs testdata/blocks.txt: sequences of block-table
// operations, printing the tables and checking every sequence's contents
// and attention against a contiguous cache holding what it should hold.
//
//	pool block=N [ram=BLOCKS]      a new pool (f32, 2 layers, 1 KV head of 4)
//	store seq=S n=N [from=X] [at=P] tokens X.. at P (default: the end)
//	fork seq=S as=T n=N           T shares S's first N positions
//	remove seq=S from=A to=B      delete [A, B), shifting the rest back
//	truncate seq=S n=N
//	free seq=S
//	ram blocks=N                  set the RAM budget
//	check                         compare contents and attention
func TestBlockTables(t *testing.T) {
	var p *Pool
	seqs := map[string]*Seq{}
	tokens := map[string][]int{}
	defer func() {
		if p != nil {
			p.Close()
		}
	}()
	datadriven.RunTest(t, "testdata/blocks.txt", func(t *testing.T, d *datadriven.TestData) string {
		arg := func(key string, def int) int {
			if !d.HasArg(key) {
				return def
			}
			var s string
			d.ScanArgs(t, key, &s)
			n, err := strconv.Atoi(s)
			if err != nil {
				d.Fatalf(t, "%s: %v", key, err)
			}
			return n
		}
		name := func(key string) string {
			var s string
			d.ScanArgs(t, key, &s)
			return s
		}
		var err error
		switch d.Cmd {
		case "pool":
			if p != nil {
				p.Close()
			}
			s := Shape{Layers: ddLayers, Ctx: 4096, KVHeads: 1, HeadDim: ddHD, ElemType: tensor.F32}
			p, err = NewPool(s, PoolOptions{BlockSize: arg("block", 16), Shifter: addShifter{}})
			if err != nil {
				return err.Error()
			}
			err = p.SetRAM(int64(arg("ram", 0)) * p.BlockBytes())
			seqs, tokens = map[string]*Seq{}, map[string][]int{}
		case "store":
			sn := name("seq")
			s := seqs[sn]
			if s == nil {
				s = p.NewSeq()
				seqs[sn] = s
			}
			n, from, at := arg("n", 1), arg("from", 0), arg("at", len(tokens[sn]))
			k, v := make([]float32, n*ddHD), make([]float32, n*ddHD)
			for i := 0; i < n; i++ {
				for j := 0; j < ddHD; j++ {
					k[i*ddHD+j] = ddKey(from+i, at+i, j)
					v[i*ddHD+j] = ddValue(from+i, j)
				}
			}
			for l := 0; l < ddLayers && err == nil; l++ {
				err = s.Store(l, at, k, v, n)
			}
			if err == nil {
				tk := tokens[sn]
				for len(tk) < at+n {
					tk = append(tk, 0)
				}
				for i := 0; i < n; i++ {
					tk[at+i] = from + i
				}
				tokens[sn] = tk
			}
		case "fork":
			sn, as, n := name("seq"), name("as"), arg("n", 0)
			var f *Seq
			if f, err = seqs[sn].Fork(n); err == nil {
				seqs[as] = f
				tokens[as] = slices.Clone(tokens[sn][:n])
			}
		case "remove":
			sn, from, to := name("seq"), arg("from", 0), arg("to", 0)
			if err = seqs[sn].Remove(from, to); err == nil {
				tokens[sn] = slices.Delete(tokens[sn], from, to)
			}
		case "truncate":
			sn, n := name("seq"), arg("n", 0)
			seqs[sn].Truncate(n)
			tokens[sn] = tokens[sn][:min(n, len(tokens[sn]))]
		case "free":
			sn := name("seq")
			seqs[sn].Free()
			delete(seqs, sn)
			delete(tokens, sn)
		case "ram":
			err = p.SetRAM(int64(arg("blocks", 0)) * p.BlockBytes())
		case "check":
			return checkSeqs(t, seqs, tokens)
		default:
			d.Fatalf(t, "unknown command %s", d.Cmd)
		}
		if err != nil {
			return "error: " + err.Error()
		}
		return describePool(p, seqs)
	})
}

// describePool prints every sequence's table and every block's state:
// references, and whether it is in memory (ram) or spilled (disk).
func describePool(p *Pool, seqs map[string]*Seq) string {
	var b strings.Builder
	names := make([]string, 0, len(seqs))
	for n := range seqs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s := seqs[n]
		fmt.Fprintf(&b, "%s: len %d blocks %v\n", n, s.Len(), s.table)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	b.WriteString("blocks:")
	for id, blk := range p.blocks {
		switch {
		case blk.refs == 0:
			continue
		case blk.data == nil:
			fmt.Fprintf(&b, " %d:%dx/disk", id, blk.refs)
		default:
			fmt.Fprintf(&b, " %d:%dx/ram", id, blk.refs)
		}
	}
	fmt.Fprintf(&b, "\nresident %d spare %d\n", p.resident/p.BlockBytes(), len(p.spare))
	return b.String()
}

// checkSeqs compares each sequence's keys and values with what its tokens
// should have put there, and its attention with a contiguous cache's.
func checkSeqs(t *testing.T, seqs map[string]*Seq, tokens map[string][]int) string {
	var b strings.Builder
	names := make([]string, 0, len(seqs))
	for n := range seqs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s, tk := seqs[n], tokens[n]
		if s.Len() != len(tk) {
			fmt.Fprintf(&b, "%s: len %d, want %d\n", n, s.Len(), len(tk))
			continue
		}
		if len(tk) == 0 {
			fmt.Fprintf(&b, "%s: empty\n", n)
			continue
		}
		k, v := make([]float32, len(tk)*ddHD), make([]float32, len(tk)*ddHD)
		for p, x := range tk {
			for j := 0; j < ddHD; j++ {
				k[p*ddHD+j] = ddKey(x, p, j)
				v[p*ddHD+j] = ddValue(x, j)
			}
		}
		bad := ""
		gk, gv := make([]float32, len(k)), make([]float32, len(v))
		for l := 0; l < ddLayers && bad == ""; l++ {
			if err := s.ReadKeys(l, 0, 0, len(tk), gk); err != nil {
				bad = err.Error()
			} else if err := s.ReadValues(l, 0, 0, len(tk), gv); err != nil {
				bad = err.Error()
			} else if !slices.Equal(gk, k) || !slices.Equal(gv, v) {
				bad = fmt.Sprintf("layer %d contents differ", l)
			}
		}
		if bad == "" {
			c, err := NewContiguous(Shape{Layers: ddLayers, Ctx: len(tk), KVHeads: 1, HeadDim: ddHD, ElemType: tensor.F32})
			if err != nil {
				t.Fatal(err)
			}
			storeAll(t, c, ddLayers, k, v, ddHD, len(tk))
			q := []float32{0.01, -0.02, 0.03, 0.005, -0.01, 0.02, 0, 0.01}
			got, want := make([]float32, len(q)), make([]float32, len(q))
			if err := s.Attend(1, len(tk)-1, q, 1, 2, 0.5, got); err != nil {
				bad = err.Error()
			} else if err := c.Attend(1, len(tk)-1, q, 1, 2, 0.5, want); err != nil {
				t.Fatal(err)
			} else if !slices.Equal(got, want) {
				bad = fmt.Sprintf("attention %v, want %v", got, want)
			}
		}
		if bad == "" {
			bad = "ok"
		}
		fmt.Fprintf(&b, "%s: %s\n", n, bad)
	}
	return b.String()
}

// Sparse spans on a quantized paged sequence, across blocks and chunks,
// match the float64 reference over what is stored, and read only the
// blocks they touch.
func TestSeqAttendSpans(t *testing.T) {
	const ctx, nKV, nHead, hd = 2300, 2, 4, 32
	r := rand.New(rand.NewPCG(51, 52))
	s := Shape{Layers: 1, Ctx: ctx, KVHeads: nKV, HeadDim: hd, ElemType: tensor.Q8_0}
	p, err := NewPool(s, PoolOptions{BlockSize: 128})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sq := p.NewSeq()
	k, v := randVec(r, ctx*nKV*hd), randVec(r, ctx*nKV*hd)
	storeAll(t, sq, 1, k, v, nKV*hd, 500)
	spans := [][]Span{
		{{0, 4}, {1000, 1100}, {2290, 2300}},
		{{5, 6}, {2000, 2001}},
		{{1020, 1030}},
		{{0, 4}, {2296, 2300}},
	}
	q := randVec(r, nHead*hd)
	got := make([]float32, len(q))
	before := sq.Stats().Read
	if err := sq.AttendSpans(0, ctx-1, q, 1, nHead, 0.3, spans, got); err != nil {
		t.Fatal(err)
	}
	sparseRead := sq.Stats().Read - before
	k64, v64 := stored(t, sq, 0, ctx)
	for h := 0; h < nHead; h++ {
		want := naiveSpanAttention(to64(q[h*hd:(h+1)*hd]), k64, v64, nKV, h/(nHead/nKV), hd, ctx, spans[h], 0.3)
		for j, w := range want {
			if d := math.Abs(w - float64(got[h*hd+j])); d > 1e-5 {
				t.Fatalf("head %d dim %d: %g, want %g", h, j, got[h*hd+j], w)
			}
		}
	}
	// Spans covering everything, however cut, are Attend bit for bit.
	all := [][]Span{{{0, 1500}, {1500, ctx}}, {{0, ctx}}, {{0, 1}, {1, 2}, {2, ctx + 9}}, {{0, ctx}}}
	dense := make([]float32, len(q))
	if err := sq.Attend(0, ctx-1, q, 1, nHead, 0.3, dense); err != nil {
		t.Fatal(err)
	}
	before = sq.Stats().Read
	if err := sq.AttendSpans(0, ctx-1, q, 1, nHead, 0.3, all, got); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "spans covering all", got, dense)
	if denseRead := sq.Stats().Read - before; sparseRead*5 > denseRead {
		t.Errorf("sparse spans read %d bytes, dense %d", sparseRead, denseRead)
	}
}

// Sequences of one pool used from several goroutines at once, under a RAM
// budget that makes them spill each other's blocks, compute what each
// computes alone.
func TestSeqsConcurrent(t *testing.T) {
	const ctx, nKV, nHead, hd, layers, nSeq = 600, 2, 4, 32, 2, 4
	s := Shape{Layers: layers, Ctx: ctx, KVHeads: nKV, HeadDim: hd, ElemType: tensor.Q4_0}
	r := rand.New(rand.NewPCG(61, 62))
	type input struct{ k, v, q []float32 }
	in := make([]input, nSeq)
	for i := range in {
		in[i] = input{randVec(r, ctx*nKV*hd), randVec(r, ctx*nKV*hd), randVec(r, ctx*nHead*hd)}
	}
	// run stores a sequence 50 positions at a time, attending after each
	// store as the model does, and returns every attention output.
	run := func(sq *Seq, x input) ([]float32, error) {
		out := make([]float32, len(x.q))
		d := nKV * hd
		for pos := 0; pos < ctx; pos += 50 {
			for l := 0; l < layers; l++ {
				if err := sq.Store(l, pos, x.k[pos*d:], x.v[pos*d:], 50); err != nil {
					return nil, err
				}
				if err := sq.Attend(l, pos, x.q[pos*nHead*hd:], 50, nHead, 0.3, out[pos*nHead*hd:]); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	solo := make([][]float32, nSeq)
	for i := range in {
		p, _ := NewPool(s, PoolOptions{BlockSize: 64})
		var err error
		if solo[i], err = run(p.NewSeq(), in[i]); err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	p, _ := NewPool(s, PoolOptions{BlockSize: 64})
	defer p.Close()
	p.SetRAM(5 * p.BlockBytes())
	got := make([][]float32, nSeq)
	errs := make(chan error, nSeq)
	for i := range in {
		go func() {
			var err error
			got[i], err = run(p.NewSeq(), in[i])
			errs <- err
		}()
	}
	for range in {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range in {
		sameBits(t, fmt.Sprintf("sequence %d", i), got[i], solo[i])
	}
	if st := p.Stats(); st.Spilled == 0 {
		t.Errorf("nothing spilled: %+v", st)
	}
}

// A named spill file must be new: an existing file (the model, a saved KV
// cache) is refused and left as it was; the new one is unlinked as soon
// as it is open, so nothing is ever removed by name later.
func TestSpillFileIsNewAndUnlinked(t *testing.T) {
	s := Shape{Layers: 1, KVHeads: 1, HeadDim: 32, Ctx: 64, ElemType: tensor.F16}
	dir := t.TempDir()
	victim := filepath.Join(dir, "model.gguf")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPool(s, PoolOptions{SpillPath: victim}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("an existing spill path: %v", err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "precious" {
		t.Errorf("the existing file became %q (%v)", b, err)
	}
	fresh := filepath.Join(dir, "spill")
	p, err := NewPool(s, PoolOptions{BlockSize: 16, SpillPath: fresh})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetRAM(p.BlockBytes()); err != nil {
		t.Fatal(err)
	}
	sq := p.NewSeq()
	kv := make([]float32, 64*32)
	if err := sq.Store(0, 0, kv, kv, 64); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Spilled == 0 {
		t.Fatalf("nothing spilled: %+v", st)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("the spill file is still named while open: %v", err)
	}
	if err := os.WriteFile(fresh, []byte("saved kv"), 0o600); err != nil { // e.g. --kv-save to the same path
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(fresh); err != nil || string(b) != "saved kv" {
		t.Errorf("closing the pool removed or changed %s: %q %v", fresh, b, err)
	}
}

// A value too large for f16 is stored saturated: a child forked before
// it, reading the parent's shared block, must not get NaN from the
// invisible position (weight 0 x Inf).
func TestF16ValueOverflowStaysInvisible(t *testing.T) {
	s := Shape{Layers: 1, Ctx: 64, KVHeads: 1, HeadDim: 32, ElemType: tensor.F16}
	p, err := NewPool(s, PoolOptions{BlockSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	par := p.NewSeq()
	k, v := make([]float32, 8*32), make([]float32, 8*32)
	for i := range k {
		k[i], v[i] = 0.1, 1
	}
	v[5*32] = 1e6 // beyond f16's range
	if err := par.Store(0, 0, k, v, 8); err != nil {
		t.Fatal(err)
	}
	child, err := par.Fork(3)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 32)
	if err := child.Attend(0, 2, k[:32], 1, 1, 0.1, out); err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(float64(out[0])-1) < 1e-3) { // probabilities are rounded to f16
		t.Errorf("child's output %v, want 1 (its positions hold only ones)", out[0])
	}
	vals := make([]float32, 8*32)
	if err := par.ReadValues(0, 0, 0, 8, vals); err != nil {
		t.Fatal(err)
	}
	if vals[5*32] != 65504 {
		t.Errorf("stored %v, want the largest f16, 65504", vals[5*32])
	}
}
