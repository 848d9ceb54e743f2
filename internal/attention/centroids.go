package attention

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Centroids file (little endian):
//
//	magic "LCSQCENT", version u32 = 1,
//	layers, kvHeads, headDim, prefix, from, to u32, keyHash u64,
//	per layer, per KV head: k u32, k·headDim f32 centers, (to−from) u32 labels,
//	CRC-32C of all of the above, u32.
const (
	centroidMagic   = "LCSQCENT"
	centroidVersion = 1
	centroidHead    = 8 + 4 + 6*4 + 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// centroidHeader is what a centroids file was computed for.
type centroidHeader struct {
	layers, kvHeads, headDim int
	prefix, from, to         int
	keyHash                  uint64
}

func appendCentroids(b []byte, h centroidHeader, heads [][]*clusters) []byte {
	b = append(b, centroidMagic...)
	for _, x := range []int{centroidVersion, h.layers, h.kvHeads, h.headDim, h.prefix, h.from, h.to} {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	b = binary.LittleEndian.AppendUint64(b, h.keyHash)
	for _, layer := range heads {
		for _, cl := range layer {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(cl.start)-1))
			for _, x := range cl.centers {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
			}
			for _, l := range cl.labels {
				b = binary.LittleEndian.AppendUint32(b, uint32(l))
			}
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// parseCentroids reads a centroids file and checks it was computed for
// want.
func parseCentroids(data []byte, want centroidHeader) ([][]*clusters, error) {
	if len(data) < centroidHead+4 || string(data[:8]) != centroidMagic {
		return nil, errors.New("not a centroids file")
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(body):]) {
		return nil, errors.New("centroids file is damaged (checksum mismatch)")
	}
	u32 := func(off int) int { return int(binary.LittleEndian.Uint32(body[off:])) }
	if v := u32(8); v != centroidVersion {
		return nil, fmt.Errorf("centroids file version %d, want %d", v, centroidVersion)
	}
	got := centroidHeader{layers: u32(12), kvHeads: u32(16), headDim: u32(20), prefix: u32(24), from: u32(28), to: u32(32),
		keyHash: binary.LittleEndian.Uint64(body[36:])}
	switch {
	case got.layers != want.layers || got.kvHeads != want.kvHeads || got.headDim != want.headDim:
		return nil, fmt.Errorf("centroids are for %d layers x %d KV heads x %d dims, the model has %d x %d x %d",
			got.layers, got.kvHeads, got.headDim, want.layers, want.kvHeads, want.headDim)
	case got.prefix != want.prefix || got.from != want.from || got.to != want.to:
		return nil, fmt.Errorf("centroids cluster positions [%d, %d) of a %d-position context, this run [%d, %d) of %d",
			got.from, got.to, got.prefix, want.from, want.to, want.prefix)
	case got.keyHash != want.keyHash:
		return nil, errors.New("centroids were computed from other keys (a different context or model) or with other --clusters or --kmeans-iters")
	}
	n, hd := want.to-want.from, want.headDim
	off := centroidHead
	heads := make([][]*clusters, want.layers)
	for l := range heads {
		heads[l] = make([]*clusters, want.kvHeads)
		for g := range heads[l] {
			if len(body)-off < 4 {
				return nil, errors.New("centroids file is truncated")
			}
			k := u32(off)
			off += 4
			if k < 1 || k > n {
				return nil, fmt.Errorf("layer %d KV head %d: %d clusters for %d keys", l, g, k, n)
			}
			if len(body)-off < 4*(k*hd+n) {
				return nil, errors.New("centroids file is truncated")
			}
			centers := make([]float32, k*hd)
			for i := range centers {
				centers[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[off:]))
				off += 4
			}
			labels := make([]int32, n)
			for i := range labels {
				x := u32(off)
				off += 4
				if x >= k {
					return nil, fmt.Errorf("layer %d KV head %d: label %d of %d clusters", l, g, x, k)
				}
				labels[i] = int32(x)
			}
			heads[l][g] = newClusters(centers, labels, k, want.from)
		}
	}
	if off != len(body) {
		return nil, fmt.Errorf("centroids file has %d bytes past its data", len(body)-off)
	}
	return heads, nil
}
