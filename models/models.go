package models

import (
	_ "embed"

	"github.com/longctx/longctx/internal/gguf"
)

// DefaultName names the embedded model in reports.
const DefaultName = "longctx-default (embedded)"

//go:embed longctx-default.gguf
var defaultGGUF []byte

// Default parses the embedded default model. Its tensors alias the
// binary's read-only data, so nothing is copied and nothing needs closing.
func Default() (*gguf.File, error) { return gguf.Parse(defaultGGUF) }
