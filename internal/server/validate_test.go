package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestBadRequests(t *testing.T) {
	ts := newTestServer(t, Config{Ctx: 128, MaxBodyBytes: 4096})
	cs := chatServer(t, Config{Ctx: 128})
	for _, tc := range []struct {
		name, url, body string
		status          int
		param, msg      string
	}{
		{"malformed", "/v1/completions", `{"prompt": "x",`, 400, "", "malformed JSON"},
		{"not an object", "/v1/completions", `[1,2]`, 400, "", "must be a JSON object"},
		{"null body", "/v1/completions", `null`, 400, "", "JSON object"},
		{"wrong type", "/v1/completions", `{"prompt":"x","max_tokens":"ten"}`, 400, "max_tokens", `"max_tokens" must be an integer, not string`},
		{"float max_tokens", "/v1/completions", `{"prompt":"x","max_tokens":1.5}`, 400, "max_tokens", "integer"},
		{"unknown field", "/v1/completions", `{"prompt":"x","max_token":5}`, 400, "max_token", `unknown parameter "max_token"`},
		{"unsupported", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]}`, 400, "tools", "not supported"},
		{"no prompt", "/v1/completions", `{"max_tokens":3}`, 400, "prompt", "required"},
		{"empty prompt", "/v1/completions", `{"prompt":""}`, 400, "prompt", "empty"},
		{"two prompts", "/v1/completions", `{"prompt":["a","b"]}`, 400, "prompt", "one prompt"},
		{"bad token id", "/v1/completions", `{"prompt":[1,5000]}`, 400, "prompt", "outside the vocabulary of 1000"},
		{"negative max_tokens", "/v1/completions", `{"prompt":"x","max_tokens":-1}`, 400, "max_tokens", "at least 1"},
		{"zero max_tokens", "/v1/completions", `{"prompt":"x","max_tokens":0}`, 400, "max_tokens", "at least 1"},
		{"prompt+max over ctx", "/v1/completions", `{"prompt":"hello world","max_tokens":125}`, 400, "max_tokens", "needs 133 tokens (8 prompt + 125 max_tokens) but the context is 128"},
		{"prompt over ctx", "/v1/completions", `{"prompt":"` + strings.Repeat("hello world ", 40) + `"}`, 400, "prompt", "this request accepts at most 127"},
		{"temperature", "/v1/completions", `{"prompt":"x","temperature":-0.1}`, 400, "temperature", "[0, 2]"},
		{"huge temperature", "/v1/completions", `{"prompt":"x","temperature":999999}`, 400, "temperature", "[0, 2]"},
		{"top_p zero", "/v1/completions", `{"prompt":"x","top_p":0}`, 400, "top_p", "(0, 1]"},
		{"top_p negative", "/v1/completions", `{"prompt":"x","top_p":-1}`, 400, "top_p", "(0, 1]"},
		{"presence", "/v1/completions", `{"prompt":"x","presence_penalty":3}`, 400, "presence_penalty", "[-2, 2]"},
		{"top_k", "/v1/completions", `{"prompt":"x","top_k":-3}`, 400, "top_k", ">= 0"},
		{"n", "/v1/completions", `{"prompt":"x","n":3}`, 400, "n", "n=1"},
		{"best_of", "/v1/completions", `{"prompt":"x","best_of":2}`, 400, "best_of", "best_of=1"},
		{"logprobs", "/v1/completions", `{"prompt":"x","logprobs":50}`, 400, "logprobs", "[0, 20]"},
		{"too many stops", "/v1/completions", `{"prompt":"x","stop":["a","b","c","d","e"]}`, 400, "stop", "at most 4"},
		{"empty stop", "/v1/completions", `{"prompt":"x","stop":[""]}`, 400, "stop", "empty"},
		{"stop type", "/v1/completions", `{"prompt":"x","stop":5}`, 400, "stop", "string or an array"},
		{"stream_options alone", "/v1/completions", `{"prompt":"x","stream_options":{"include_usage":true}}`, 400, "stream_options", "stream=true"},
		{"huge body", "/v1/completions", `{"prompt":"` + strings.Repeat("x", 5000) + `"}`, 413, "", "exceeds the limit of 4096 bytes"},
		{"chat without template", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, 400, "messages", "no chat template"},
		{"no route", "/v1/embeddings", `{}`, 404, "", "no endpoint"},
		{"model", "/v1/completions", `{"model":"other","prompt":"x"}`, 404, "model", "does not exist"},
		{"tokenize nothing", "/tokenize", `{}`, 400, "prompt", "give prompt"},
		{"detokenize bad id", "/detokenize", `{"tokens":[-1]}`, 400, "tokens", "outside the vocabulary"},
	} {
		code, _, b := post(t, ts.URL+tc.url, tc.body)
		checkError(t, tc.name, code, b, tc.status, tc.param, tc.msg)
	}
	for _, tc := range []struct {
		name, body string
		param, msg string
	}{
		{"empty messages", `{"messages":[]}`, "messages", "must not be empty"},
		{"bad role", `{"messages":[{"role":"wizard","content":"x"}]}`, "messages[0].role", "wizard"},
		{"image part", `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, "messages[0].content", "only text parts"},
		{"both max", `{"messages":[{"role":"user","content":"x"}],"max_tokens":3,"max_completion_tokens":4}`, "max_completion_tokens", "differ"},
		{"top_logprobs alone", `{"messages":[{"role":"user","content":"x"}],"top_logprobs":2}`, "top_logprobs", "logprobs=true"},
		{"content type", `{"messages":[{"role":"user","content":7}]}`, "messages[0].content", "string or an array"},
	} {
		code, _, b := post(t, cs.URL+"/v1/chat/completions", tc.body)
		checkError(t, tc.name, code, b, 400, tc.param, tc.msg)
	}
	waitIdle(t, ts.Server, 2e9)
}

func checkError(t *testing.T, name string, code int, b []byte, status int, param, msg string) {
	t.Helper()
	var e struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Param   *string `json:"param"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Errorf("%s: body is not an OpenAI error: %q", name, b)
		return
	}
	gotParam := ""
	if e.Error.Param != nil {
		gotParam = *e.Error.Param
	}
	if code != status || gotParam != param || !strings.Contains(e.Error.Message, msg) || e.Error.Type == "" {
		t.Errorf("%s: HTTP %d param=%q %q (type %q); want %d param=%q containing %q", name, code, gotParam, e.Error.Message, e.Error.Type, status, param, msg)
	}
}

func TestIgnoredFieldsAreAccepted(t *testing.T) {
	ts := newTestServer(t, Config{})
	code, _, b := post(t, ts.URL+"/v1/completions", `{"prompt":"x","max_tokens":1,"user":"u1","metadata":{"a":"b"},"logit_bias":{},"tools":null}`)
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, b)
	}
}

// A known path asked with another method is a 405 naming the method it
// takes; an unknown path stays a 404.
func TestWrongMethodIs405(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, c := range []struct {
		method, path, allow string
		status              int
	}{
		{"GET", "/v1/completions", "POST", 405},
		{"GET", "/v1/trace", "POST", 405},
		{"DELETE", "/v1/models/tiny", "GET", 405},
		{"POST", "/metrics", "GET", 405},
		{"GET", "/v1/embeddings", "", 404},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: HTTP %d Allow %q, want %d %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), c.status, c.allow)
		}
	}
}
