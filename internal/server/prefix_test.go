package server

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/plan"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/openai/openai-go/v3"
)

// refTokens runs a tokenized prompt alone through engine.Generate
// (greedy) on a contiguous cache of elem: the truth a request served from
// a shared prefix must reproduce.
func refTokens(t testing.TB, ids []int32, maxTokens int, elem tensor.Type) string {
	t.Helper()
	e := tinyEngine(t)
	var b bytes.Buffer
	_, err := e.Generate(context.Background(), engine.Request{
		Tokens: ids, MaxTokens: maxTokens,
		NewCache: func(ctx int) (kv.Cache, error) { return e.Model.NewCache(ctx, elem) },
		Sampling: sample.Params{Temperature: 0, TopP: 1, TypicalP: 1, RepeatPenalty: 1, RepeatLastN: -1},
	}, func(s string) error { b.WriteString(s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// span is the token ids lo..hi-1 (all inside the tiny vocabulary).
func span(lo, hi int) []int32 {
	ids := make([]int32, 0, hi-lo)
	for i := lo; i < hi; i++ {
		ids = append(ids, int32(i))
	}
	return ids
}

func toInt64(ids []int32) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

// TestPrefixCacheReuse sends token-id prompts through the OpenAI client,
// so the shared prefix is known exactly: B shares 200 positions with A,
// and A again shares all but its last token. Blocks of 16 positions make
// every fork start inside a block (copy on write). Each answer must be
// what the prompt gives alone.
func TestPrefixCacheReuse(t *testing.T) {
	ts := newTestServer(t, Config{KVBlock: 16})
	c := openaiClient(ts, "")
	a := span(1, 301)
	b := append(span(1, 201), span(500, 551)...)
	for _, tc := range []struct {
		name   string
		prompt []int32
		cached int64
	}{
		{"A cold", a, 0},
		{"B shares 200 with A", b, 200},
		{"A again", a, 299},
		{"B again", b, 250},
		{"A's first 150", span(1, 151), 149},
	} {
		resp, err := c.Completions.New(context.Background(), openai.CompletionNewParams{
			Model: "tiny", Prompt: openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: toInt64(tc.prompt)},
			MaxTokens: openai.Int(6), Temperature: openai.Float(0),
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := resp.Usage.PromptTokensDetails.CachedTokens; got != tc.cached || resp.Usage.PromptTokens != int64(len(tc.prompt)) {
			t.Errorf("%s: %d prompt tokens, %d cached; want %d, %d", tc.name, resp.Usage.PromptTokens, got, len(tc.prompt), tc.cached)
		}
		if want := refTokens(t, tc.prompt, 6, tensor.F16); resp.Choices[0].Text != jsonText(want) {
			t.Errorf("%s: %q, alone %q", tc.name, resp.Choices[0].Text, want)
		}
	}
	waitIdle(t, ts.Server, 2e9)
	ts.metrics.mu.Lock()
	hits, queries := ts.metrics.prefixHits, ts.metrics.prefixQueries
	ts.metrics.mu.Unlock()
	if hits != 200+299+250+149 || queries != 300+251+300+251+150 {
		t.Errorf("prefix metrics: %d hits of %d queried", hits, queries)
	}
}

// TestPrefixCacheEvictsUnderBudget runs distinct prompts through a budget
// of 8 blocks: entries are evicted oldest first to make room, requests
// never wait on the cache, and the charges never pass the budget.
func TestPrefixCacheEvictsUnderBudget(t *testing.T) {
	p, err := plan.New(plan.FromModel(tinyEngine(t).Model), tensor.F16, 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	bb := p.BlockBytes()
	ts := newTestServer(t, Config{Ctx: 256, KVBlock: 16, Parallel: 2, KVBytes: 8 * bb})
	prompt := func(i int) []int32 { return span(10*i+1, 10*i+41) } // 40 tokens + 8 out: 3 blocks
	complete := func(ids []int32) completionResp {
		body := fmt.Sprintf(`{"prompt":%s,"max_tokens":8,"temperature":0}`, mustMarshal(t, ids))
		code, _, out := post(t, ts.URL+"/v1/completions", body)
		if code != 200 {
			t.Fatalf("HTTP %d %s", code, out)
		}
		var r completionResp
		mustJSON(t, out, &r)
		return r
	}
	for i := range 6 {
		r := complete(prompt(i))
		if want := refTokens(t, prompt(i), 8, tensor.F16); r.Choices[0].Text != jsonText(want) {
			t.Errorf("prompt %d: %q, alone %q", i, r.Choices[0].Text, want)
		}
		ts.sched.mu.Lock()
		st := ts.sched.store
		if st.running+st.cached > st.budget || st.cached > 8*bb {
			t.Errorf("after %d: %d running + %d cached bytes over the budget %d", i, st.running, st.cached, st.budget)
		}
		ts.sched.mu.Unlock()
	}
	// Two entries of 3 blocks fit beside nothing else: the last two
	// prompts are cached, the first long gone.
	if r := complete(prompt(5)); r.Usage.PromptTokensDetails.CachedTokens != 39 {
		t.Errorf("latest prompt: %d cached, want 39", r.Usage.PromptTokensDetails.CachedTokens)
	}
	if r := complete(prompt(0)); r.Usage.PromptTokensDetails.CachedTokens != 0 {
		t.Errorf("evicted prompt: %d cached, want 0", r.Usage.PromptTokensDetails.CachedTokens)
	}
}

func mustMarshal(t testing.TB, ids []int32) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, id)
	}
	b.WriteByte(']')
	return b.String()
}

// TestKVStoreAccounting follows the store through forks, copies on write,
// eviction and absorption with hand-counted blocks (16 positions each),
// checking the charges against the blocks the pool really allocated, and
// the logits of a sequence built on shared blocks against a fresh cache.
func TestKVStoreAccounting(t *testing.T) {
	m := tinyEngine(t).Model
	const B = 16
	newStore := func() *kvStore { return newKVStore(m, 256, B, 1<<30, tensor.F16) }
	run := func(st *kvStore, tokens []int32, need int) *lease {
		t.Helper()
		l, ok, err := st.acquire(tensor.F16, "f16", true, tokens, need)
		if err != nil || !ok {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		if _, err := m.Forward(tokens[l.shared:], l.shared, l.seq, false); err != nil {
			t.Fatal(err)
		}
		return l
	}
	st := newStore()
	defer st.close()
	p, _ := st.plan(tensor.F16)
	bb := p.BlockBytes()
	check := func(what string, running, cached int64, resident bool) {
		t.Helper()
		if st.running != running*bb || st.cached != cached*bb {
			t.Errorf("%s: %d running, %d cached blocks; want %d, %d", what, st.running/bb, st.cached/bb, running, cached)
		}
		if got := st.pools[tensor.F16].Stats().Resident; resident && got != (running+cached)*bb {
			t.Errorf("%s: the pool holds %d blocks, charged %d", what, got/bb, running+cached)
		}
	}
	a := span(1, 41)                            // 40 tokens: 3 blocks
	b := append(span(1, 40), span(600, 611)...) // shares 39 with a
	c := append(span(1, 41), span(700, 710)...) // extends a by 10

	l := run(st, a, 48)
	check("a running", 3, 0, true)
	st.release(l, a, true)
	check("a cached", 0, 3, true)
	eA := st.entries[0]

	l = run(st, b, 60) // 2 full blocks shared; needs 4: 2 charged
	if l.from != eA || l.shared != 39 {
		t.Fatalf("b forked %v at %d", l.from, l.shared)
	}
	check("b running", 2, 3, true) // copy of block 2 and block 3
	st.release(l, b, true)
	check("b cached", 0, 5, true)

	l = run(st, c, 50) // a is the longer match (40)
	if l.from != eA || l.shared != 40 {
		t.Fatalf("c forked %v at %d", l.from, l.shared)
	}
	st.release(l, c, true)
	check("c cached", 0, 7, true) // a has two children: not absorbed
	if eA.children != 2 || len(st.entries) != 3 {
		t.Fatalf("a has %d children, %d entries", eA.children, len(st.entries))
	}

	// The sequence on c's entry continues exactly as a fresh one would.
	eC := st.entries[2]
	fork, err := eC.seq.Fork(len(c))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Forward([]int32{5}, len(c), fork, false)
	fork.Free()
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := m.NewCache(64, tensor.F16)
	want, _ := m.Forward(append(slices.Clone(c), 5), 0, fresh, false)
	if !slices.Equal(got, want) {
		t.Errorf("logits after a shared prefix differ from a fresh cache's")
	}

	// A budget of 7 blocks: 2 more need b's entry (least recently used
	// leaf; a is pinned by its children) evicted, not c's.
	st.budget = 7 * bb
	l, ok, err := st.acquire(tensor.F16, "f16", true, span(900, 920), 32)
	if err != nil || !ok || l.shared != 0 {
		t.Fatalf("acquire under budget: %v %v", ok, err)
	}
	check("after eviction", 2, 5, false)
	if slices.ContainsFunc(st.entries, func(e *prefixEntry) bool { return slices.Equal(e.tokens, b) }) {
		t.Errorf("b's entry survived")
	}
	// 4 more blocks (6 less the 2 shared with a, which is pinned then)
	// cannot fit even with c evicted: nothing changes.
	if _, ok, _ := st.acquire(tensor.F16, "f16", true, span(1, 90), 96); ok {
		t.Errorf("a sequence over the budget was admitted")
	}
	check("refused", 2, 5, false)
	st.release(l, nil, false)
	check("released", 0, 5, false)

	// Absorption: d extends a, which nothing else uses, so d's entry
	// takes a's shared blocks and a's last block is freed.
	st2 := newStore()
	defer st2.close()
	l = run(st2, a, 40)
	st2.release(l, a, true)
	l = run(st2, c, 50)
	st2.release(l, c, true)
	if len(st2.entries) != 1 || st2.cached != 4*bb || st2.entries[0].parent != nil || !slices.Equal(st2.entries[0].tokens, c) {
		t.Errorf("after absorbing a: %d entries, %d cached blocks", len(st2.entries), st2.cached/bb)
	}
	// A sequence the cache already covers is not kept twice.
	l = run(st2, span(1, 30), 30)
	st2.release(l, span(1, 30), true)
	if len(st2.entries) != 1 || st2.cached != 4*bb {
		t.Errorf("a covered sequence was cached: %d entries, %d blocks", len(st2.entries), st2.cached/bb)
	}
}

// TestChatTurnsReusePrefix: a conversation's second turn repeats the
// first turn's rendered prompt and answer, which the cache holds.
func TestChatTurnsReusePrefix(t *testing.T) {
	ts := chatServer(t, Config{KVBlock: 16})
	c := openaiClient(ts, "")
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("you answer in riddles"), openai.UserMessage("what walks on four legs")}
	first, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny", Messages: msgs, MaxTokens: openai.Int(8), Temperature: openai.Float(0)})
	if err != nil {
		t.Fatal(err)
	}
	if first.Usage.PromptTokensDetails.CachedTokens != 0 {
		t.Errorf("first turn: %d cached", first.Usage.PromptTokensDetails.CachedTokens)
	}
	msgs = append(msgs, openai.AssistantMessage(first.Choices[0].Message.Content), openai.UserMessage("and on three"))
	second, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny", Messages: msgs, MaxTokens: openai.Int(8), Temperature: openai.Float(0)})
	if err != nil {
		t.Fatal(err)
	}
	// The first turn's prompt ends with the assistant header; everything up
	// to it is the second prompt's prefix (ChatML's control tokens split
	// the tokenization there).
	if got, want := second.Usage.PromptTokensDetails.CachedTokens, first.Usage.PromptTokens; got < want || got >= second.Usage.PromptTokens {
		t.Errorf("second turn: %d of %d prompt tokens cached, want at least the first turn's %d", got, second.Usage.PromptTokens, want)
	}
}

// A prompt sharing a short prefix with a cached entry that fills the
// budget starts afresh, evicting the entry, instead of pinning it and
// never fitting (admission then waited forever with nothing running).
func TestKVStoreEvictsTheEntryItWouldShare(t *testing.T) {
	m := tinyEngine(t).Model
	const B = 16
	st := newKVStore(m, 256, B, 1<<30, tensor.F16)
	defer st.close()
	p, _ := st.plan(tensor.F16)
	st.budget = 6 * p.BlockBytes()
	x := span(1, 81) // 5 blocks, cached
	l, ok, err := st.acquire(tensor.F16, "f16", true, x, 80)
	if err != nil || !ok {
		t.Fatalf("acquire x: %v %v", ok, err)
	}
	if _, err := m.Forward(x, 0, l.seq, false); err != nil {
		t.Fatal(err)
	}
	st.release(l, x, true)
	y := append(span(1, 17), span(500, 564)...) // shares one block with x
	l, ok, err = st.acquire(tensor.F16, "f16", true, y, 80)
	if err != nil || !ok {
		t.Fatalf("acquire y: %v %v (the entry it shares a block with was pinned)", ok, err)
	}
	if l.from != nil || l.shared != 0 || len(st.entries) != 0 || st.running != 5*p.BlockBytes() {
		t.Errorf("y forked %v at %d; %d entries left, %d running blocks", l.from, l.shared, len(st.entries), st.running/p.BlockBytes())
	}
	st.release(l, nil, false)
}

// Without max_tokens a request generates as much as the KV budget holds
// when that is less than the context; asking for more is a 400 that names
// max_tokens.
func TestDefaultMaxTokensFitsTheBudget(t *testing.T) {
	p, err := plan.New(plan.FromModel(tinyEngine(t).Model), tensor.F16, 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Config{Ctx: 256, KVBlock: 16, Parallel: 1, KVBytes: 4 * p.BlockBytes()}) // 64 positions
	prompt := mustMarshal(t, span(1, 11))
	code, _, out := post(t, ts.URL+"/v1/completions", `{"prompt":`+prompt+`,"temperature":0}`)
	if code != 200 {
		t.Fatalf("no max_tokens: HTTP %d %s", code, out)
	}
	var r completionResp
	mustJSON(t, out, &r)
	if r.Usage.CompletionTokens > 54 || r.Choices[0].FinishReason == "" {
		t.Errorf("no max_tokens: %d tokens (want at most 64-10), finish %q", r.Usage.CompletionTokens, r.Choices[0].FinishReason)
	}
	code, _, out = post(t, ts.URL+"/v1/completions", `{"prompt":`+prompt+`,"max_tokens":100}`)
	if code != 400 || !strings.Contains(string(out), `"param":"max_tokens"`) {
		t.Errorf("max_tokens over the budget: HTTP %d %s", code, out)
	}
}
