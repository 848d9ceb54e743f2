package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// suiteSamples is the golden set of the newer generated suites: every task
// at 2k and 8k, two samples each (8k gives the multi-needle tasks room).
func suiteSamples(t testing.TB, g *Generator, suite string) []Sample {
	var out []Sample
	for _, length := range []int{2048, 8192} {
		for _, task := range Tasks(suite) {
			for i := range 2 {
				s, err := g.Sample(suite, task, length, i)
				if err != nil {
					t.Fatalf("%s/%s/%d/%d: %v", suite, task, length, i, err)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

func TestGoldenDigestSuites(t *testing.T) {
	const path = "testdata/golden_suites.txt"
	got := map[string]string{}
	var lines []string
	for _, suite := range []string{"needlebench", "threading", "longbio"} {
		got[suite] = digest(t, suiteSamples(t, newTestGen(t, 42), suite))
		lines = append(lines, suite+" "+got[suite])
	}
	if *update {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		suite, want, _ := strings.Cut(sc.Text(), " ")
		n++
		if got[suite] != want {
			t.Errorf("%s samples changed: sha256 %s, golden %s (if intended, rerun with -update)", suite, got[suite], want)
		}
	}
	if n != len(got) {
		t.Errorf("%s has %d suites, want %d", path, n, len(got))
	}
	if digest(t, suiteSamples(t, newTestGen(t, 43), "threading")) == got["threading"] {
		t.Error("seed 43 produced the same samples as seed 42")
	}
}

// Every generated sample fits its length with the tokenizer that fitted it,
// fills most of it, and names a metric the scorer knows.
func TestSuitesFit(t *testing.T) {
	g := newTestGen(t, 5)
	tok := Estimate{BytesPerToken: 4}
	for _, suite := range []string{"needlebench", "threading", "longbio"} {
		for _, length := range []int{4096, 16384} {
			for _, task := range Tasks(suite) {
				s, err := g.Sample(suite, task, length, 1)
				if err != nil {
					t.Fatalf("%s/%s/%d: %v", suite, task, length, err)
				}
				n, _ := tok.Count(s.Prompt)
				if n != s.PromptTokens || n+s.MaxNewTokens > length {
					t.Errorf("%s/%s/%d: %d tokens (recorded %d) + %d > length", suite, task, length, n, s.PromptTokens, s.MaxNewTokens)
				}
				if float64(n) < 0.9*float64(length-s.MaxNewTokens) {
					t.Errorf("%s/%s/%d: only %d of %d tokens used", suite, task, length, n, length-s.MaxNewTokens)
				}
				if s.Suite != suite || s.Cell != task || s.Metric == "" || (len(s.Golds) == 0) != (task == "idk") {
					t.Errorf("%s/%s: suite %q cell %q metric %q golds %q", suite, task, s.Suite, s.Cell, s.Metric, s.Golds)
				}
			}
		}
	}
	if _, err := g.Sample("nope", "x", 4096, 0); err == nil {
		t.Error("unknown suite accepted")
	}
	for _, suite := range []string{"needlebench", "threading", "longbio"} {
		if _, err := g.Sample(suite, "nope", 4096, 0); err == nil {
			t.Errorf("%s: unknown task accepted", suite)
		}
	}
	if _, err := g.Sample("niah", "depth=x", 4096, 0); err == nil {
		t.Error("bad niah task accepted")
	}
	if s, err := g.Sample("niah", "depth=30", 4096, 0); err != nil || s.Depth != 30 {
		t.Errorf("niah through Sample: %v %v", s.Depth, err)
	}
}

// kinship reads NeedleBench's relation statements back into elder→younger
// edges, so tests can trace the chain independently of the generator.
func kinship(t *testing.T, text string) map[string]string {
	t.Helper()
	name := `([A-Z][a-z]+ [A-Z][a-z]+)`
	term := `(?:` + strings.Join(nbRelationTerms, "|") + `)`
	var res []*regexp.Regexp
	for _, tmpl := range nbRelationTemplates {
		q := regexp.QuoteMeta(tmpl)
		q = strings.Replace(q, `\{A\}`, `(?P<A>`+name[1:], 1)
		q = strings.ReplaceAll(q, `\{A\}`, `[A-Z][a-z]+ [A-Z][a-z]+`)
		q = strings.Replace(q, `\{B\}`, `(?P<B>`+name[1:], 1)
		q = strings.ReplaceAll(q, `\{B\}`, `[A-Z][a-z]+ [A-Z][a-z]+`)
		q = strings.ReplaceAll(q, `\{relationship\}`, term)
		res = append(res, regexp.MustCompile(q))
	}
	parent := map[string]string{} // younger → elder
	for _, re := range res {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			a, b := m[re.SubexpIndex("A")], m[re.SubexpIndex("B")]
			parent[b] = a
		}
	}
	return parent
}

func eldest(parent map[string]string, who string) string {
	for steps := 0; steps < len(parent)+1; steps++ {
		p, ok := parent[who]
		if !ok {
			return who
		}
		who = p
	}
	return "cycle"
}

func TestNeedleBench(t *testing.T) {
	g := newTestGen(t, 11)
	s, _ := g.NeedleBench("single_retrieval", 8192, 1)
	if s.Depth != 10 || !strings.HasPrefix(s.Prompt, "This is a test of long-text capability.") ||
		!strings.Contains(s.Prompt, "\n<Document>\n") || !strings.Contains(s.Prompt, "Please answer in the format of '") {
		t.Errorf("single_retrieval: depth %d prompt %.200q", s.Depth, s.Prompt)
	}
	doc := s.Prompt[strings.Index(s.Prompt, "<Document>"):strings.Index(s.Prompt, "</Document>")]
	if at := strings.Index(doc, s.Golds[0]); at < 0 || float64(at)/float64(len(doc)) > 0.2 {
		t.Errorf("needle keyword %q not near depth 10%% (at %d of %d)", s.Golds[0], at, len(doc))
	}
	s, _ = g.NeedleBench("multi_retrieval", 16384, 0)
	if len(s.Golds) != 11 || strings.Count(s.Prompt, "、") != 20 {
		t.Errorf("multi_retrieval: %d golds, %d separators", len(s.Golds), strings.Count(s.Prompt, "、"))
	}
	last := -1
	for _, k := range s.Golds { // needles in depth order
		at := strings.Index(s.Prompt, k)
		if at < last {
			t.Errorf("keyword %q out of depth order", k)
		}
		last = at
	}
	for _, task := range []string{"multi_reasoning_3", "ancestral_trace"} {
		s, _ = g.NeedleBench(task, 8192, 2)
		m := regexp.MustCompile(`eldest relative that '([^']+)' can trace back`).FindAllStringSubmatch(s.Prompt, -1)
		if len(m) == 0 {
			t.Fatalf("%s: no question", task)
		}
		who := m[len(m)-1][1]
		parent := kinship(t, s.Prompt)
		if got := eldest(parent, who); got != s.Golds[0] || s.Metric != "boxed_match" {
			t.Errorf("%s: eldest of %s is %s, gold %q", task, who, got, s.Golds)
		}
		if task == "multi_reasoning_3" && len(parent) != 3 {
			t.Errorf("%s: %d relations, want 3", task, len(parent))
		}
		if task == "ancestral_trace" && len(parent) < 100 {
			t.Errorf("%s: only %d relations fill 8k", task, len(parent))
		}
	}
}

func threadingObject(t *testing.T, prompt string) (map[string]string, []string) {
	t.Helper()
	end := strings.LastIndex(prompt, "}\n")
	obj := map[string]string{}
	if err := json.Unmarshal([]byte(prompt[:end+1]), &obj); err != nil {
		t.Fatalf("haystack is not a JSON object: %v", err)
	}
	keys := regexp.MustCompile(`"([^"]+)": "`).FindAllStringSubmatch(prompt[:end+1], -1)
	var order []string
	for _, k := range keys {
		order = append(order, k[1])
	}
	return obj, order
}

func TestThreading(t *testing.T) {
	g := newTestGen(t, 12)
	for i, depth := range []int{0, 25, 50, 75, 100} {
		s, _ := g.Threading("single_needle", 4096, i)
		obj, order := threadingObject(t, s.Prompt)
		key := regexp.MustCompile(`Key: "([^"]+)"`).FindStringSubmatch(s.Prompt)[1]
		if obj[key] != s.Golds[0] || s.Depth != depth || order[(len(order)-1)*depth/100] != key {
			t.Errorf("single_needle %d: key %s gold %s depth %d", i, key, s.Golds[0], s.Depth)
		}
	}
	s, _ := g.Threading("multiple_needles", 4096, 0)
	obj, _ := threadingObject(t, s.Prompt)
	keys := regexp.MustCompile(`"([0-9a-f-]{36})"`).FindAllStringSubmatch(s.Prompt[strings.LastIndex(s.Prompt, "Keys:"):], -1)
	for k, m := range keys {
		if obj[m[1]] != s.Golds[k] {
			t.Errorf("multiple_needles: key %d", k)
		}
	}
	s, _ = g.Threading("conditional_needles", 4096, 0)
	obj, _ = threadingObject(t, s.Prompt)
	c := regexp.MustCompile(`contain the character "(.)"`).FindStringSubmatch(s.Prompt)[1]
	var want []string
	for k, v := range obj {
		if strings.Contains(k, c) {
			want = append(want, v)
		}
	}
	sort.Strings(want)
	got := append([]string(nil), s.Golds...)
	sort.Strings(got)
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) != 5 {
		t.Errorf("conditional: golds %v, keys with %q give %v", got, c, want)
	}
	for _, task := range []string{"threading", "multi_threading"} {
		s, _ = g.Threading(task, 8192, 1)
		obj, order := threadingObject(t, s.Prompt)
		pos := map[string]int{}
		for i, k := range order {
			pos[k] = i
		}
		q := s.Prompt[strings.LastIndex(s.Prompt, "}\n"):]
		starts := regexp.MustCompile(`"([0-9a-f-]{36})"`).FindAllStringSubmatch(q, -1)
		if len(starts) != len(s.Golds) {
			t.Fatalf("%s: %d starts, %d golds", task, len(starts), len(s.Golds))
		}
		for k, m := range starts {
			cur, hops := m[1], 0
			for {
				next, ok := obj[cur]
				if !ok {
					break
				}
				if _, isKey := obj[next]; isKey && pos[next] < pos[cur] {
					t.Errorf("%s: thread goes backwards", task)
				}
				cur, hops = next, hops+1
			}
			if cur != s.Golds[k] || hops != threadingTasks[task].hops {
				t.Errorf("%s thread %d: end %s after %d hops, gold %s", task, k, cur, hops, s.Golds[k])
			}
		}
	}
}

var bornRe = regexp.MustCompile(`([A-Z][a-z]+ [A-Z][a-z]+) was born on ([A-Z][a-z]+ \d+, \d{4})\.`)

func TestLongBio(t *testing.T) {
	g := newTestGen(t, 13)
	births := func(s Sample) map[string]time.Time {
		out := map[string]time.Time{}
		for _, m := range bornRe.FindAllStringSubmatch(s.Prompt, -1) {
			d, err := time.Parse("January 2, 2006", m[2])
			if err != nil {
				t.Fatal(err)
			}
			out[m[1]] = d
		}
		return out
	}
	s, _ := g.LongBio("calculation", 4096, 0)
	who := regexp.MustCompile(`between ([A-Z][a-z]+ [A-Z][a-z]+) and ([A-Z][a-z]+ [A-Z][a-z]+)\?`).FindStringSubmatch(s.Prompt)
	b := births(s)
	d := b[who[1]].Year() - b[who[2]].Year()
	if s.Golds[0] != strconv.Itoa(max(d, -d)) {
		t.Errorf("calculation: %s %v, %s %v, gold %s", who[1], b[who[1]], who[2], b[who[2]], s.Golds[0])
	}
	s, _ = g.LongBio("rank", 4096, 0)
	b = births(s)
	for k := 1; k < len(s.Golds); k++ {
		if !b[s.Golds[k-1]].Before(b[s.Golds[k]]) {
			t.Errorf("rank: %s (%v) not older than %s (%v)", s.Golds[k-1], b[s.Golds[k-1]], s.Golds[k], b[s.Golds[k]])
		}
	}
	s, _ = g.LongBio("multihop", 4096, 0)
	a := regexp.MustCompile(`same city as ([A-Z][a-z]+ [A-Z][a-z]+)\?`).FindStringSubmatch(s.Prompt)[1]
	city := regexp.MustCompile(a + ` was born in ([A-Za-z]+)\.`).FindStringSubmatch(s.Prompt)[1]
	sharing := regexp.MustCompile(`([A-Z][a-z]+ [A-Z][a-z]+) was born in `+city+`\.`).FindAllStringSubmatch(s.Prompt, -1)
	if len(sharing) != 2 || sharing[0][1] == sharing[1][1] || (sharing[0][1] != s.Golds[0] && sharing[1][1] != s.Golds[0]) {
		t.Errorf("multihop: %s born in %s, shared by %v, gold %q", a, city, sharing, s.Golds)
	}
	s, _ = g.LongBio("citation", 4096, 0)
	n := regexp.MustCompile(`\n` + regexp.QuoteMeta(s.Golds[1]) + ` Below is the bio of ([A-Z][a-z]+ [A-Z][a-z]+)\.`).FindStringSubmatch("\n" + s.Prompt[strings.Index(s.Prompt, "["):])
	if n == nil || !strings.Contains(s.Prompt, "Answer the question based only on the bios above.") || !strings.Contains(s.Prompt[strings.LastIndex(s.Prompt, "above."):], n[1]) {
		t.Errorf("citation: gold %q does not number the asked bio", s.Golds)
	}
	s, _ = g.LongBio("idk", 4096, 0)
	q := s.Prompt[strings.LastIndex(s.Prompt, "above."):]
	for a, tmpl := range lbQuestions {
		pre, _, _ := strings.Cut(tmpl, "{N}")
		if strings.Contains(q, pre) {
			person := regexp.MustCompile(`([A-Z][a-z]+ [A-Z][a-z]+)`).FindString(q[len("above. ")+len(pre):])
			bio := regexp.MustCompile(`Below is the bio of ` + person + `\.[^\n]*`).FindString(s.Prompt)
			sentence, _, _ := strings.Cut(fill(lbStandard[a], "{N}", person), "{V}")
			if bio == "" || strings.Contains(bio, sentence) {
				t.Errorf("idk: bio of %s %q still states %q", person, bio, sentence)
			}
		}
	}
	s, _ = g.LongBio("pronoun", 4096, 0)
	if !strings.Contains(s.Prompt, "Below is the self-introduction of ") || !strings.Contains(s.Prompt, "I was born on ") {
		t.Error("pronoun: no first-person bio")
	}
}
