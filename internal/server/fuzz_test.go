package server

import (
	"errors"
	"testing"
)

// FuzzDecodeRequest feeds arbitrary bodies through everything a request
// passes before it reaches the scheduler. It must never panic, and every
// refusal must be an apiError with a 4xx status and a message.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"tiny","prompt":"hello","max_tokens":5,"temperature":0.5,"stop":["a"]}`,
		`{"prompt":[1,2,3],"echo":true,"logprobs":2,"max_tokens":0}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"logprobs":true,"top_logprobs":2}`,
		`{"prompt":["x"],"stream":true,"stream_options":{"include_usage":true},"seed":-1}`,
		`{"prompt":"x","top_p":1e309}`, `{"n":2}`, `[]`, `null`, `{"prompt":{}}`, `{"stop":"\u0000"}`,
		`{"prompt":"x","longctx":{"kv_type":"q8_0","ctx":64,"attention":"dense","prefix_cache":false}}`,
		`{"prompt":[1,2],"longctx":{"rope_scaling":{"type":"none","factor":1},"budget":3}}`,
		`{"prompt":"x","longctx":[]}`, `{"prompt":"x","longctx":{"attention":"quest","window":1e99}}`,
	} {
		f.Add([]byte(s))
	}
	e := tinyEngine(f)
	cfg, err := Config{Ctx: 256}.withDefaults(e)
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{eng: e, cfg: cfg}
	check := func(t *testing.T, err error) {
		if err == nil {
			return
		}
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status < 400 || ae.Status > 499 || ae.Message == "" {
			t.Fatalf("refusal is not a 4xx apiError: %#v", err)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var cr completionRequest
		if err := decodeStrict(body, &cr, samplingFieldNames, completionFieldNames); err != nil {
			check(t, err)
		} else {
			in, err := parsePrompt(cr.Prompt)
			check(t, err)
			if err == nil {
				prompt := in.Tokens
				if !in.IsIDs {
					prompt, _ = e.Tokenizer.Encode(in.Text, true, false)
				}
				_, err = s.buildGen(&cr.samplingFields, cr.MaxTokens, prompt, cr.Echo)
				check(t, err)
			}
		}
		var ch chatRequest
		if err := decodeStrict(body, &ch, samplingFieldNames, chatFieldNames); err != nil {
			check(t, err)
			return
		}
		_, err := chatMessages(ch.Messages)
		check(t, err)
		_, err = s.buildGen(&ch.samplingFields, ch.MaxTokens, []int32{1, 2}, false)
		check(t, err)
	})
}
