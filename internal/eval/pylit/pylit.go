package pylit

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// Parse reads one literal that makes up all of s (surrounding whitespace
// allowed). Strings become string, integers int64 (float64 when too big),
// other numbers float64, True/False bool, None nil, lists and tuples []any,
// dicts map[string]any (keys must be strings or numbers; numbers are keyed
// by their text).
func Parse(s string) (any, error) {
	p := &parser{s: s}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.errorf("unexpected %q after the value", p.s[p.i:min(p.i+10, len(p.s))])
	}
	return v, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("pylit: offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *parser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested deeper than %d", maxDepth)
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, p.errorf("unexpected end of input")
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		return p.str()
	case c == '[':
		p.i++
		return p.seq(']', depth)
	case c == '(':
		p.i++
		return p.seq(')', depth)
	case c == '{':
		p.i++
		return p.dict(depth)
	case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, w := range []struct {
		word string
		v    any
	}{{"True", true}, {"False", false}, {"None", nil}, {"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.s[p.i:], w.word) {
			p.i += len(w.word)
			return w.v, nil
		}
	}
	return nil, p.errorf("unexpected %q", p.s[p.i:min(p.i+10, len(p.s))])
}

func (p *parser) seq(end byte, depth int) (any, error) {
	out := []any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return out, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		if p.i >= len(p.s) {
			return nil, p.errorf("unterminated list")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case end:
		default:
			return nil, p.errorf("expected ',' or %q", end)
		}
	}
}

func (p *parser) dict(depth int) (any, error) {
	out := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return out, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		var key string
		switch kv := k.(type) {
		case string:
			key = kv
		case int64:
			key = strconv.FormatInt(kv, 10)
		case float64:
			key = strconv.FormatFloat(kv, 'g', -1, 64)
		default:
			return nil, p.errorf("dict key must be a string or number")
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errorf("expected ':' after a dict key")
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[key] = v
		p.space()
		if p.i >= len(p.s) {
			return nil, p.errorf("unterminated dict")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
		default:
			return nil, p.errorf("expected ',' or '}'")
		}
	}
}

func (p *parser) number() (any, error) {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("+-.eE_0123456789", p.s[p.i]) >= 0 {
		p.i++
	}
	t := strings.ReplaceAll(p.s[start:p.i], "_", "")
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return nil, fmt.Errorf("pylit: offset %d: bad number %q", start, p.s[start:p.i])
	}
	return f, nil
}

// str reads a quoted string, single or triple quoted, with Python's
// escapes (\n \t \r \\ \' \" \xhh \uhhhh \Uhhhhhhhh, backslash-newline).
func (p *parser) str() (any, error) {
	q := p.s[p.i]
	quote := string(q)
	if strings.HasPrefix(p.s[p.i:], strings.Repeat(quote, 3)) {
		quote = strings.Repeat(quote, 3)
	}
	p.i += len(quote)
	var b strings.Builder
	for {
		if p.i >= len(p.s) {
			return nil, p.errorf("unterminated string")
		}
		if strings.HasPrefix(p.s[p.i:], quote) {
			p.i += len(quote)
			return b.String(), nil
		}
		c := p.s[p.i]
		if c == '\n' && len(quote) == 1 {
			return nil, p.errorf("newline in a string")
		}
		if c != '\\' {
			r, size := utf8.DecodeRuneInString(p.s[p.i:])
			b.WriteRune(r)
			p.i += size
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			return nil, p.errorf("unterminated string")
		}
		e, size := utf8.DecodeRuneInString(p.s[p.i:])
		p.i += size
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '0':
			b.WriteByte(0)
		case '\n':
		case '\\', '\'', '"':
			b.WriteRune(e)
		case 'x', 'u', 'U':
			n := map[rune]int{'x': 2, 'u': 4, 'U': 8}[e]
			if p.i+n > len(p.s) {
				return nil, p.errorf("short \\%c escape", e)
			}
			v, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
			if err != nil || v > utf8.MaxRune {
				return nil, p.errorf("bad \\%c escape", e)
			}
			b.WriteRune(rune(v))
			p.i += n
		default: // Python keeps unknown escapes as written
			b.WriteByte('\\')
			b.WriteRune(e)
		}
	}
}
