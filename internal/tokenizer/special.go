package tokenizer

import "strings"

// fragment is a piece of the input: either a special token (id >= 0) or
// raw text text[start:end] still to be tokenized.
type fragment struct {
	id         int32
	start, end int
}

// partition splits text around special tokens the way llama.cpp does: for
// each special token in turn, longest first, every occurrence inside every
// remaining raw fragment is cut out, scanning left to right. Control and
// unknown tokens take part only when parseSpecial is set; user-defined
// tokens always do.
func (t *Tokenizer) partition(text string, parseSpecial bool) []fragment {
	if text == "" {
		return nil
	}
	frags := []fragment{{id: noToken, start: 0, end: len(text)}}
	list, trie := t.specialsUser, t.specialTrieUser
	if parseSpecial {
		list, trie = t.specialsAll, t.specialTrieAll
	}
	present := trie.occurring(text)
	if len(present) == 0 {
		return frags
	}
	var next []fragment
	for _, id := range list {
		if !present[id] {
			continue
		}
		s := t.tokens[id]
		next = next[:0]
		for _, f := range frags {
			if f.id != noToken {
				next = append(next, f)
				continue
			}
			p := f.start
			for {
				i := strings.Index(text[p:f.end], s)
				if i < 0 {
					break
				}
				if i > 0 {
					next = append(next, fragment{id: noToken, start: p, end: p + i})
				}
				next = append(next, fragment{id: id})
				p += i + len(s)
			}
			if p < f.end {
				next = append(next, fragment{id: noToken, start: p, end: f.end})
			}
		}
		frags, next = next, frags
	}
	return frags
}

// byteTrie finds which of a set of token texts occur anywhere in a text,
// so that partition runs its exact (per-token) search only for those.
type byteTrie struct {
	root  [256]int32 // node index + 1 of each first byte's child; 0 if none
	nodes []trieNode
}

type trieNode struct {
	id    int32 // token ending here, or noToken
	edges []trieEdge
}

type trieEdge struct {
	b    byte
	next int32
}

func newByteTrie(tokens []string, ids []int32) *byteTrie {
	tr := &byteTrie{}
	for _, id := range ids {
		s := tokens[id]
		n := tr.root[s[0]] - 1
		if n < 0 {
			n = int32(len(tr.nodes))
			tr.nodes = append(tr.nodes, trieNode{id: noToken})
			tr.root[s[0]] = n + 1
		}
		for i := 1; i < len(s); i++ {
			n = tr.child(n, s[i], true)
		}
		tr.nodes[n].id = id
	}
	return tr
}

// child returns the node reached from n by byte b (-1 if none), creating
// it when asked to.
func (tr *byteTrie) child(n int32, b byte, create bool) int32 {
	for _, e := range tr.nodes[n].edges {
		if e.b == b {
			return e.next
		}
	}
	if !create {
		return -1
	}
	c := int32(len(tr.nodes))
	tr.nodes = append(tr.nodes, trieNode{id: noToken})
	tr.nodes[n].edges = append(tr.nodes[n].edges, trieEdge{b, c})
	return c
}

// occurring returns the set of token ids whose text occurs in text.
func (tr *byteTrie) occurring(text string) map[int32]bool {
	var found map[int32]bool
	for i := 0; i < len(text); i++ {
		n := tr.root[text[i]] - 1
		for j := i + 1; n >= 0; j++ {
			if id := tr.nodes[n].id; id != noToken {
				if found == nil {
					found = map[int32]bool{}
				}
				found[id] = true
			}
			if j == len(text) {
				break
			}
			n = tr.child(n, text[j], false)
		}
	}
	return found
}
