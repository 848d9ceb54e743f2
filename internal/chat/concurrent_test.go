package chat

import (
	"sync"
	"testing"
)

// TestConcurrentRender renders one parsed template from several goroutines;
// run with -race to check the engine shares nothing mutable between renders.
func TestConcurrentRender(t *testing.T) {
	tpl := loadTemplate(t, qwen3.file)
	want, err := tpl.Render(conversations["think-history"], Options{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				got, err := tpl.Render(conversations["think-history"], Options{AddGenerationPrompt: true})
				if err != nil || got != want {
					t.Errorf("concurrent render = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
