package attention

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

// k-means finds well-separated clusters exactly, whatever the seed, and
// is deterministic.
func TestKMeansSeparable(t *testing.T) {
	const d, per, k = 8, 50, 4
	r := rand.New(rand.NewPCG(2, 2))
	var x []float32
	var truth []int
	for c := range k {
		for range per {
			for i := range d {
				v := float32(r.NormFloat64() * 0.5)
				if i == c {
					v += 10
				}
				if i == c+4 {
					v -= 10
				}
				x = append(x, v)
			}
			truth = append(truth, c)
		}
	}
	for seed := range uint64(5) {
		centers, labels := kmeans(x, k*per, d, k, 50, seed)
		mapping := map[int32]int{}
		for i, l := range labels {
			if c, ok := mapping[l]; ok && c != truth[i] {
				t.Fatalf("seed %d: label %d holds clusters %d and %d", seed, l, c, truth[i])
			}
			mapping[l] = truth[i]
		}
		if len(mapping) != k {
			t.Fatalf("seed %d: %d labels for %d clusters", seed, len(mapping), k)
		}
		for l, c := range mapping {
			if v := centers[int(l)*d+c]; math.Abs(float64(v)-10) > 0.3 {
				t.Errorf("seed %d: center of cluster %d has %g along its axis, want about 10", seed, c, v)
			}
		}
		c2, l2 := kmeans(x, k*per, d, k, 50, seed)
		if !slices.Equal(centers, c2) || !slices.Equal(labels, l2) {
			t.Fatalf("seed %d: k-means is not deterministic", seed)
		}
	}
}

// clusteredStream is a stream whose first 280 keys, as stored (rotated),
// are 4 interleaved clusters around orthogonal directions, and whose query
// of head 0 at position 300 points at cluster 2.
func clusteredStream(seed uint64) *stream {
	g := geom{layers: 2, heads: 2, kvHeads: 1, hd: 32, ctx: 400}
	s := newStream(g, g.ctx, seed)
	r := rand.New(rand.NewPCG(seed, 9))
	for l := range g.layers {
		for j := range 280 {
			k := s.k[l][j*32 : (j+1)*32]
			for i := range k {
				k[i] = float32(r.NormFloat64() * 0.3)
			}
			k[j%4] += 6 // direction of cluster j%4 (as stored)
			testRope{}.rotate(k, 1, 32, -float64(j))
		}
		q := s.q[l][300*64 : 300*64+32]
		clear(q)
		q[2] = 3
		testRope{}.rotate(q, 1, 32, -300)
	}
	return s
}

func squeezedConfig(path string) Config {
	cfg := DefaultConfig()
	cfg.Name, cfg.Budget, cfg.Window, cfg.FixedPrefix = Squeezed, 70+20, 20, 300
	cfg.Clusters, cfg.Centroids = 4.5/280, path // 4 clusters
	return cfg
}

// A head whose query points at one cluster attends to exactly that
// cluster, the observation window and what follows the fixed context.
func TestSqueezedPicksCluster(t *testing.T) {
	s := clusteredStream(40)
	c, err := Wrap(squeezedConfig(""), s.g.cache(t, tensor.F32), s.g.info())
	if err != nil {
		t.Fatal(err)
	}
	prefill(t, s, c, 300, 100)
	if c.(*maskCache).squeeze.built {
		t.Fatalf("clustered before the fixed context was complete")
	}
	out := s.run(t, c, 300, 301)
	sq := c.(*maskCache).layers[0].(*squeezed)
	var want []int
	for j := 2; j < 280; j += 4 {
		want = append(want, j)
	}
	spans := addRuns(nil, want)
	spans = addSpan(spans, 280, 301)
	if !slices.Equal(sq.spans[0], spans) {
		t.Fatalf("head 0 attends %v, want cluster 2 %v", sq.spans[0], spans)
	}
	for l := range s.g.layers {
		for h := range s.g.heads {
			checkOutput(t, s, out[l], l, h, 300, c.(*maskCache).layers[l].(*squeezed).spans[h], 1e-5)
		}
	}
	if r := c.(Reporter).Report(); r.Layers[0].Blocks != 1 || r.PolicyBytes == 0 {
		t.Errorf("report: %d clusters per head, policy bytes %d", int(r.Layers[0].Blocks), r.PolicyBytes)
	}
}

// Centroids are saved after clustering, loaded by a later run (same
// attention), and refused when damaged or computed from other keys.
func TestCentroidsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.bin")
	s := clusteredStream(41)
	clusters := 0.0 // the default config's
	run := func(s *stream, path string) ([]float32, *squeezeState, error) {
		cfg := squeezedConfig(path)
		if clusters > 0 {
			cfg.Clusters = clusters
		}
		c, err := Wrap(cfg, s.g.cache(t, tensor.F32), s.g.info())
		if err != nil {
			t.Fatal(err)
		}
		prefill(t, s, c, 300, 100)
		out := make([]float32, 2*32)
		q := rotated(s.q[0], 300, 301, 2, 32)
		k := rotated(s.k[0], 300, 301, 1, 32)
		if err := c.Store(0, 300, k, s.v[0][300*32:], 1); err != nil {
			t.Fatal(err)
		}
		err = c.Attend(0, 300, q, 1, 2, 0.17, out)
		return out, c.(*maskCache).squeeze, err
	}
	first, st1, err := run(s, path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("centroids not saved: %v", err)
	}
	second, st2, err := run(s, path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, second) {
		t.Fatal("attention with loaded centroids differs")
	}
	for l := range st1.heads {
		for g := range st1.heads[l] {
			a, b := st1.heads[l][g], st2.heads[l][g]
			if !slices.Equal(a.centers, b.centers) || !slices.Equal(a.labels, b.labels) || !slices.Equal(a.members, b.members) {
				t.Fatalf("layer %d KV head %d: loaded clusters differ", l, g)
			}
		}
	}
	// Damaged: one flipped byte anywhere.
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 1
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(s, path); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged file: %v", err)
	}
	// Other keys.
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(clusteredStream(42), path); err == nil || !strings.Contains(err.Error(), "other keys") {
		t.Errorf("file of another context: %v", err)
	}
	// Other clustering settings.
	clusters = 0.2
	if _, _, err := run(s, path); err == nil || !strings.Contains(err.Error(), "--clusters") {
		t.Errorf("file made with other --clusters: %v", err)
	}
}

func TestParseCentroidsErrors(t *testing.T) {
	want := centroidHeader{layers: 1, kvHeads: 1, headDim: 2, prefix: 10, from: 0, to: 4, keyHash: 7}
	cl := newClusters([]float32{1, 2, 3, 4}, []int32{0, 1, 1, 0}, 2, 0)
	good := appendCentroids(nil, want, [][]*clusters{{cl}})
	if _, err := parseCentroids(good, want); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want centroidHeader
		err  string
	}{
		{"empty", nil, want, "not a centroids file"},
		{"truncated", good[:len(good)-9], want, "damaged"},
		{"other shape", good, centroidHeader{layers: 2, kvHeads: 1, headDim: 2, prefix: 10, to: 4, keyHash: 7}, "layers"},
		{"other prefix", good, centroidHeader{layers: 1, kvHeads: 1, headDim: 2, prefix: 11, to: 4, keyHash: 7}, "context"},
		{"label out of range", appendCentroids(nil, want, [][]*clusters{{{centers: []float32{1, 2, 3, 4}, labels: []int32{0, 1, 5, 0}, start: make([]int32, 3)}}}), want, "label 5"},
		{"no clusters", appendCentroids(nil, want, [][]*clusters{{{start: make([]int32, 1), labels: []int32{0, 0, 0, 0}}}}), want, "0 clusters"},
	} {
		if _, err := parseCentroids(c.data, c.want); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.err)
		}
	}
}

// FuzzParseCentroids: any bytes give clusters or an error, never a panic.
func FuzzParseCentroids(f *testing.F) {
	want := centroidHeader{layers: 1, kvHeads: 2, headDim: 2, prefix: 10, from: 1, to: 5, keyHash: 3}
	cl := newClusters([]float32{1, 2, 3, 4}, []int32{0, 1, 1, 0}, 2, 1)
	f.Add(appendCentroids(nil, want, [][]*clusters{{cl, cl}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		heads, err := parseCentroids(data, want)
		if err == nil && (len(heads) != 1 || len(heads[0]) != 2) {
			t.Fatalf("parsed %d layers", len(heads))
		}
	})
}
