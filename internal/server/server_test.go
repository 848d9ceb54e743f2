package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tensor"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type completionResp struct {
	Choices []struct {
		Text         string              `json:"text"`
		FinishReason string              `json:"finish_reason"`
		Logprobs     *completionLogprobs `json:"logprobs"`
	} `json:"choices"`
	Usage struct {
		PromptTokens        int `json:"prompt_tokens"`
		CompletionTokens    int `json:"completion_tokens"`
		TotalTokens         int `json:"total_tokens"`
		PromptTokensDetails *struct {
			CachedTokens int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
}

func TestCompletionMatchesSingleSequenceEngine(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, tc := range []struct {
		prompt string
		temp   float32
		seed   uint64
	}{
		{"hello world", 0, 0},
		{"the quick brown fox", 0, 0},
		{"sampled with a seed", 0.9, 42},
	} {
		want := reference(t, tc.prompt, 12, tc.temp, tc.seed)
		body := fmt.Sprintf(`{"model":"tiny","prompt":%q,"max_tokens":12,"temperature":%g,"seed":%d}`, tc.prompt, tc.temp, tc.seed)
		code, _, b := post(t, ts.URL+"/v1/completions", body)
		if code != 200 {
			t.Fatalf("%s: HTTP %d %s", tc.prompt, code, b)
		}
		var got completionResp
		mustJSON(t, b, &got)
		c := got.Choices[0]
		if c.Text != jsonText(want.text) || c.FinishReason != "length" && c.FinishReason != want.reason {
			t.Errorf("%q: got %q (%s), engine alone gives %q (%s)", tc.prompt, c.Text, c.FinishReason, want.text, want.reason)
		}
		ids, _ := tinyEngine(t).Tokenizer.Encode(tc.prompt, true, false)
		if got.Usage.PromptTokens != len(ids) || got.Usage.CompletionTokens != want.tokens ||
			got.Usage.TotalTokens != len(ids)+want.tokens || got.Usage.PromptTokensDetails == nil {
			t.Errorf("%q: usage %+v, want prompt %d completion %d", tc.prompt, got.Usage, len(ids), want.tokens)
		}
	}
	waitIdle(t, ts.Server, 2e9)
}

// sseEvents reads an SSE body into its data payloads.
func sseEvents(t testing.TB, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		d, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("not an SSE data line: %q", line)
		}
		out = append(out, d)
	}
	return out
}

func TestCompletionStreamEqualsNonStream(t *testing.T) {
	ts := newTestServer(t, Config{})
	want := reference(t, "stream me", 10, 0, 0)
	code, hdr, b := post(t, ts.URL+"/v1/completions",
		`{"model":"tiny","prompt":"stream me","max_tokens":10,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}`)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("HTTP %d %s: %s", code, hdr.Get("Content-Type"), b)
	}
	evs := sseEvents(t, bytes.NewReader(b))
	if evs[len(evs)-1] != "[DONE]" {
		t.Fatalf("stream does not end with [DONE]: %q", evs)
	}
	var text strings.Builder
	var finish string
	var usageSeen int
	for _, e := range evs[:len(evs)-1] {
		var c completionResp
		mustJSON(t, []byte(e), &c)
		if len(c.Choices) == 0 {
			usageSeen = c.Usage.CompletionTokens
			continue
		}
		text.WriteString(c.Choices[0].Text)
		if c.Choices[0].FinishReason != "" {
			finish = c.Choices[0].FinishReason
		}
	}
	if text.String() != jsonText(want.text) || finish != "length" || usageSeen != want.tokens {
		t.Errorf("stream gave %q (%s, usage %d), want %q (length, %d)", text.String(), finish, usageSeen, want.text, want.tokens)
	}
}

func TestTokenizeMatchesLlamaCpp(t *testing.T) {
	ts := newTestServer(t, Config{})
	raw, err := os.ReadFile(filepath.Join(fixtures, "golden", "tokenize-tiny.tsv"))
	if err != nil {
		t.Fatalf("golden %v", err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		text, idsField, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		text, err := strconv.Unquote(`"` + text + `"`)
		if err != nil {
			continue
		}
		var want []int32
		for _, f := range strings.Fields(strings.NewReplacer(",", " ", "[", " ", "]", " ").Replace(idsField)) {
			v, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("golden line %q: %v", line, err)
			}
			want = append(want, int32(v))
		}
		body, _ := json.Marshal(map[string]any{"content": text, "prompt": text, "model": "tiny"})
		code, _, b := post(t, ts.URL+"/tokenize", string(body))
		var got struct {
			Tokens      []int32 `json:"tokens"`
			Count       int     `json:"count"`
			MaxModelLen int     `json:"max_model_len"`
		}
		mustJSON(t, b, &got)
		if code != 200 || fmt.Sprint(got.Tokens) != fmt.Sprint(want) || got.Count != len(want) || got.MaxModelLen != 1024 {
			t.Errorf("tokenize %q: HTTP %d %+v, llama.cpp gives %v", text, code, got, want)
		}
		ids, _ := json.Marshal(map[string]any{"tokens": want[1:]}) // without BOS
		code, _, b = post(t, ts.URL+"/detokenize", string(ids))
		var dt struct{ Prompt, Content string }
		mustJSON(t, b, &dt)
		if code != 200 || strings.TrimPrefix(strings.ReplaceAll(dt.Prompt, "▁", " "), " ") != text || dt.Content != dt.Prompt {
			t.Errorf("detokenize %v: HTTP %d %+v, want %q", want[1:], code, dt, text)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no golden lines parsed")
	}
}

// Completions logprobs' text_offset indexes the returned text: with echo
// the prompt's tokens where their decoded text starts (BOS takes none;
// the fixture's vocabulary spells the dummy prefix in byte tokens, so its
// decoding is not the prompt's text), the generated ones from the
// prompt's end, where their pieces are; offsets
// never decrease; a stream gives the same offsets, and arrays (not null)
// in every chunk.
func TestCompletionTextOffsets(t *testing.T) {
	ts := newTestServer(t, Config{})
	const prompt = "Hello world, the cat"
	body := `{"prompt":"` + prompt + `","max_tokens":5,"temperature":0,"echo":true,"logprobs":1`
	code, _, b := post(t, ts.URL+"/v1/completions", body+`}`)
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, b)
	}
	var r completionResp
	mustJSON(t, b, &r)
	text, lp := r.Choices[0].Text, r.Choices[0].Logprobs
	if lp == nil || len(lp.TextOffset) != len(lp.Tokens) || r.Usage.PromptTokens+r.Usage.CompletionTokens != len(lp.Tokens) {
		t.Fatalf("logprobs %+v, usage %+v", lp, r.Usage)
	}
	np := r.Usage.PromptTokens
	for i, off := range lp.TextOffset {
		if off < 0 || off > len(text) || (i > 0 && off < lp.TextOffset[i-1]) {
			t.Fatalf("offsets %v for text %q of %d bytes", lp.TextOffset, text, len(text))
		}
	}
	if lp.TextOffset[0] != 0 || lp.TextOffset[np] != len(prompt) || !strings.HasPrefix(text, prompt) {
		t.Errorf("offsets %v: BOS at 0, the first generated token at %d (text %q)", lp.TextOffset, len(prompt), text)
	}
	// Generated tokens sit where their pieces are in the text.
	for i := np; i < len(lp.Tokens); i++ {
		if !strings.HasPrefix(text[lp.TextOffset[i]:], lp.Tokens[i]) {
			t.Errorf("generated token %q at offset %d: text there is %q", lp.Tokens[i], lp.TextOffset[i], text[lp.TextOffset[i]:])
		}
	}

	code, _, b = post(t, ts.URL+"/v1/completions", body+`,"stream":true}`)
	if code != 200 {
		t.Fatalf("stream: HTTP %d %s", code, b)
	}
	var offs []int
	for _, ev := range sseEvents(t, bytes.NewReader(b)) {
		if ev == "[DONE]" {
			continue
		}
		if strings.Contains(ev, `"tokens":null`) || strings.Contains(ev, `"text_offset":null`) {
			t.Errorf("a chunk has null logprobs arrays: %s", ev)
		}
		var c completionResp
		mustJSON(t, []byte(ev), &c)
		if len(c.Choices) > 0 && c.Choices[0].Logprobs != nil {
			offs = append(offs, c.Choices[0].Logprobs.TextOffset...)
		}
	}
	if !slices.Equal(offs, lp.TextOffset) {
		t.Errorf("stream offsets %v, non-stream %v", offs, lp.TextOffset)
	}
}

// A repetition penalty counts the prompt's tokens too, as the engine (and
// llama.cpp) do: the server's greedy answer is the CLI's.
func TestRepetitionPenaltyCountsThePrompt(t *testing.T) {
	ts := traceServer(t, Config{}) // the default model copies what it read
	for _, prompt := range []string{"The code of Rupono is WW225. The code of Rupono is"} {
		var b bytes.Buffer
		if _, err := defaultEngine(t).Generate(context.Background(), engine.Request{
			Prompt: prompt, MaxTokens: 24, Ctx: 1024, KVType: tensor.F16,
			Sampling: sample.Params{Temperature: 0, TopP: 1, TypicalP: 1, RepeatPenalty: 1.5, RepeatLastN: -1},
		}, func(s string) error { b.WriteString(s); return nil }); err != nil {
			t.Fatal(err)
		}
		code, _, out := post(t, ts.URL+"/v1/completions", `{"prompt":"`+prompt+`","max_tokens":24,"temperature":0,"repetition_penalty":1.5}`)
		if code != 200 {
			t.Fatalf("HTTP %d %s", code, out)
		}
		var r completionResp
		mustJSON(t, out, &r)
		if r.Choices[0].Text != jsonText(b.String()) {
			t.Errorf("%q: server %q, engine %q", prompt, r.Choices[0].Text, b.String())
		}
	}
}

// Completions logprobs name a token that is not UTF-8 (one byte of a
// longer character) in OpenAI's "bytes:\xNN" form: as text each such byte
// became U+FFFD, and distinct tokens one top_logprobs key.
func TestCompletionLogprobsByteTokens(t *testing.T) {
	ts := traceServer(t, Config{})
	code, _, out := post(t, ts.URL+"/v1/completions", `{"prompt":"日本語のテキスト。日本語のテキスト。日本語のテキスト。","max_tokens":3,"temperature":0,"logprobs":5}`)
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, out)
	}
	if strings.Contains(string(out), `\ufffd`) || strings.Contains(string(out), "\uFFFD") {
		t.Errorf("U+FFFD in the logprobs: %s", out)
	}
	var r completionResp
	mustJSON(t, out, &r)
	for i, top := range r.Choices[0].Logprobs.TopLogprobs {
		if len(top) != 5 {
			t.Errorf("row %d: %d distinct alternatives, want 5: %v", i, len(top), top)
		}
	}
}
