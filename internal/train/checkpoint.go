package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
)

// Checkpoint layout: magic, uint32 length of a JSON State, the State, then
// per tensor (Model.Tensors order) its weights, first and second moments
// as little-endian float32, then a CRC-32 (IEEE) of everything before it.
const ckptMagic = "LCTXCKP1"

// maxHeader bounds the JSON header (the loss history dominates it).
const maxHeader = 64 << 20

// Save writes a checkpoint atomically: a temporary file in the same
// directory, fsynced, renamed over path, and the directory fsynced, so a
// crash leaves either the old or the new checkpoint, never a torn one.
func (t *Trainer) Save(path string) error {
	hdr, err := json.Marshal(t.State)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("train: saving checkpoint %s: %w", path, err)
	}
	crc := crc32.NewIEEE()
	w := io.MultiWriter(f, crc)
	var buf bytes.Buffer
	buf.WriteString(ckptMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(len(hdr)))
	buf.Write(hdr)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fail(err)
	}
	for i, tn := range t.Model.Tensors {
		for _, x := range [][]float32{tn.W, t.opt.m[i], t.opt.v[i]} {
			if _, err := w.Write(floatBytes(x)); err != nil {
				return fail(err)
			}
		}
	}
	if err := binary.Write(f, binary.LittleEndian, crc.Sum32()); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("train: saving checkpoint %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("train: saving checkpoint %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func floatBytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// Load resumes a run from a checkpoint written by Save.
func Load(path string, data DataFunc) (*Trainer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := parseCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	t.Data = data
	return t, nil
}

func parseCheckpoint(b []byte) (*Trainer, error) {
	if len(b) < len(ckptMagic)+8 || string(b[:len(ckptMagic)]) != ckptMagic {
		return nil, errors.New("not a longctx training checkpoint (bad magic)")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("checksum mismatch (truncated or corrupted)")
	}
	off := len(ckptMagic)
	n := int(binary.LittleEndian.Uint32(body[off:]))
	off += 4
	if n > maxHeader || n > len(body)-off {
		return nil, fmt.Errorf("header length %d exceeds the file", n)
	}
	var st State
	if err := json.Unmarshal(body[off:off+n], &st); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	off += n
	if err := st.Cfg.Validate(); err != nil {
		return nil, err
	}
	if err := st.Hyper.Validate(); err != nil {
		return nil, err
	}
	if st.Step < 0 || st.Step != len(st.Losses) {
		return nil, fmt.Errorf("step %d does not match %d recorded losses", st.Step, len(st.Losses))
	}
	// Bound the size before allocating a model from an untrusted config.
	if need := 3 * 4 * int64(st.Cfg.Params()); need != int64(len(body)-off) {
		return nil, fmt.Errorf("config %+v needs %d bytes of tensors, file has %d", st.Cfg, need, len(body)-off)
	}
	m := newModel(st.Cfg)
	opt := newAdam(m)
	for i, tn := range m.Tensors {
		for _, x := range [][]float32{tn.W, opt.m[i], opt.v[i]} {
			for j := range x {
				x[j] = math.Float32frombits(binary.LittleEndian.Uint32(body[off:]))
				off += 4
			}
		}
	}
	return &Trainer{State: st, Model: m, opt: opt}, nil
}
