package sample

import (
	"strings"
	"testing"
)

func TestStopMatcherHoldback(t *testing.T) {
	type step struct {
		push    string
		emit    string
		stopped bool
	}
	cases := []struct {
		name    string
		stops   []string
		steps   []step
		flush   string
		matched string
	}{
		{"no stops passes through", nil,
			[]step{{"Hello", "Hello", false}, {" world", " world", false}}, "", ""},
		{"stop inside one chunk", []string{"</s>"},
			[]step{{"abc</s>def", "abc", true}, {"more", "", true}}, "", "</s>"},
		{"stop split over chunks", []string{"</s>"},
			[]step{{"abc<", "abc", false}, {"/", "", false}, {"s>tail", "", true}}, "", "</s>"},
		{"false start released", []string{"</s>"},
			[]step{{"a</", "a", false}, {"b", "</b", false}}, "", ""},
		{"held tail flushed at end", []string{"User:"},
			[]step{{"Answer. Us", "Answer. ", false}}, "Us", ""},
		{"earliest stop wins", []string{"STOP", "\n\n"},
			[]step{{"x\n\ny STOP", "x", true}}, "", "\n\n"},
		{"first to complete wins", []string{"ab", "abc"},
			[]step{{"zabc", "z", true}}, "", "ab"},
		{"longest at the same end", []string{"bc", "abc"},
			[]step{{"zabc", "z", true}}, "", "abc"},
		// "010000" starts earlier but "1" completes first
		{"completion beats earlier start", []string{"1", "010000"},
			[]step{{"00001000", "0000", true}}, "", "1"},
		{"overlapping prefixes", []string{"aab"},
			[]step{{"aa", "", false}, {"a", "a", false}, {"b!", "", true}}, "", "aab"},
		{"multibyte stop", []string{"。\n"},
			[]step{{"好。", "好", false}, {"\n", "", true}}, "", "。\n"},
		{"repeated prefix char", []string{"###"},
			[]step{{"#", "", false}, {"#", "", false}, {"a", "##a", false}}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := NewStopMatcher(c.stops)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range c.steps {
				emit, stopped := m.Push(s.push)
				if emit != s.emit || stopped != s.stopped {
					t.Fatalf("push %d (%q) = %q, %v; want %q, %v", i, s.push, emit, stopped, s.emit, s.stopped)
				}
			}
			if got := m.Flush(); got != c.flush {
				t.Errorf("Flush = %q, want %q", got, c.flush)
			}
			if got := m.Matched(); got != c.matched {
				t.Errorf("Matched = %q, want %q", got, c.matched)
			}
		})
	}
	if _, err := NewStopMatcher([]string{"ok", ""}); err == nil {
		t.Error("an empty stop string was accepted")
	}
}

// FuzzStopMatcher streams text in arbitrary chunks and checks that the
// client sees exactly the text before the first stop string, never anything
// beyond it at any point.
func FuzzStopMatcher(f *testing.F) {
	f.Add("hello </s> world", "</s>", "\n\n", []byte{3, 1, 1, 5})
	f.Add("aaab", "aab", "b", []byte{1, 1, 1, 1})
	f.Add("no stop here", "xyz", "zz", []byte{2})
	f.Fuzz(func(t *testing.T, text, stop1, stop2 string, cuts []byte) {
		var stops []string
		for _, s := range []string{stop1, stop2} {
			if s != "" {
				stops = append(stops, s)
			}
		}
		m, err := NewStopMatcher(stops)
		if err != nil {
			t.Fatal(err)
		}
		// Expected: the text before the stop string that completes first,
		// scanning the whole text end by end.
		want, wantStop := text, false
	scan:
		for end := 1; end <= len(text); end++ {
			best := ""
			for _, s := range stops {
				if strings.HasSuffix(text[:end], s) && len(s) > len(best) {
					best = s
				}
			}
			if best != "" {
				want, wantStop = text[:end-len(best)], true
				break scan
			}
		}
		var got strings.Builder
		stopped := false
		rest := text
		for i := 0; len(rest) > 0 && !stopped; i++ {
			n := len(rest)
			if i < len(cuts) {
				n = min(n, int(cuts[i])%8+1)
			}
			var emit string
			emit, stopped = m.Push(rest[:n])
			rest = rest[n:]
			got.WriteString(emit)
			if !strings.HasPrefix(want, got.String()) {
				t.Fatalf("client saw %q, which is not a prefix of %q (stops %q)", got.String(), want, stops)
			}
		}
		if !stopped {
			got.WriteString(m.Flush())
		}
		if got.String() != want || stopped != wantStop {
			t.Fatalf("streamed %q (stopped %v), want %q (stopped %v); stops %q", got.String(), stopped, want, wantStop, stops)
		}
	})
}

func TestTokenSet(t *testing.T) {
	eog := NewTokenSet(2, 151645)
	if !eog.Has(2) || !eog.Has(151645) || eog.Has(3) {
		t.Errorf("TokenSet membership wrong: %v", eog)
	}
}
