package gen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// LongBioBench-style biographies (Thomasyyj/LongBio-Benchmark): the
// haystack is other people's bios, so needle and haystack read alike. The
// attribute lists, sentence templates and question wording are written for
// this package.
const (
	lbTemplate    = "Below are the bios of several people.\n\n{context}\n\nAnswer the question based only on the bios above. {question}\nAnswer:"
	lbRefYear     = 2024 // age = lbRefYear - birth year, as LongBioBench
	lbIDKSuffix   = " If the bios do not say, answer that it is not mentioned."
	lbCiteSuffix  = " Cite the number of the bio you used in square brackets, e.g. [3]."
	lbCalcSuffix  = " A person's age is 2024 minus the birth year. Give the number."
	lbRankSuffix  = " List the full names in order, separated by commas."
	lbMultiSuffix = " Give the answers in the order of the names, separated by commas."
)

// Attributes in sentence order.
const (
	attrBirthdate = iota
	attrBirthplace
	attrHobby
	attrUniversity
	attrMajor
	attrWorkCity
	nAttrs
)

var (
	lbStandard = [nAttrs]string{
		"{N} was born on {V}.", "{N} was born in {V}.", "{N} enjoys {V}.",
		"{N} graduated from {V}.", "{N} majored in {V}.", "{N} works in {V}.",
	}
	lbParaphrase = [nAttrs]string{
		"{N} came into the world on {V}.", "{N}'s hometown is {V}.", "In free time, {N} likes {V}.",
		"{N} holds a degree from {V}.", "The field {N} studied was {V}.", "{N}'s workplace is located in {V}.",
	}
	lbFirstPerson = [nAttrs]string{
		"I was born on {V}.", "My hometown is {V}.", "I love {V}.",
		"I graduated from {V}.", "I majored in {V}.", "I work in {V}.",
	}
	lbQuestions = [nAttrs]string{
		"What is the birthday of {N}?", "Where was {N} born?", "What is the hobby of {N}?",
		"Which university did {N} graduate from?", "What did {N} major in?", "Which city does {N} work in?",
	}
	lbPlural = [nAttrs]string{"birthdays", "birthplaces", "hobbies", "universities", "majors", "work cities"}
)

type person struct {
	name  string
	born  time.Time
	attrs [nAttrs]string
}

var lbEpoch = time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)

// lbDays is the number of days from 1950-01-01 to 2001-12-31 inclusive.
var lbDays = int(time.Date(2001, 12, 31, 0, 0, 0, 0, time.UTC).Sub(lbEpoch).Hours()/24) + 1

func newPerson(r *rng, name string) person {
	p := person{name: name, born: lbEpoch.AddDate(0, 0, r.intn(lbDays))}
	places := placeNames()
	p.attrs[attrBirthdate] = p.born.Format("January 2, 2006")
	p.attrs[attrBirthplace] = places[r.intn(len(places))]
	p.attrs[attrHobby] = hobbies[r.intn(len(hobbies))]
	uni := places[r.intn(len(places))]
	p.attrs[attrUniversity] = []string{"University of " + uni, uni + " Institute of Technology", uni + " College"}[r.intn(3)]
	p.attrs[attrMajor] = majors[r.intn(len(majors))]
	p.attrs[attrWorkCity] = places[r.intn(len(places))]
	return p
}

// bio writes p's bio with the given sentence templates; skip (>= 0) leaves
// one attribute out.
func (p person) bio(tmpl *[nAttrs]string, skip int) string {
	var b strings.Builder
	first := tmpl == &lbFirstPerson
	if first {
		b.WriteString("Below is the self-introduction of " + p.name + ". Hi, I am " + p.name + ".")
	} else {
		b.WriteString("Below is the bio of " + p.name + ".")
	}
	for a := range nAttrs {
		if a != skip {
			b.WriteString(" " + fill(tmpl[a], "{N}", p.name, "{V}", p.attrs[a]))
		}
	}
	if first {
		b.WriteString(" This is the end of this self-introduction.")
	} else {
		b.WriteString(" This is the end of this bio.")
	}
	return b.String()
}

type lbTask struct {
	kind    string
	needles int
	metric  string
	maxNew  int
}

var longBioTasks = map[string]lbTask{
	"standard":       {kind: "standard", needles: 1, metric: "contains_all", maxNew: 64},
	"multi_standard": {kind: "multi", needles: 5, metric: "contains_all", maxNew: 256},
	"paraphrase":     {kind: "paraphrase", needles: 1, metric: "contains_all", maxNew: 64},
	"pronoun":        {kind: "pronoun", needles: 1, metric: "contains_all", maxNew: 64},
	"calculation":    {kind: "calculation", needles: 2, metric: "last_number", maxNew: 256},
	"rank":           {kind: "rank", needles: 5, metric: "in_order", maxNew: 256},
	"multihop":       {kind: "multihop", needles: 2, metric: "contains_all", maxNew: 64},
	"citation":       {kind: "citation", needles: 1, metric: "contains_all", maxNew: 96},
	"idk":            {kind: "idk", needles: 1, metric: "refusal", maxNew: 64},
}

// LongBioTasks lists the LongBioBench-style tasks in report order.
func LongBioTasks() []string {
	return []string{"standard", "multi_standard", "paraphrase", "pronoun", "calculation", "rank", "multihop", "citation", "idk"}
}

// LongBio makes sample index of a LongBioBench-style task at length tokens.
// Units are distractor bios; the asked-about bios are placed at random bio
// boundaries. standard/paraphrase/pronoun ask one attribute (paraphrased
// sentences; a first-person self-introduction); multi_standard asks it of
// five people (all-or-nothing); calculation asks an age difference (last
// number in the answer); rank orders five people by age; multihop asks who
// shares a birthplace (unique in the context); citation wants the answer
// and the bio's [number]; idk asks an attribute its bio leaves out.
func (g *Generator) LongBio(task string, length, index int) (Sample, error) {
	t, ok := longBioTasks[task]
	if !ok {
		return Sample{}, fmt.Errorf("gen: unknown longbio task %q", task)
	}
	budget := length - t.maxNew - g.cfg.Reserve
	mk := func(i int) buildFunc {
		return func(u int) (Sample, error) {
			r := newRNG(g.cfg.Seed, "longbio", task, length, i)
			names := distinctNames(r, u+t.needles)
			people := make([]person, len(names))
			for j, n := range names {
				people[j] = newPerson(r, n)
			}
			needles := people[:t.needles]
			attr := r.intn(nAttrs)
			s := Sample{Suite: "longbio", Task: task, Cell: task, Length: length, Index: i, MaxNewTokens: t.maxNew, Metric: t.metric}
			var question string
			tmpl, skip := &lbStandard, -1
			switch t.kind {
			case "standard", "paraphrase", "pronoun", "citation", "idk":
				n := needles[0]
				question = fill(lbQuestions[attr], "{N}", n.name)
				s.Golds = []string{n.attrs[attr]}
				switch t.kind {
				case "paraphrase":
					tmpl = &lbParaphrase
				case "pronoun":
					tmpl = &lbFirstPerson
				case "idk":
					skip, s.Golds = attr, nil
					question += lbIDKSuffix
				case "citation":
					question += lbCiteSuffix
				}
			case "multi":
				var who []string
				for _, n := range needles {
					who = append(who, n.name)
					s.Golds = append(s.Golds, n.attrs[attr])
				}
				question = "What are the " + lbPlural[attr] + " of " + strings.Join(who[:len(who)-1], ", ") + " and " + who[len(who)-1] + "?" + lbMultiSuffix
			case "calculation":
				a, b := needles[0], needles[1]
				question = "What is the age difference in years between " + a.name + " and " + b.name + "?" + lbCalcSuffix
				d := a.born.Year() - b.born.Year()
				s.Golds = []string{strconv.Itoa(max(d, -d))}
			case "rank":
				for k := 1; k < len(needles); k++ { // distinct birthdays keep the order well defined
					for seen(needles[:k], needles[k].born) {
						needles[k].born = needles[k].born.AddDate(0, 0, 1)
						needles[k].attrs[attrBirthdate] = needles[k].born.Format("January 2, 2006")
					}
				}
				var who []string
				for _, n := range needles {
					who = append(who, n.name)
				}
				question = "Rank these people from the oldest to the youngest: " + strings.Join(who, ", ") + "." + lbRankSuffix
				byAge := append([]person(nil), needles...)
				sort.Slice(byAge, func(x, y int) bool { return byAge[x].born.Before(byAge[y].born) })
				for _, n := range byAge {
					s.Golds = append(s.Golds, n.name)
				}
			case "multihop":
				a, b := &needles[0], &needles[1]
				b.attrs[attrBirthplace] = a.attrs[attrBirthplace]
				places := placeNames()
				for j := 2; j < len(people); j++ {
					for people[j].attrs[attrBirthplace] == a.attrs[attrBirthplace] {
						people[j].attrs[attrBirthplace] = places[r.intn(len(places))]
					}
				}
				question = "Which person in the bios was born in the same city as " + a.name + "? Give the full name."
				s.Golds = []string{b.name}
			}
			bios := make([]string, 0, len(people))
			for j := t.needles; j < len(people); j++ {
				bios = append(bios, people[j].bio(&lbStandard, -1))
			}
			var ins []string
			for _, n := range needles {
				ins = append(ins, n.bio(tmpl, skip))
			}
			pos := make([]int, len(ins))
			for k := range pos {
				pos[k] = r.intn(len(bios) + 1)
			}
			all := insertAt(bios, ins, pos)
			if t.kind == "citation" {
				for k, b := range all {
					all[k] = "[" + strconv.Itoa(k+1) + "] " + b
					if b == ins[0] {
						s.Golds = append(s.Golds, "["+strconv.Itoa(k+1)+"]")
					}
				}
			}
			s.Prompt = fill(lbTemplate, "{context}", strings.Join(all, "\n\n"), "{question}", question)
			return s, nil
		}
	}
	u, err := g.fit("longbio/"+task+"/"+strconv.Itoa(length), mk(0), budget, 20, len(firstNames)*len(lastNames)-t.needles)
	if err != nil {
		return Sample{}, fmt.Errorf("gen: longbio %s at %d tokens: %w", task, length, err)
	}
	s, err := fitSample(g.cfg.Tokenizer, mk(index), budget, u)
	if err != nil {
		return Sample{}, fmt.Errorf("gen: longbio %s at %d tokens, sample %d: %w", task, length, index, err)
	}
	return s, nil
}

func seen(ps []person, t time.Time) bool {
	for _, p := range ps {
		if p.born.Equal(t) {
			return true
		}
	}
	return false
}
