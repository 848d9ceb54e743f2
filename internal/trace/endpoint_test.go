package trace

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeCompletions answers echo requests with one token per space-led word
// of the prompt, token i having log-probability −(i+1)/10, plus extra
// generated tokens that usage.prompt_tokens excludes.
func fakeCompletions(t *testing.T, generated int, nullAt int) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/completions" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "wrong path or key", http.StatusNotFound)
			return
		}
		var req map[string]any
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &req)
		if req["echo"] != true || req["logprobs"] != 0.0 || req["max_tokens"] != 0.0 || req["model"] != "m" {
			http.Error(w, "bad request "+string(body), http.StatusBadRequest)
			return
		}
		prompt := req["prompt"].(string)
		var toks []string
		for i, w := range strings.SplitAfter(prompt, " ") {
			if i > 0 {
				toks[len(toks)-1] = strings.TrimSuffix(toks[len(toks)-1], " ")
				w = " " + w
			}
			toks = append(toks, w)
		}
		if toks[len(toks)-1] == " " || toks[len(toks)-1] == "" {
			toks = toks[:len(toks)-1]
		}
		lps := make([]*float64, len(toks)+generated)
		for i := range lps {
			v := -float64(i+1) / 10
			if i != nullAt {
				lps[i] = &v
			}
		}
		for range generated {
			toks = append(toks, " gen")
		}
		json.NewEncoder(w).Encode(map[string]any{
			"choices": []any{map[string]any{"text": prompt, "logprobs": map[string]any{"tokens": toks, "token_logprobs": lps}}},
			"usage":   map[string]any{"prompt_tokens": len(toks) - generated},
		})
	}))
}

func TestEndpointLogProb(t *testing.T) {
	ctx := context.Background()
	hs := fakeCompletions(t, 2, 0) // the first token (BOS-like) has no log-probability
	defer hs.Close()
	ep := &Endpoint{BaseURL: hs.URL + "/", Model: "m", APIKey: "k"}
	// Tokens: "Doc", " text", " Answer:", " Paris", " France" → the answer is the last two.
	got, err := ep.LogProb(ctx, "Doc text Answer:", " Paris France")
	if err != nil {
		t.Fatal(err)
	}
	if want := -0.4 - 0.5; math.Abs(got-want) > 1e-12 {
		t.Fatalf("log-prob %g, want %g", got, want)
	}
	// A token straddling the join counts whole.
	if got, _ = ep.LogProb(ctx, "Doc text Answer: Par", "is France"); math.Abs(got-(-0.4-0.5)) > 1e-12 {
		t.Fatalf("straddling join: %g", got)
	}
	if _, err := ep.LogProb(ctx, "", "whole prompt is answer"); err == nil || !strings.Contains(err.Error(), "no log-probability") {
		t.Fatalf("a null log-probability inside the answer: %v", err)
	}
	if ep.Calls() != 3 {
		t.Fatalf("%d calls", ep.Calls())
	}
	bad := &Endpoint{BaseURL: hs.URL, Model: "m", APIKey: "wrong"}
	if _, err := bad.LogProb(ctx, "a", " b"); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("HTTP error: %v", err)
	}
	noLP := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"choices":[{"text":"x","logprobs":null}]}`)
	}))
	defer noLP.Close()
	if _, err := (&Endpoint{BaseURL: noLP.URL}).LogProb(ctx, "a", " b"); err == nil || !strings.Contains(err.Error(), "no logprobs") {
		t.Fatalf("missing logprobs: %v", err)
	}
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>") }))
	defer garbage.Close()
	if _, err := (&Endpoint{BaseURL: garbage.URL}).LogProb(ctx, "a", " b"); err == nil {
		t.Fatal("a non-JSON answer was accepted")
	}
}
