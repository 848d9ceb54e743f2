package gen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Needle Threading (Roberts et al., ICLR 2025) question wording. The
// haystack is a JSON object of UUID keys and values; the paper's exact
// prompts are not published as code, so these follow the README's form
// ("Extract the value corresponding to the specified key in the JSON
// object. Key: ... Corresponding value:").
const (
	ntSingle      = "Extract the value corresponding to the specified key in the JSON object above.\nKey: \"{key}\"\nCorresponding value:"
	ntMultiple    = "Extract the values corresponding to the specified keys in the JSON object above. Give the values in the order of the keys, separated by commas.\nKeys: {keys}\nCorresponding values:"
	ntConditional = "Extract the values corresponding to all keys in the JSON object above that contain the character \"{char}\". Give the values separated by commas.\nCorresponding values:"
	ntThread      = "The value of a key in the JSON object above may itself be a key of the object. Starting from the key \"{key}\", follow this thread of keys and values to its end and give the final value, which is not a key.\nFinal value:"
	ntMultiThread = "The value of a key in the JSON object above may itself be a key of the object. Starting from each of the keys {keys}, follow the thread of keys and values to its end. Give the final value of each thread, in the order of the starting keys, separated by commas.\nFinal values:"
)

type ntTask struct {
	kind    string
	needles int // keys asked (multiple, conditional) or threads
	hops    int // thread length
	maxNew  int
}

var threadingTasks = map[string]ntTask{
	"single_needle":       {kind: "single", needles: 1, maxNew: 64},
	"multiple_needles":    {kind: "multiple", needles: 5, maxNew: 256},
	"conditional_needles": {kind: "conditional", needles: 5, maxNew: 256},
	"threading":           {kind: "thread", needles: 1, hops: 5, maxNew: 256},
	"multi_threading":     {kind: "thread", needles: 3, hops: 3, maxNew: 512},
}

// ThreadingTasks lists the Needle Threading tasks in report order.
func ThreadingTasks() []string {
	return []string{"single_needle", "multiple_needles", "conditional_needles", "threading", "multi_threading"}
}

// ntDepths are the single-needle depths in percent.
var ntDepths = []int{0, 25, 50, 75, 100}

// ntConditionChars mark the keys a conditional question asks for; none of
// them occurs in a UUID.
const ntConditionChars = "*#@&%!"

// Threading makes sample index of a Needle Threading task at length tokens.
// Units are key-value pairs of the haystack object. single_needle cycles its
// key through depths 0/25/50/75/100% by index; multiple and conditional
// needles sit at random pairs; threads run forward through the object (each
// hop later in the text than the one before). Golds are the values asked
// for; Extra lists the UUIDs of the question and of intermediate hops, which
// the scorers skip when reading an answer.
func (g *Generator) Threading(task string, length, index int) (Sample, error) {
	t, ok := threadingTasks[task]
	if !ok {
		return Sample{}, fmt.Errorf("gen: unknown threading task %q", task)
	}
	budget := length - t.maxNew - g.cfg.Reserve
	mk := func(i int) buildFunc {
		return func(u int) (Sample, error) {
			r := newRNG(g.cfg.Seed, "threading", task, length, i)
			s := Sample{Suite: "threading", Task: task, Cell: task, Length: length, Index: i, MaxNewTokens: t.maxNew, Metric: "uuid_f1"}
			keys := make([]string, u)
			vals := make([]string, u)
			for j := range keys {
				keys[j], vals[j] = randomUUID(r), randomUUID(r)
			}
			switch t.kind {
			case "single":
				depth := ntDepths[i%len(ntDepths)]
				j := (u - 1) * depth / 100
				s.Depth, s.Metric = depth, "uuid_first"
				s.Golds, s.Extra = []string{vals[j]}, []string{keys[j]}
				s.Prompt = jsonObject(keys, vals) + "\n" + fill(ntSingle, "{key}", keys[j])
			case "multiple":
				n := min(t.needles, u)
				pick := r.sample(u, n)
				var asked []string
				for _, j := range pick {
					asked = append(asked, `"`+keys[j]+`"`)
					s.Golds = append(s.Golds, vals[j])
					s.Extra = append(s.Extra, keys[j])
				}
				s.Prompt = jsonObject(keys, vals) + "\n" + fill(ntMultiple, "{keys}", strings.Join(asked, ", "))
			case "conditional":
				c := string(ntConditionChars[r.intn(len(ntConditionChars))])
				for _, j := range r.sample(u, min(t.needles, u)) {
					at := r.intn(len(keys[j]) + 1)
					keys[j] = keys[j][:at] + c + keys[j][at:]
					s.Golds = append(s.Golds, vals[j])
					s.Extra = append(s.Extra, keys[j])
				}
				s.Prompt = jsonObject(keys, vals) + "\n" + fill(ntConditional, "{char}", c)
			case "thread":
				slots := t.needles * t.hops
				if u < slots {
					return Sample{}, ErrTooShort
				}
				pos := r.sample(u, slots)
				var starts []string
				for th := range t.needles {
					p := append([]int(nil), pos[th*t.hops:(th+1)*t.hops]...)
					sort.Ints(p) // forward: each hop further down the text
					for h, j := range p {
						if h+1 < len(p) {
							vals[j] = keys[p[h+1]]
						}
						s.Extra = append(s.Extra, keys[j])
					}
					starts = append(starts, `"`+keys[p[0]]+`"`)
					s.Golds = append(s.Golds, vals[p[len(p)-1]])
				}
				if t.needles == 1 {
					s.Metric = "uuid_first"
					s.Prompt = jsonObject(keys, vals) + "\n" + fill(ntThread, "{key}", strings.Trim(starts[0], `"`))
				} else {
					s.Prompt = jsonObject(keys, vals) + "\n" + fill(ntMultiThread, "{keys}", strings.Join(starts, ", "))
				}
			}
			return s, nil
		}
	}
	u, err := g.fit("threading/"+task+"/"+strconv.Itoa(length), mk(0), budget, 20, 0)
	if err != nil {
		return Sample{}, fmt.Errorf("gen: threading %s at %d tokens: %w", task, length, err)
	}
	s, err := fitSample(g.cfg.Tokenizer, mk(index), budget, u)
	if err != nil {
		return Sample{}, fmt.Errorf("gen: threading %s at %d tokens, sample %d: %w", task, length, index, err)
	}
	return s, nil
}

// jsonObject writes {"k": "v", ...} as Python's json.dumps would.
func jsonObject(keys, vals []string) string {
	var b strings.Builder
	b.Grow(len(keys) * 80)
	b.WriteByte('{')
	for j := range keys {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + keys[j] + `": "` + vals[j] + `"`)
	}
	b.WriteByte('}')
	return b.String()
}
