package curriculum

// Word lists written for this package. The filler prose is assembled from
// them by the templates in prose.go; nothing here is taken from a corpus.

var nouns = []string{
	"river", "garden", "lantern", "window", "market", "bridge", "teacher", "farmer", "kitchen", "harbor",
	"engine", "valley", "letter", "pencil", "basket", "forest", "mountain", "village", "doctor", "painter",
	"station", "library", "orchard", "tower", "meadow", "wagon", "candle", "mirror", "blanket", "ladder",
	"island", "canal", "workshop", "cottage", "field", "fountain", "compass", "notebook", "carpet", "barrel",
	"sailor", "baker", "tailor", "miller", "student", "neighbor", "traveler", "merchant", "gardener", "captain",
	"school", "museum", "theater", "hospital", "factory", "office", "storm", "cloud", "season", "morning",
	"evening", "winter", "summer", "harvest", "journey", "story", "song", "question", "answer", "problem",
	"machine", "clock", "kettle", "hammer", "rope", "stone", "feather", "shadow", "pocket", "ticket",
	"road", "path", "hill", "lake", "shore", "desert", "cave", "forge", "mill", "well",
	"book", "map", "plan", "idea", "habit", "lesson", "friend", "family", "council", "crowd",
}

var adjectives = []string{
	"quiet", "bright", "narrow", "heavy", "gentle", "ancient", "curious", "patient", "careful", "silver",
	"golden", "wooden", "crowded", "empty", "distant", "hidden", "simple", "strange", "steady", "busy",
	"small", "large", "warm", "cold", "early", "late", "quick", "slow", "green", "blue",
	"red", "yellow", "purple", "brown", "round", "square", "soft", "rough", "clever", "honest",
	"humble", "proud", "tired", "eager", "calm", "noisy", "muddy", "dusty", "shiny", "faded",
	"modest", "sturdy", "fragile", "plain", "lively", "sleepy", "windy", "sunny", "rainy", "frozen",
}

var verbs = []string{
	"repair", "visit", "paint", "carry", "measure", "explore", "describe", "follow", "build", "clean",
	"open", "close", "study", "watch", "collect", "count", "share", "deliver", "borrow", "mend",
	"plant", "cross", "climb", "sketch", "polish", "sort", "weigh", "guard", "light", "move",
}

var adverbs = []string{
	"slowly", "carefully", "quietly", "often", "rarely", "always", "sometimes", "usually", "gladly", "barely",
}

var syllables = []string{
	"ka", "lo", "mi", "ra", "ten", "vor", "bel", "shi", "dan", "ru", "po", "zel", "mar", "ti", "gan", "fe",
	"no", "sa", "wen", "cor", "li", "bra", "tho", "vi", "el", "os", "un", "ar", "qui", "del",
}

var attributes = []string{
	"color", "age", "height", "weight", "favorite food", "home town", "secret code", "room number",
	"lucky number", "best friend", "job", "pet", "hobby", "car", "birth month", "shoe size",
}

var foods = []string{"bread", "soup", "cheese", "apple", "pear", "noodle", "pie", "plum", "rice", "cake", "olive", "bean"}

var months = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

var weathers = []string{"sunny", "rainy", "windy", "foggy", "snowy", "cloudy", "quiet", "warm", "cold", "clear"}

var activityVerbs = []string{"eat", "buy", "share", "cook", "carry", "find", "order", "taste"}

var activityPlaces = []string{"park", "garden", "square", "harbor", "market", "library", "museum", "meadow"}
