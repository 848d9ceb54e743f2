//go:build !linux

package hugemem

func mapHuge(n int) (b []byte, release func(), ok bool) { return nil, nil, false }
