//go:build amd64 && !purego

package kv

func init() {
	if useAVX512 {
		asmVariants = append(asmVariants, asmVariant{"avx2", func() func() {
			useAVX512 = false
			return func() { useAVX512 = true }
		}})
	}
}
