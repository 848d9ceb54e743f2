package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/longctx/longctx/internal/parallel"
)

// naiveGemm is c + a·b in float64.
func naiveGemm(m, n, k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := range m {
		for j := range n {
			s := float64(c[i*ldc+j])
			for x := range k {
				s += float64(a[i*ars+x*acs]) * float64(b[x*ldb+j])
			}
			out[i*n+j] = s
		}
	}
	return out
}

// TestGemm checks gemm (the assembly tile where the CPU has it, Go at the
// edges) against float64 sums: tile-sized and ragged shapes, a transposed
// a, strides wider than the rows, sums longer than gemmDepth.
func TestGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct{ m, n, k int }{
		{4, 16, 1}, {4, 16, 32}, {8, 32, 7}, {1, 1, 1}, {3, 15, 5}, {5, 17, 9}, {13, 40, 33}, {64, 48, 600}, {6, 16, 257},
	} {
		for _, trans := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%dx%d/trans=%v", s.m, s.n, s.k, trans), func(t *testing.T) {
				ars, acs := s.k+3, 1
				if trans {
					ars, acs = 1, s.m+2
				}
				a := randVec(r, (s.m-1)*ars+(s.k-1)*acs+1, 1)
				ldb, ldc := s.n+5, s.n+2
				b := randVec(r, (s.k-1)*ldb+s.n, 1)
				c := randVec(r, (s.m-1)*ldc+s.n, 1)
				want := naiveGemm(s.m, s.n, s.k, a, ars, acs, b, ldb, c, ldc)
				orig := slices.Clone(c)
				gemm(s.m, s.n, s.k, a, ars, acs, b, ldb, c, ldc)
				for i := range s.m {
					for j := range ldc {
						idx := i*ldc + j
						if idx >= len(c) {
							break
						}
						if j >= s.n {
							if c[idx] != orig[idx] {
								t.Fatalf("c[%d][%d] outside the product changed", i, j)
							}
							continue
						}
						w := want[i*s.n+j]
						if d := math.Abs(float64(c[idx]) - w); d > 1e-5*math.Sqrt(float64(s.k))*max(1, math.Abs(w)) {
							t.Fatalf("c[%d][%d] = %g, want %g", i, j, c[idx], w)
						}
					}
				}
			})
		}
	}
}

// TestPgemmIndependentOfThreads checks that splitting over workers gives
// the same bits as one worker: tiles and edges fall on the same elements.
func TestPgemmIndependentOfThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	defer parallel.SetThreads(parallel.Threads())
	for _, s := range []struct{ m, n, k int }{{70, 50, 40}, {9, 200, 30}, {300, 24, 17}} {
		a, b := randVec(r, s.m*s.k, 1), randVec(r, s.k*s.n, 1)
		var first []float32
		for _, threads := range []int{1, 2, 3, 5} {
			parallel.SetThreads(threads)
			c := make([]float32, s.m*s.n)
			pgemm(s.m, s.n, s.k, a, s.k, 1, b, s.n, c, s.n)
			if first == nil {
				first = c
			} else if !slices.Equal(first, c) {
				t.Fatalf("%v: %d threads differ from 1", s, threads)
			}
		}
	}
}

// naiveAttention is causal attention and its gradients in float64, one
// (sequence, head) at a time, straight from the definitions.
func naiveAttention(q, k, v, do []float32, a attnShape) (out, dq, dk, dv []float64) {
	qd, kd, hd := a.qDim(), a.kvDim(), a.hd
	rows := len(q) / qd
	out, dq = make([]float64, rows*qd), make([]float64, rows*qd)
	dk, dv = make([]float64, rows*kd), make([]float64, rows*kd)
	scale := 1 / math.Sqrt(float64(hd))
	for _, sg := range a.segs {
		for h := range a.heads {
			g := a.kvHead(h)
			qi := func(i, c int) float64 { return float64(q[(sg.start+i)*qd+h*hd+c]) }
			kj := func(j, c int) float64 { return float64(k[(sg.start+j)*kd+g*hd+c]) }
			vj := func(j, c int) float64 { return float64(v[(sg.start+j)*kd+g*hd+c]) }
			for i := range sg.n {
				p := make([]float64, i+1)
				mx := math.Inf(-1)
				for j := range p {
					for c := range hd {
						p[j] += qi(i, c) * kj(j, c)
					}
					p[j] *= scale
					mx = max(mx, p[j])
				}
				var sum float64
				for j := range p {
					p[j] = math.Exp(p[j] - mx)
					sum += p[j]
				}
				o := out[(sg.start+i)*qd+h*hd:]
				for j := range p {
					p[j] /= sum
					for c := range hd {
						o[c] += p[j] * vj(j, c)
					}
				}
				// dP_j = dO·v_j; dS_j = P_j (dP_j − Σ P dP).
				doi := do[(sg.start+i)*qd+h*hd:]
				dp := make([]float64, i+1)
				var dot float64
				for j := range p {
					for c := range hd {
						dp[j] += float64(doi[c]) * vj(j, c)
					}
					dot += p[j] * dp[j]
				}
				for j := range p {
					ds := p[j] * (dp[j] - dot) * scale
					for c := range hd {
						dq[(sg.start+i)*qd+h*hd+c] += ds * kj(j, c)
						dk[(sg.start+j)*kd+g*hd+c] += ds * qi(i, c)
						dv[(sg.start+j)*kd+g*hd+c] += p[j] * float64(doi[c])
					}
				}
			}
		}
	}
	return out, dq, dk, dv
}

// TestAttentionMatchesNaive checks the blocked attention and its backward
// pass against naiveAttention on lengths around the block sizes, head
// sizes that are and are not whole tiles, with GQA and packed sequences,
// and that the thread count does not change a bit.
func TestAttentionMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for _, tc := range []struct {
		heads, kvHeads, hd int
		lens               []int
	}{
		{4, 4, 32, []int{1, 16, 17}},
		{4, 2, 32, []int{40, 7}},
		{2, 1, 64, []int{33}},
		{2, 2, 8, []int{50}},
		{3, 1, 24, []int{31, 2}},
		{4, 4, 32, []int{200}},
	} {
		var segs []segment
		rows := 0
		for _, n := range tc.lens {
			segs = append(segs, segment{rows, n})
			rows += n
		}
		a := attnShape{heads: tc.heads, kvHeads: tc.kvHeads, hd: tc.hd, segs: segs}
		t.Run(fmt.Sprintf("h%d-kv%d-hd%d-%v", tc.heads, tc.kvHeads, tc.hd, tc.lens), func(t *testing.T) {
			q, k, v := randVec(r, rows*a.qDim(), 1), randVec(r, rows*a.kvDim(), 1), randVec(r, rows*a.kvDim(), 1)
			do := randVec(r, rows*a.qDim(), 1)
			out, lse := make([]float32, rows*a.qDim()), make([]float32, rows*a.heads)
			attention(out, lse, q, k, v, a)
			dq, dk, dv := make([]float32, rows*a.qDim()), make([]float32, rows*a.kvDim()), make([]float32, rows*a.kvDim())
			attentionBack(dq, dk, dv, do, out, lse, q, k, v, a, make([]float32, 2*a.heads*rows*a.hd))
			wo, wdq, wdk, wdv := naiveAttention(q, k, v, do, a)
			// Other thread counts give the same bits.
			defer parallel.SetThreads(parallel.Threads())
			for _, threads := range []int{1, 3} {
				parallel.SetThreads(threads)
				o2, l2 := make([]float32, len(out)), make([]float32, len(lse))
				attention(o2, l2, q, k, v, a)
				q2, k2, v2 := make([]float32, len(dq)), make([]float32, len(dk)), make([]float32, len(dv))
				attentionBack(q2, k2, v2, do, o2, l2, q, k, v, a, make([]float32, 2*a.heads*rows*a.hd))
				if !slices.Equal(o2, out) || !slices.Equal(l2, lse) || !slices.Equal(q2, dq) || !slices.Equal(k2, dk) || !slices.Equal(v2, dv) {
					t.Fatalf("%d threads give other bits than the default count", threads)
				}
			}
			for _, c := range []struct {
				name string
				got  []float32
				want []float64
			}{{"out", out, wo}, {"dq", dq, wdq}, {"dk", dk, wdk}, {"dv", dv, wdv}} {
				for i, w := range c.want {
					if d := math.Abs(float64(c.got[i]) - w); d > 1e-4*max(1, math.Abs(w)) {
						t.Fatalf("%s[%d] = %g, want %g", c.name, i, c.got[i], w)
					}
				}
			}
		})
	}
}
