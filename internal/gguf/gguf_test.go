package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

const fixtures = "../../../shared/fixtures"

func fixture(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(fixtures, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing (the shared/ folder must sit beside the repository): %v", p, err)
	}
	return p
}

func TestOpenFixture(t *testing.T) {
	f, err := Open(fixture(t, "gguf/tiny-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if arch, _ := f.String("general.architecture"); arch != "llama" {
		t.Errorf("architecture = %q, want llama", arch)
	}
	if n, _ := f.Uint("llama.block_count"); n != 4 {
		t.Errorf("block_count = %d, want 4", n)
	}
	toks, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil || len(toks) != 1000 || toks[1] != "<s>" || toks[3] != "<0x00>" {
		t.Fatalf("tokens: %v, len %d", err, len(toks))
	}
	scores, err := f.Float32s("tokenizer.ggml.scores")
	if err != nil || scores[7] != -7 {
		t.Fatalf("scores: %v %v", err, scores[:8])
	}
	if _, err := f.Strings("no.such.key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing key: err = %v, want ErrNotFound", err)
	}
	if _, err := f.Float32s("tokenizer.ggml.tokens"); err == nil {
		t.Error("wrong array type: no error")
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok {
		t.Fatal("token_embd.weight missing")
	}
	if emb.Type != tensor.F32 || emb.Dims[0] != 256 || emb.Dims[1] != 1000 || len(emb.Data) != 256*1000*4 {
		t.Fatalf("token_embd.weight: %v %v %d", emb.Type, emb.Dims, len(emb.Data))
	}
	if emb.Rows() != 1000 {
		t.Errorf("rows = %d", emb.Rows())
	}
	norm, _ := f.Tensor("blk.0.attn_norm.weight")
	if x := math.Float32frombits(binary.LittleEndian.Uint32(norm.Data)); x != 1 {
		t.Errorf("attn_norm[0] = %v, want 1 (fixture norms are ones)", x)
	}
}

// A file read and written back must come out byte for byte the same: this
// checks the writer against llama.cpp's own writer.
func TestRoundTripFixtures(t *testing.T) {
	for _, name := range []string{"gguf/tiny-f32.gguf", "gguf/tiny-q4_k_m.gguf", "gguf/tinyqwen2-q8_0.gguf", "tokenizer/ggml-vocab-qwen3.gguf"} {
		t.Run(name, func(t *testing.T) {
			path := fixture(t, name)
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(orig)
			if err != nil {
				t.Fatal(err)
			}
			w := NewWriter()
			for _, kv := range f.KVs {
				if err := w.AddKV(kv.Key, kv.Value); err != nil {
					t.Fatal(err)
				}
			}
			for _, ti := range f.Tensors {
				if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, ti.Data); err != nil {
					t.Fatal(err)
				}
			}
			var buf bytes.Buffer
			n, err := w.WriteTo(&buf)
			if err != nil || n != int64(buf.Len()) {
				t.Fatalf("WriteTo: n=%d len=%d err=%v", n, buf.Len(), err)
			}
			got := buf.Bytes()
			if f.Version == 3 && !bytes.Equal(got, orig) {
				i := 0
				for i < len(got) && i < len(orig) && got[i] == orig[i] {
					i++
				}
				t.Fatalf("rewritten file differs at byte %d (len %d vs %d)", i, len(got), len(orig))
			}
		})
	}
}

func TestWriteReadValues(t *testing.T) {
	w := NewWriter()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.AddKV("general.architecture", String("llama")))
	must(w.AddKV("u32", Uint32(7)))
	must(w.AddKV("i32", Int32(-3)))
	must(w.AddKV("u64", Uint64(1<<40)))
	must(w.AddKV("f32", Float32(0.1)))
	must(w.AddKV("b", Bool(true)))
	must(w.AddKV("ss", StringArray([]string{"a", "", "ü"})))
	must(w.AddKV("fs", Float32Array([]float32{1, -2.5})))
	must(w.AddKV("is", Int32Array([]int32{-1, 5})))
	must(w.AddKV("general.alignment", Uint32(64)))
	if err := w.AddKV("u32", Uint32(1)); err == nil {
		t.Error("duplicate key accepted")
	}
	if err := w.AddKV("general.alignment", Uint32(3)); err == nil {
		t.Error("bad alignment accepted")
	}
	data := make([]byte, 34*2) // two Q8_0 blocks = one row of 64
	for i := range data {
		data[i] = byte(i)
	}
	must(w.AddTensor("a", tensor.Q8_0, []int64{64, 1}, data))
	must(w.AddTensor("b", tensor.F32, []int64{3}, make([]byte, 12)))
	if err := w.AddTensor("c", tensor.Q8_0, []int64{33}, make([]byte, 34)); err == nil {
		t.Error("non-block-multiple row accepted")
	}
	if err := w.AddTensor("d", tensor.F32, []int64{3}, make([]byte, 11)); err == nil {
		t.Error("wrong data length accepted")
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if f.Alignment != 64 || f.DataOffset%64 != 0 {
		t.Errorf("alignment %d, data offset %d", f.Alignment, f.DataOffset)
	}
	if v, _ := f.Uint("u32"); v != 7 {
		t.Errorf("u32 = %d", v)
	}
	if v, _ := f.Int("i32"); v != -3 {
		t.Errorf("i32 = %d", v)
	}
	if _, ok := f.Uint("i32"); ok {
		t.Error("negative int read as uint")
	}
	if v, _ := f.Uint("u64"); v != 1<<40 {
		t.Errorf("u64 = %d", v)
	}
	if v, _ := f.Float("f32"); float32(v) != 0.1 {
		t.Errorf("f32 = %v", v)
	}
	if v, ok := f.Bool("b"); !v || !ok {
		t.Error("bool")
	}
	if ss, _ := f.Strings("ss"); strings.Join(ss, "|") != "a||ü" {
		t.Errorf("strings = %q", ss)
	}
	if fs, _ := f.Float32s("fs"); len(fs) != 2 || fs[1] != -2.5 {
		t.Errorf("floats = %v", fs)
	}
	if is, _ := f.Int32s("is"); len(is) != 2 || is[0] != -1 {
		t.Errorf("ints = %v", is)
	}
	a, _ := f.Tensor("a")
	if !bytes.Equal(a.Data, data) || a.Offset != 0 {
		t.Errorf("tensor a: offset %d", a.Offset)
	}
	b, _ := f.Tensor("b")
	if b.Offset != 128 || len(b.Data) != 12 {
		t.Errorf("tensor b: offset %d len %d", b.Offset, len(b.Data))
	}
	if got := f.KVs[6].Value.String(); got != `[string x 3: "a", "", "ü"]` {
		t.Errorf("String() = %s", got)
	}
}

// header builds the start of a GGUF file by hand for corruption tests.
type header struct{ b []byte }

func (h *header) u32(x uint32) *header { h.b = binary.LittleEndian.AppendUint32(h.b, x); return h }
func (h *header) u64(x uint64) *header { h.b = binary.LittleEndian.AppendUint64(h.b, x); return h }
func (h *header) str(s string) *header { h.u64(uint64(len(s))); h.b = append(h.b, s...); return h }
func newHeader(version uint32, nTensors, nKV uint64) *header {
	h := &header{b: []byte(Magic)}
	return h.u32(version).u64(nTensors).u64(nKV)
}

func TestCorruptFiles(t *testing.T) {
	valid, err := os.ReadFile(fixture(t, "gguf/tiny-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	pad := make([]byte, 64)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "magic"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), "not a GGUF file"},
		{"version 1", newHeader(1, 0, 0).b, "version 1"},
		{"version 99", newHeader(99, 0, 0).b, "unsupported GGUF version 99"},
		{"big endian", []byte("GGUF\x00\x00\x00\x03"), "byte-swapped"},
		{"no counts", []byte("GGUF\x03\x00\x00\x00"), "tensor_count"},
		{"huge kv count", newHeader(3, 0, 1<<60).b, "metadata_kv_count"},
		{"huge tensor count", newHeader(3, 1<<40, 0).b, "tensor_count"},
		{"key too long", append(newHeader(3, 0, 1).u64(1<<50).b, pad...), "metadata[0].key"},
		{"bad value type", append(newHeader(3, 0, 1).str("k").u32(77).b, pad...), "unknown value type 77"},
		{"huge array", append(newHeader(3, 0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeUint32)).u64(1<<40).b, pad...), "array count"},
		{"huge string array", append(newHeader(3, 0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(1<<40).b, pad...), "array count"},
		{"bad bool", append(newHeader(3, 0, 1).str("k").u32(uint32(TypeBool)).b, 2), "bool byte"},
		{"duplicate key", newHeader(3, 0, 2).str("k").u32(uint32(TypeUint8)).u32(0).b[:0], ""},
		{"bad alignment", append(newHeader(3, 0, 1).str("general.alignment").u32(uint32(TypeUint32)).u32(3).b, pad...), "general.alignment"},
		{"zero dims", append(newHeader(3, 1, 0).str("t").u32(0).b, pad...), "n_dims 0"},
		{"five dims", append(newHeader(3, 1, 0).str("t").u32(5).b, pad...), "n_dims 5"},
		{"zero dim", append(newHeader(3, 1, 0).str("t").u32(1).u64(0).b, pad...), "dimension 0 is 0"},
		{"overflowing dims", append(newHeader(3, 1, 0).str("t").u32(2).u64(1<<40).u64(1<<40).b, pad...), "overflows"},
		{"unknown type", append(newHeader(3, 1, 0).str("t").u32(1).u64(32).u32(200).u64(0).b, pad...), "unknown tensor type 200"},
		{"partial block", append(newHeader(3, 1, 0).str("t").u32(1).u64(33).u32(uint32(tensor.Q8_0)).u64(0).b, pad...), "block size"},
		{"misaligned offset", append(newHeader(3, 1, 0).str("t").u32(1).u64(4).u32(0).u64(3).b, pad...), "not a multiple of the alignment"},
		{"data past end", append(newHeader(3, 1, 0).str("t").u32(1).u64(1<<20).u32(0).u64(0).b, pad...), "past the end"},
		{"truncated fixture", valid[:len(valid)-100], "past the end"},
		{"truncated header", valid[:5000], "cannot fit"},
	}
	for _, c := range cases {
		if c.name == "duplicate key" {
			h := newHeader(3, 0, 2)
			h.str("k").u32(uint32(TypeUint8))
			h.b = append(h.b, 1)
			h.str("k").u32(uint32(TypeUint8))
			h.b = append(h.b, 2)
			c.data, c.want = h.b, "appears twice"
		}
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.gguf")
	os.WriteFile(empty, nil, 0o644)
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.gguf")); err == nil {
		t.Error("missing file: no error")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"tokenizer/ggml-vocab-gpt-2.gguf"} {
		b, err := os.ReadFile(filepath.Join(fixtures, name))
		if err == nil {
			f.Add(b[:4096])
		}
	}
	w := NewWriter()
	w.AddKV("general.architecture", String("llama"))
	w.AddKV("ss", StringArray([]string{"a", "bc"}))
	w.AddTensor("t", tensor.Q4_0, []int64{32, 2}, make([]byte, 36))
	var buf bytes.Buffer
	w.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(data)
		if err != nil {
			return
		}
		for _, kv := range g.KVs {
			_ = kv.Value.String()
			kv.Value.Strings()
			kv.Value.Int32s()
			kv.Value.Float32s()
		}
		for _, ti := range g.Tensors {
			if int64(len(ti.Data)) != ti.Size {
				t.Fatalf("tensor %q: %d bytes, size %d", ti.Name, len(ti.Data), ti.Size)
			}
		}
	})
}

// GGUF v2 has the same layout as v3 for little-endian files.
func TestVersion2(t *testing.T) {
	w := NewWriter()
	w.AddKV("general.architecture", String("llama"))
	w.AddTensor("t", tensor.F32, []int64{2}, make([]byte, 8))
	var buf bytes.Buffer
	w.WriteTo(&buf)
	b := buf.Bytes()
	binary.LittleEndian.PutUint32(b[4:], 2)
	f, err := Parse(b)
	if err != nil || f.Version != 2 {
		t.Fatalf("v2: version %v, err %v", f, err)
	}
	if s, _ := f.String("general.architecture"); s != "llama" {
		t.Errorf("architecture %q", s)
	}
}
