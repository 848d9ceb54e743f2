package kv

import (
	"flag"
	"io"
	"path/filepath"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"1048576", 1 << 20}, {"512MiB", 512 << 20}, {"4GiB", 4 << 30}, {"2G", 2 << 30},
		{"100KB", 100000}, {"1.5 GiB", 3 << 29}, {"7b", 7}, {"3k", 3 << 10},
	} {
		if got, err := ParseBytes(c.in); err != nil || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "GiB", "-1M", "x", "NaN", "1e30T"} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) accepted", bad)
		}
	}
}

func TestConfigFlags(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.RegisterFlags(fs)
	if c != DefaultConfig() {
		t.Fatalf("defaults %+v", c)
	}
	if err := fs.Parse([]string{"--kv-type", "q8_0", "--kv-ram", "64MiB", "--kv-block", "128", "--kv-save", "a.kv", "--kv-load", "b.kv", "--kv-spill", "s"}); err != nil {
		t.Fatal(err)
	}
	want := Config{Type: tensor.Q8_0, BlockSize: 128, RAM: 64 << 20, SpillPath: "s", Save: "a.kv", Load: "b.kv"}
	if c != want {
		t.Fatalf("parsed %+v, want %+v", c, want)
	}
	for _, args := range [][]string{{"--kv-type", "q4_k"}, {"--kv-type", "q3"}, {"--kv-ram", "lots"}} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var c Config
		c.RegisterFlags(fs)
		if err := fs.Parse(args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	for _, bad := range []Config{{Type: tensor.Q8_0, BlockSize: 48}, {Type: tensor.F16, BlockSize: 2048}, {Type: tensor.F16, BlockSize: 1 << 30}, {Type: tensor.Q4_K, BlockSize: 256}, {Type: tensor.F16, BlockSize: 256, RAM: -1}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v valid", bad)
		}
	}
}

func TestConfigNewPoolAndOpenSeq(t *testing.T) {
	c := DefaultConfig()
	c.Type, c.RAM = tensor.Q4_0, 1
	p, err := c.NewPool(2, 2, 32, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Shape().ElemType != tensor.Q4_0 || p.BlockSize() != DefaultBlockSize {
		t.Fatalf("pool %+v block %d", p.Shape(), p.BlockSize())
	}
	s, tokens, err := c.OpenSeq(p, "m")
	if err != nil || tokens != nil || s.Len() != 0 {
		t.Fatalf("OpenSeq without --kv-load: %v %v %d", err, tokens, s.Len())
	}
	x := make([]float32, 64)
	for l := 0; l < 2; l++ {
		if err := s.Store(l, 0, x, x, 1); err != nil {
			t.Fatal(err)
		}
	}
	c.Load = filepath.Join(t.TempDir(), "p.kv")
	if err := s.SaveFile(c.Load, "m", []int32{7}); err != nil {
		t.Fatal(err)
	}
	s2, tokens, err := c.OpenSeq(p, "m")
	if err != nil || len(tokens) != 1 || tokens[0] != 7 || s2.Len() != 1 {
		t.Fatalf("OpenSeq with --kv-load: %v %v", err, tokens)
	}
	if st := p.Stats(); st.Spilled == 0 {
		t.Errorf("a 1-byte RAM budget spilled nothing: %+v", st)
	}
}
