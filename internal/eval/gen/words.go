package gen

import (
	"sort"
	"strings"
	"sync"
)

// Word lists written for this package (common English words, nothing taken
// from wonderwords). They serve as needle keys (adjective-noun pairs), the
// CWE vocabulary and the essay generator's slots.
var (
	adjectives = strings.Fields(`able absent active afraid agile alert ancient angry annual anxious
arctic artful awake bald bare basic better bitter blank bleak blind blue bold bony brave brief bright
brisk broad broken brown busy calm candid careful cheap cheerful chilly civil clean clever close
cloudy coarse cold common cool cosy crisp crude cruel curious curly damp dark dear deep dense
direct dirty distant dizzy double dry dull dusty eager early easy elder empty endless equal even
exact faint fair false famous fancy fast fierce final firm flat fond foolish formal fragile free
fresh friendly frozen full funny gentle giant glad global golden good grand great green grey
grim gross handy happy hard harsh hasty heavy hidden high hollow honest huge humble hungry icy
idle immense inner jolly junior keen kind large late lazy lean legal light little live lively
local lone long loose loud loyal lucky lunar mad major massive mature meek mellow mental merry
mild minor modern modest moist moral muddy narrow nasty native neat nervous new nice nimble noble
noisy normal novel odd old open oral orange outer pale past patient plain polite poor precise
pretty prime proud public pure purple quick quiet rapid rare raw ready real red regular rich
rigid ripe rough round royal rural rusty sacred sad safe salty scarce secret senior sharp shiny
short shy silent silly simple slim slow small smart smooth soft solar solid sour spare steady
steep stiff still stormy strange strict strong sturdy subtle sudden sunny super sweet swift tall
tame tender tense thick thin tidy tight tiny tough tribal true ugly upper urban usual vague valid
vast vivid warm wary weak wealthy weary wet white whole wide wild windy wise witty wooden young
zealous`)
	nouns = strings.Fields(`account acorn actor anchor angle animal answer apple apron arch area
army arrow artist atlas attic autumn badge bagel baker balloon band bank barn basket battle beach
beacon bead beam bean bear bell bench berry bicycle bird blanket blossom boat bone book boot
bottle boulder bowl box branch bread brick bridge brook broom brother bucket bugle building
bundle butter button cabin cable cactus cake camera camp canal candle canoe canvas canyon captain
card carpet carriage castle cat cave cellar chain chair chalk channel chapter cheese cherry chest
chimney circle city cliff clock cloud coast coat coin collar comet copper corner cottage cotton
country course cousin crane crater crayon creek crown crystal cup curtain cushion daisy dancer
desert desk diamond dinner doctor dolphin door dragon drawer dream drum eagle earth engine
envelope falcon farm feather fence ferry field finger fire flag flame flute forest fork fountain
fox frame garden gate giraffe glacier glass glove goat gold grape grass guitar hammer harbor
hat hawk heart helmet hill hive holiday honey horizon horse hotel house island ivory jacket jar
jewel journey jungle kettle key kingdom kitchen kite knife ladder lake lamp lantern leaf lemon
letter library lighthouse lily lion lizard locket machine magnet mango map marble market meadow
melody mirror monkey moon morning mountain mouse museum needle nest night notebook oak ocean
office olive orbit orchard otter owl paddle painter palace panther paper parrot path peach pearl
pebble pencil pepper piano picture pillow pilot pine planet plate pocket poem pond pony puzzle
quarry quilt rabbit radio rain raven record ribbon river road robin rocket roof rope rose saddle
sail salmon sand satellite scarf school season shadow shelf shell ship shore signal silver singer
sister skate sky sled slope snow soldier song sparrow spider spoon spring squirrel stable stage
star station statue stone storm stream street sugar summer sun swan sword table tailor teacher
temple tent thread thunder ticket tiger timber tower town toy tractor trail train tree trumpet
tunnel turtle umbrella valley vase village violin voyage wagon wall walnut water wave whale wheel
whistle window wing winter wizard wolf yard zebra`)
	verbs = strings.Fields(`accept add admire adopt advise agree allow answer appear arrange arrive
ask attach avoid bake balance believe belong borrow bounce breathe build burn calculate carry
change chase check cheer choose clean climb collect compare complete consider cook copy count
cover crawl create cross dance decide deliver describe design develop discover divide doubt draw
dream drink drive earn enjoy enter escape examine expect explain explore fetch fill find finish
fix float follow forget gather grow guard guess handle hang happen hope hunt imagine improve
include invent invite join juggle jump keep kick knit knock laugh learn lift listen live look
manage march mark measure melt mend mix move notice offer open order organize paint pass plan
plant play polish prepare print protect pull push question reach read recall record reflect
remember repair repeat reply rescue return ride roll rule sail save search share shout sing sketch
slide smile solve sort spell spend stack start stay steer study suggest supply support surprise
swim teach test thank throw trace trade train travel trust turn visit wait walk wander wash watch
weave whisper wish wonder work worry write`)
)

var (
	keyWordsOnce sync.Once
	keyWords     []string
)

// needleKeyWords is the sorted list of "adjective-noun" pairs that RULER's
// "words" key and value type draws from.
func needleKeyWords() []string {
	keyWordsOnce.Do(func() {
		keyWords = make([]string, 0, len(adjectives)*len(nouns))
		for _, a := range adjectives {
			for _, n := range nouns {
				keyWords = append(keyWords, a+"-"+n)
			}
		}
		sort.Strings(keyWords)
	})
	return keyWords
}

var (
	vocabOnce sync.Once
	vocab     []string
)

// cweVocabulary is the distinct-word list for common-words extraction: our
// real words first (sorted, then shuffled with a fixed seed like RULER does),
// followed by pronounceable made-up words for long contexts that need more
// distinct words than the lists hold (RULER falls back to a big English
// dictionary there).
func cweVocabulary() []string {
	vocabOnce.Do(func() {
		set := map[string]bool{}
		for _, l := range [][]string{adjectives, nouns, verbs} {
			for _, w := range l {
				set[w] = true
			}
		}
		real := make([]string, 0, len(set))
		for w := range set {
			real = append(real, w)
		}
		sort.Strings(real)
		r := newRNG(42, "cwe-vocabulary")
		r.shuffle(len(real), func(i, j int) { real[i], real[j] = real[j], real[i] })
		vocab = append(real, madeUpWords(set, 40000)...)
	})
	return vocab
}

// madeUpWords returns n distinct three-syllable consonant-vowel words not in
// taken, in a fixed pseudo-random order.
func madeUpWords(taken map[string]bool, n int) []string {
	const cons, vows = "bdfghklmnprstvz", "aeiou"
	var syll []string
	for _, c := range cons {
		for _, v := range vows {
			syll = append(syll, string(c)+string(v))
		}
	}
	r := newRNG(42, "made-up-words")
	out := make([]string, 0, n)
	seen := map[string]bool{}
	for len(out) < n {
		w := syll[r.intn(len(syll))] + syll[r.intn(len(syll))] + syll[r.intn(len(syll))]
		if !taken[w] && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
