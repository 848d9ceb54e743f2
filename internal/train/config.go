package train

import (
	"errors"
	"fmt"
)

// Config is the shape of a llama model.
type Config struct {
	Vocab    int     `json:"vocab"`
	Embd     int     `json:"embd"`
	Layers   int     `json:"layers"`
	Heads    int     `json:"heads"`
	KVHeads  int     `json:"kv_heads"`
	FFN      int     `json:"ffn"`
	Ctx      int     `json:"ctx"` // training context length (written as llama.context_length)
	RopeBase float32 `json:"rope_base"`
	RMSEps   float32 `json:"rms_eps"`
	Tied     bool    `json:"tied"` // output projection shares token_embd
}

// HeadDim is the width of one attention head.
func (c Config) HeadDim() int { return c.Embd / c.Heads }

// Validate reports the first impossible field.
func (c Config) Validate() error {
	switch {
	case c.Vocab < 2 || c.Embd < 2 || c.Layers < 1 || c.Heads < 1 || c.KVHeads < 1 || c.FFN < 1:
		return fmt.Errorf("train: config %+v: sizes must be positive", c)
	case c.Vocab > 1<<20 || c.Embd > 1<<16 || c.Layers > 1024 || c.Heads > 1024 || c.FFN > 1<<18 || c.Ctx > 1<<24:
		return fmt.Errorf("train: config %+v is larger than this trainer supports", c)
	case c.Embd%c.Heads != 0:
		return fmt.Errorf("train: embd %d is not a multiple of heads %d", c.Embd, c.Heads)
	case c.Heads%c.KVHeads != 0:
		return fmt.Errorf("train: heads %d is not a multiple of kv_heads %d", c.Heads, c.KVHeads)
	case c.HeadDim()%2 != 0:
		return fmt.Errorf("train: head width %d is odd (RoPE rotates pairs)", c.HeadDim())
	case c.RopeBase <= 1 || c.RMSEps <= 0:
		return errors.New("train: rope_base must be > 1 and rms_eps > 0")
	case c.Ctx < 1:
		return errors.New("train: ctx must be positive")
	}
	return nil
}

// Params counts the trainable parameters.
func (c Config) Params() int {
	hd := c.HeadDim()
	per := 2*c.Embd + 2*c.Embd*c.Heads*hd + 2*c.Embd*c.KVHeads*hd + 3*c.Embd*c.FFN
	n := c.Layers*per + c.Vocab*c.Embd + c.Embd
	if !c.Tied {
		n += c.Vocab * c.Embd
	}
	return n
}
