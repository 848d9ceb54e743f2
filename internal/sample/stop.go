package sample

import (
	"errors"
	"strings"
)

// StopMatcher watches streamed text for stop strings. It holds back any tail
// of the text that could still turn into a stop string, so a streaming
// client never receives part of one; what it returns is safe to send.
type StopMatcher struct {
	stops   []string
	pending strings.Builder // text received but not yet released
	matched string
	done    bool
}

// NewStopMatcher returns a matcher for the given stop strings; none is fine
// (everything passes straight through), an empty one is an error.
func NewStopMatcher(stops []string) (*StopMatcher, error) {
	for _, s := range stops {
		if s == "" {
			return nil, errors.New("sample: empty stop string")
		}
	}
	return &StopMatcher{stops: stops}, nil
}

// Push adds the next piece of generated text. It returns the text that can
// be sent now and whether a stop string has appeared; then emit is the text
// before the stop string, generation should end, and later pushes return
// nothing.
func (m *StopMatcher) Push(text string) (emit string, stopped bool) {
	if m.done {
		return "", true
	}
	m.pending.WriteString(text)
	buf := m.pending.String()
	if at, stop := m.firstStop(buf); at >= 0 {
		m.done, m.matched = true, stop
		m.pending.Reset()
		return buf[:at], true
	}
	hold := m.partialStopSuffix(buf)
	m.pending.Reset()
	m.pending.WriteString(buf[len(buf)-hold:])
	return buf[:len(buf)-hold], false
}

// Flush returns the text still held back, for when generation ends without
// a stop string (end-of-generation token or length limit).
func (m *StopMatcher) Flush() string {
	if m.done {
		return ""
	}
	s := m.pending.String()
	m.pending.Reset()
	return s
}

// Matched is the stop string that ended generation, or "".
func (m *StopMatcher) Matched() string { return m.matched }

// firstStop finds the stop string that is complete soonest in buf, the one
// that ends first (at the same end the longest), and returns where it
// starts. Deciding by end, not start, is what a stream would see: generation
// stops when the first stop string completes, and the result does not depend
// on how the text was cut into pieces.
func (m *StopMatcher) firstStop(buf string) (int, string) {
	at, end, stop := -1, 0, ""
	for _, s := range m.stops {
		i := strings.Index(buf, s)
		if i < 0 {
			continue
		}
		e := i + len(s)
		if at < 0 || e < end || (e == end && len(s) > len(stop)) {
			at, end, stop = i, e, s
		}
	}
	return at, stop
}

// partialStopSuffix is the length of the longest suffix of buf that is a
// proper prefix of some stop string.
func (m *StopMatcher) partialStopSuffix(buf string) int {
	best := 0
	for _, s := range m.stops {
		for n := min(len(s)-1, len(buf)); n > best; n-- {
			if strings.HasSuffix(buf, s[:n]) {
				best = n
				break
			}
		}
	}
	return best
}

// TokenSet is a set of token ids, such as a model's end-of-generation tokens.
type TokenSet map[int32]struct{}

// NewTokenSet returns a set holding ids.
func NewTokenSet(ids ...int32) TokenSet {
	s := make(TokenSet, len(ids))
	for _, id := range ids {
		s[id] = struct{}{}
	}
	return s
}

// Has reports whether id is in the set.
func (s TokenSet) Has(id int32) bool {
	_, ok := s[id]
	return ok
}
