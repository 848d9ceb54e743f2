package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

type longctxEcho struct {
	Attention   string         `json:"attention"`
	Budget      *int           `json:"budget"`
	Settings    map[string]any `json:"attention_settings"`
	KVType      string         `json:"kv_type"`
	Ctx         int            `json:"ctx"`
	PrefixCache bool           `json:"prefix_cache"`
	RopeScaling struct {
		Type   string  `json:"type"`
		Factor float64 `json:"factor"`
	} `json:"rope_scaling"`
}

type echoResp struct {
	completionResp
	Longctx *longctxEcho `json:"longctx"`
}

func completeWith(t *testing.T, url, body string) (int, echoResp, []byte) {
	t.Helper()
	code, _, b := post(t, url+"/v1/completions", body)
	var r echoResp
	if code == 200 {
		mustJSON(t, b, &r)
	}
	return code, r, b
}

func TestLongctxOptionsEchoed(t *testing.T) {
	ts := newTestServer(t, Config{})
	prompt := span(1, 41)
	ids := mustMarshal(t, prompt)

	code, r, b := completeWith(t, ts.URL, fmt.Sprintf(`{"prompt":%s,"max_tokens":5,"temperature":0}`, ids))
	if code != 200 || r.Longctx == nil {
		t.Fatalf("HTTP %d %s", code, b)
	}
	if e := r.Longctx; e.Attention != "dense" || e.Budget != nil || e.KVType != "f16" || e.Ctx != 1024 || !e.PrefixCache || e.RopeScaling.Type != "none" || e.RopeScaling.Factor != 1 {
		t.Errorf("defaults echoed as %+v", *e)
	}

	// A q8_0 cache gives what the engine gives alone with a q8_0 cache,
	// and its prefixes are cached apart from f16's.
	for i, wantCached := range []int{0, 39} {
		code, r, b = completeWith(t, ts.URL, fmt.Sprintf(`{"prompt":%s,"max_tokens":5,"temperature":0,"longctx":{"kv_type":"Q8_0"}}`, ids))
		if code != 200 {
			t.Fatalf("HTTP %d %s", code, b)
		}
		if want := refTokens(t, prompt, 5, tensor.Q8_0); r.Choices[0].Text != jsonText(want) {
			t.Errorf("q8_0 run %d: %q, alone %q", i, r.Choices[0].Text, want)
		}
		if r.Longctx.KVType != "q8_0" || r.Usage.PromptTokensDetails.CachedTokens != wantCached {
			t.Errorf("q8_0 run %d: kv_type %q, %d cached; want q8_0, %d", i, r.Longctx.KVType, r.Usage.PromptTokensDetails.CachedTokens, wantCached)
		}
	}

	// prefix_cache false neither reuses nor adds.
	code, r, _ = completeWith(t, ts.URL, fmt.Sprintf(`{"prompt":%s,"max_tokens":5,"temperature":0,"longctx":{"prefix_cache":false}}`, ids))
	if code != 200 || r.Usage.PromptTokensDetails.CachedTokens != 0 || r.Longctx.PrefixCache {
		t.Errorf("prefix_cache false: HTTP %d, %d cached, echo %v", code, r.Usage.PromptTokensDetails.CachedTokens, r.Longctx.PrefixCache)
	}

	// A request's own context bounds its default max_tokens.
	code, r, b = completeWith(t, ts.URL, `{"prompt":[1,2,3,4],"temperature":0,"longctx":{"ctx":12,"rope_scaling":{"type":"none","factor":1}}}`)
	if code != 200 || r.Longctx.Ctx != 12 || r.Usage.CompletionTokens > 8 || r.Usage.CompletionTokens < 8 && r.Choices[0].FinishReason != "stop" {
		t.Errorf("ctx 12: HTTP %d %s", code, b)
	}

	// A stream carries the settings in its final chunk.
	_, _, sb := post(t, ts.URL+"/v1/completions", `{"prompt":"x","max_tokens":2,"stream":true,"longctx":{"kv_type":"f32"}}`)
	var last echoResp
	for _, e := range sseEvents(t, strings.NewReader(string(sb))) {
		var c echoResp
		if e != "[DONE]" && json.Unmarshal([]byte(e), &c) == nil && c.Longctx != nil {
			last = c
		}
	}
	if last.Longctx == nil || last.Longctx.KVType != "f32" || last.Choices[0].FinishReason == "" {
		t.Errorf("stream: no final chunk with longctx: %s", sb)
	}
	waitIdle(t, ts.Server, 2e9)
}

func TestLongctxOptionsRefused(t *testing.T) {
	ts := newTestServer(t, Config{Ctx: 256})
	for _, tc := range []struct {
		name, longctx, param, msg string
	}{
		{"not an object", `5`, "longctx", "must be an object"},
		{"array", `[]`, "longctx", "must be an object"},
		{"kv type", `{"kv_type":"q5_1"}`, "longctx.kv_type", `"q5_1" is not one of f16, f32, q4_0, q8_0`},
		{"kv type type", `{"kv_type":8}`, "longctx.kv_type", "must be a string"},
		{"ctx zero", `{"ctx":0}`, "longctx.ctx", "[2, 256]"},
		{"ctx over server", `{"ctx":100000}`, "longctx.ctx", "[2, 256]"},
		{"ctx float", `{"ctx":1.5}`, "longctx.ctx", "integer"},
		{"ctx too small for request", `{"ctx":8}`, "max_tokens", "but the context is 8"},
		{"rope other", `{"rope_scaling":"yarn"}`, "longctx.rope_scaling", "cannot switch per request to yarn"},
		{"rope factor", `{"rope_scaling":{"type":"none","factor":4}}`, "longctx.rope_scaling", "to none x4"},
		{"rope field", `{"rope_scaling":{"type":"none","scale":4}}`, "longctx.rope_scaling", "must be a type"},
		{"attention", `{"attention":"quest"}`, "longctx.attention", `"quest" is not available on this server (available: dense, full)`},
		{"budget dense", `{"budget":64}`, "longctx.budget", "needs a sparse attention policy"},
		{"budget zero", `{"attention":"quest","budget":0}`, "longctx.budget", ">= 1"},
		{"unknown", `{"window":4}`, "longctx.window", `unknown longctx option "window"`},
		{"prefix type", `{"prefix_cache":"yes"}`, "longctx.prefix_cache", "boolean"},
	} {
		code, _, b := post(t, ts.URL+"/v1/completions", fmt.Sprintf(`{"prompt":"hello","max_tokens":20,"longctx":%s}`, tc.longctx))
		checkError(t, tc.name, code, b, 400, tc.param, tc.msg)
	}
	code, _, b := post(t, ts.URL+"/v1/completions", `{"prompt":"x","max_tokens":1,"longctx":{"attention":"full","rope_scaling":"NONE"}}`)
	if code != 200 {
		t.Errorf("full attention, same rope: HTTP %d %s", code, b)
	}
}

// passthrough is a stand-in attention policy: it wraps a sequence's cache
// without changing what it computes.
type passthrough struct{ kv.Cache }

func TestAttentionHook(t *testing.T) {
	var wraps atomic.Int64
	var sawWindow atomic.Int64
	hook := func(req AttentionRequest) (*Attention, error) {
		if req.Name != "mirror" {
			return nil, fmt.Errorf("unknown policy %q (want mirror)", req.Name)
		}
		window := 16
		for k, raw := range req.Params {
			if k != "window" {
				return nil, fmt.Errorf("mirror has no option %q", k)
			}
			if err := json.Unmarshal(raw, &window); err != nil || window < 1 {
				return nil, errors.New("window must be a positive integer")
			}
		}
		sawWindow.Store(int64(window))
		return &Attention{Name: "mirror", Settings: map[string]any{"window": window},
			Wrap: func(inner kv.Selective) (kv.Cache, error) {
				wraps.Add(1)
				return passthrough{inner}, nil
			},
			CacheCtx: func(n int) int { return min(n, 32) }}, nil
	}
	// A budget of 4 blocks of 16 positions (2048 bytes each).
	ts := newTestServer(t, Config{Attention: hook, KVBlock: 16, Ctx: 256, KVBytes: 4 * 16 * 2048})
	prompt := span(1, 21)
	body := fmt.Sprintf(`{"prompt":%s,"max_tokens":6,"temperature":0,"longctx":{"attention":"mirror","budget":64,"window":8}}`, mustMarshal(t, prompt))
	for i := range 2 {
		code, r, b := completeWith(t, ts.URL, body)
		if code != 200 {
			t.Fatalf("HTTP %d %s", code, b)
		}
		if want := refTokens(t, prompt, 6, tensor.F16); r.Choices[0].Text != jsonText(want) {
			t.Errorf("mirror: %q, dense alone %q", r.Choices[0].Text, want)
		}
		e := r.Longctx
		if e.Attention != "mirror" || e.Budget == nil || *e.Budget != 64 || e.Settings["window"] != 8.0 || sawWindow.Load() != 8 {
			t.Errorf("echo %+v", *e)
		}
		// A policy's sequences are not prefix-cached.
		if r.Usage.PromptTokensDetails.CachedTokens != 0 || wraps.Load() != int64(i+1) {
			t.Errorf("run %d: %d cached, %d wraps", i, r.Usage.PromptTokensDetails.CachedTokens, wraps.Load())
		}
	}
	// The policy holds at most 32 positions: 2 blocks are charged, not the
	// 16 a dense sequence of 253 positions needs (which cannot fit).
	code, _, b := post(t, ts.URL+"/v1/completions", `{"prompt":[1,2,3],"max_tokens":250,"longctx":{"attention":"mirror"}}`)
	if code != 200 {
		t.Errorf("long mirror request: HTTP %d %s", code, b)
	}
	code, _, b = post(t, ts.URL+"/v1/completions", `{"prompt":[1,2,3],"max_tokens":250}`)
	checkError(t, "long dense request", code, b, 400, "max_tokens", "needs 253 tokens of f16 KV cache")
	code, _, b = post(t, ts.URL+"/v1/completions", `{"prompt":"x","longctx":{"attention":"other"}}`)
	checkError(t, "hook refusal", code, b, 400, "longctx.attention", `unknown policy "other" (want mirror)`)
	code, _, b = post(t, ts.URL+"/v1/completions", `{"prompt":"x","longctx":{"attention":"mirror","window":-2}}`)
	checkError(t, "hook option", code, b, 400, "longctx.attention", "window must be a positive integer")
}
