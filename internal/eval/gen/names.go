package gen

import (
	"strings"
	"sync"
)

// Name and attribute lists written for this package (common English given
// names and surnames, everyday hobbies and fields of study). Place names are
// made up from syllables, so no bio or needle states a real-world fact a
// model could know without reading the context.
var (
	firstNames = strings.Fields(`Aaron Abigail Adam Adrian Alice Amber Amelia Andrew Angela Anna Arthur
Audrey Beatrice Benjamin Bernard Bianca Bradley Brenda Caleb Camila Carl Caroline Cecil Chloe Clara
Colin Connor Daisy Daniel Daphne David Declan Denise Derek Diana Dominic Dora Dylan Edgar Edith
Edward Elena Elise Elliot Emily Emmett Erica Ethan Evelyn Felix Fiona Florence Francis Gavin Gemma
George Gloria Grace Gregory Hannah Harold Harriet Hazel Henry Hugo Ian Ingrid Irene Isaac Ivy Jacob
Jade Jasper Jenna Jerome Joan Joel Julia Julian Karen Keith Kelsey Kieran Laura Lena Leon Lillian
Lionel Lucy Luke Mabel Malcolm Margot Martin Maya Miles Miriam Nadia Nathan Nina Noah Nora Oliver
Olivia Oscar Paige Patrick Pauline Peter Philip Quentin Rachel Ralph Rebecca Rhys Rita Robin Rosa
Rupert Ruth Samuel Sara Sebastian Selma Simon Sophie Stella Stuart Sylvia Theo Tessa Thomas Tobias
Ursula Valerie Victor Vivian Walter Wendy Wesley Willa Xavier Yara Yvonne Zachary Zoe`)
	lastNames = strings.Fields(`Abbott Acosta Ainsworth Alder Ashby Atwood Bailey Barlow Baxter Beck
Bellamy Benson Birch Blackwood Bolton Bradshaw Brennan Briggs Calloway Carver Chambers Chandler
Cole Conway Crane Crawford Dalton Dawson Delaney Dixon Donovan Drake Dunn Eastwood Ellison Emerson
Fairchild Farley Fenwick Finch Fletcher Forbes Fowler Garner Gibbs Goodwin Graves Hadley Hale
Harding Hartley Hawkins Hayward Holloway Hopper Hudson Ingram Irving Jarvis Jennings Keane Keller
Kendall Kirby Lambert Langley Lawson Lester Lindqvist Lowell Maddox Marsh Mercer Merritt Monroe
Morrow Nash Newell Norwood Oakley Osborne Palmer Pearce Pemberton Prescott Quinlan Radcliffe Ramsey
Reeves Ridley Rowe Sawyer Sheldon Shepard Sinclair Slater Spencer Stanton Sterling Sutton Talbot
Thorne Tilley Townsend Underwood Vance Vaughn Wakefield Walsh Warner Webb Whitaker Winslow Wolfe
Wyatt Yates Yardley Zeller`)
	hobbies = strings.Fields(`archery baking birdwatching bouldering calligraphy canoeing chess
crochet cycling dancing fencing fishing gardening hiking juggling kayaking knitting origami painting
photography pottery quilting rowing running sailing sculpting sketching skating snorkeling surfing
swimming tennis woodworking yoga`)
	majors = []string{"Accounting", "Anthropology", "Architecture", "Astronomy", "Biology", "Chemistry",
		"Civil Engineering", "Computer Science", "Economics", "Education", "Electrical Engineering",
		"English Literature", "Environmental Science", "Finance", "Geography", "Geology", "History",
		"Journalism", "Law", "Linguistics", "Marketing", "Mathematics", "Mechanical Engineering",
		"Medicine", "Music", "Nursing", "Philosophy", "Physics", "Political Science", "Psychology",
		"Sociology", "Statistics", "Theatre", "Zoology"}
)

var (
	placeOnce sync.Once
	places    []string
)

// placeNames are made-up town names ("Dorvale", "Kesmouth"), distinct and
// sorted: prefix syllables times suffixes.
func placeNames() []string {
	placeOnce.Do(func() {
		pre := strings.Fields(`Ab Al Ash Bel Bram Cal Cor Dal Dor Dun El Fen Gal Glen Har Hol Ick Kel
Kes Lan Lor Mar Mel Nor Oak Pen Quar Ral Ros Sal Sel Tam Tor Ul Val Ver Wen Wil Yar Zel`)
		suf := strings.Fields(`bury vale ford mouth ton wick stead field haven moor brook crest dale
gate holm ley mere port ridge shaw`)
		for _, p := range pre {
			for _, s := range suf {
				places = append(places, p+s)
			}
		}
	})
	return places
}

// personName draws "First Last".
func personName(r *rng) string {
	return firstNames[r.intn(len(firstNames))] + " " + lastNames[r.intn(len(lastNames))]
}

// distinctNames draws n different "First Last" names (n must be at most
// len(firstNames)·len(lastNames)).
func distinctNames(r *rng, n int) []string {
	total := len(firstNames) * len(lastNames)
	out := make([]string, 0, n)
	for _, i := range r.sample(total, n) {
		out = append(out, firstNames[i/len(lastNames)]+" "+lastNames[i%len(lastNames)])
	}
	return out
}

// title capitalises the first letter of each space-separated word.
func title(s string) string {
	w := strings.Fields(s)
	for i, x := range w {
		w[i] = strings.ToUpper(x[:1]) + x[1:]
	}
	return strings.Join(w, " ")
}
