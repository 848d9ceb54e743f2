package enginetest

import (
	"sync"
	"testing"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/models"
)

var (
	once sync.Once
	eng  *engine.Engine
	err  error
)

// Default returns the embedded default model's engine, failing t if it
// cannot be loaded.
func Default(t testing.TB) *engine.Engine {
	t.Helper()
	once.Do(func() {
		f, ferr := models.Default()
		if ferr != nil {
			err = ferr
			return
		}
		eng, err = engine.New(f)
	})
	if err != nil {
		t.Fatalf("default model: %v", err)
	}
	return eng
}
