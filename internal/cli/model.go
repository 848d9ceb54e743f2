package cli

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/models"
)

// modelFlags choose the model (-m, or the embedded default) and adjust how
// it runs (RoPE scaling), for every command that loads one.
type modelFlags struct {
	path       string
	ropeType   string
	ropeFactor float64
	pack       bool
}

func addModelFlags(fs *flag.FlagSet) *modelFlags {
	m := &modelFlags{}
	fs.StringVar(&m.path, "m", "", "model `file` (GGUF; default: the embedded longctx-default model)")
	fs.StringVar(&m.ropeType, "rope-scaling", "", "override the file's RoPE scaling: none, linear, ntk or yarn")
	fs.Float64Var(&m.ropeFactor, "rope-factor", 0, "context extension factor for --rope-scaling")
	fs.BoolVar(&m.pack, "pack-weights", true, "re-lay the weights out row-interleaved at load (faster decode, one stream or many); false computes from the file's layout")
	return m
}

// name is how reports name the model.
func (m *modelFlags) name() string {
	if m.path == "" {
		return models.DefaultName
	}
	return filepath.Base(m.path)
}

// openFile maps the chosen model file (or parses the embedded one).
func (m *modelFlags) openFile() (*gguf.File, error) {
	if m.path == "" {
		return models.Default()
	}
	return gguf.Open(m.path)
}

// open loads the engine and applies the RoPE override. With log set it
// prints one line saying which model runs with which RoPE.
func (m *modelFlags) open(log io.Writer) (*engine.Engine, error) {
	if m.ropeFactor != 0 && m.ropeType == "" {
		return nil, fmt.Errorf("%w: --rope-factor needs --rope-scaling", errUsage)
	}
	f, err := m.openFile()
	if err != nil {
		return nil, err
	}
	e, err := engine.New(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", m.name(), err)
	}
	if m.ropeType != "" {
		if err := e.Model.SetRopeScaling(m.ropeType, float32(m.ropeFactor)); err != nil {
			e.Close()
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if m.pack {
		if _, err := e.Model.PackWeights(); err != nil {
			e.Close()
			return nil, err
		}
	}
	if log != nil {
		c := &e.Model.Config
		fmt.Fprintf(log, "model %s: %s, %d layers, %.1f MiB; trained ctx %d, %s\n",
			m.name(), c.Arch, c.Layers, float64(e.Model.Bytes())/(1<<20), c.CtxTrain, c.RopeString())
	}
	return e, nil
}

// loadModel is open for commands that need only the model.
func (m *modelFlags) loadModel() (*gguf.File, *model.Model, error) {
	f, err := m.openFile()
	if err != nil {
		return nil, nil, err
	}
	mod, err := model.Load(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", m.name(), err)
	}
	if m.ropeType != "" {
		if err := mod.SetRopeScaling(m.ropeType, float32(m.ropeFactor)); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	return f, mod, nil
}
