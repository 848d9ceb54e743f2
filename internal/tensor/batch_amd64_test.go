//go:build amd64 && !purego

package tensor

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestInterleave checks each batch kernel's interleave (used by Pack and
// on weights in the file layout) against the Go packer of the same
// layout, with row strides wider than the rows.
func TestInterleave(t *testing.T) {
	refs := map[Type]func(dst, src []byte, rowB, nb int){Q8_0: packQ8_0X8, Q4_0: packQ4_0X8}
	r := rand.New(rand.NewPCG(35, 36))
	for typ, bk := range batchKernels {
		if bk == nil || bk.interleave == nil {
			continue
		}
		ref := refs[Type(typ)]
		if ref == nil {
			t.Fatalf("%s: no reference packer", Type(typ))
		}
		for _, nb := range []int{1, 2, 7} {
			rowB := nb*Type(typ).TypeSize() + 5
			src := make([]byte, 8*rowB)
			for i := range src {
				src[i] = byte(r.Uint32())
			}
			want := make([]byte, nb*bk.blockBytes)
			got := make([]byte, nb*bk.blockBytes)
			ref(want, src, rowB, nb)
			bk.interleave(got, src, rowB, nb)
			if !bytes.Equal(got, want) {
				t.Errorf("%s nb=%d: interleaved rows differ from the packer's", Type(typ), nb)
			}
		}
	}
}
