package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAskOnEmbeddedModel runs the README's main job on a small document:
// an answer line, the summary on stderr, and with --trace the ranked
// sentences, each one of the document's.
func TestAskOnEmbeddedModel(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "doc.txt")
	sentences := []string{"The grass is green.", "The pass key is 4417.", "Remember it.", "The sky is blue."}
	os.WriteFile(doc, []byte(strings.Join(sentences, " ")), 0o644)
	code, stdout, stderr := runMain(t, "", "ask", "-f", doc, "--trace", "2", "What is the pass key?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "prompt tokens") || !strings.Contains(stderr, "longctx-default") {
		t.Errorf("stderr lacks the model line or summary: %s", stderr)
	}
	head, passages, ok := strings.Cut(stdout, "Passages behind the answer")
	if !ok || strings.TrimSpace(head) == "" {
		t.Fatalf("want an answer line then the passages, got %q", stdout)
	}
	found := 0
	for _, s := range sentences {
		if strings.Contains(passages, s) {
			found++
		}
	}
	if found != 2 {
		t.Errorf("want 2 of the document's sentences ranked, found %d in %q", found, passages)
	}
}
