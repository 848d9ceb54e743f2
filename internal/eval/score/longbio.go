package score

import (
	"regexp"
	"strings"
)

// AllContained is 1 when every gold occurs, case-insensitively, in the
// prediction (LongBioBench's all-or-nothing rule for multi-person
// questions; with one gold it is its plain containment check).
func AllContained(pred string, golds []string) float64 {
	if len(golds) == 0 {
		return 0
	}
	p := strings.ToLower(pred)
	for _, g := range golds {
		if !strings.Contains(p, strings.ToLower(g)) {
			return 0
		}
	}
	return 1
}

var integerRe = regexp.MustCompile(`-?\d+`)

// LastNumber is LongBioBench's numeric rule: 1 when the last integer in the
// prediction equals the gold integer (written as digits).
func LastNumber(pred, gold string) float64 {
	nums := integerRe.FindAllString(pred, -1)
	if len(nums) == 0 {
		return 0
	}
	if nums[len(nums)-1] == strings.TrimSpace(gold) {
		return 1
	}
	return 0
}

// InOrder is 1 when the golds occur case-insensitively in the prediction in
// the given order, each after the end of the previous one (LongBioBench's
// ranking questions).
func InOrder(pred string, golds []string) float64 {
	if len(golds) == 0 {
		return 0
	}
	p := strings.ToLower(pred)
	at := 0
	for _, g := range golds {
		lg := strings.ToLower(g)
		i := strings.Index(p[at:], lg)
		if i < 0 {
			return 0
		}
		at += i + len(lg)
	}
	return 1
}

// refusalPhrases are the ways an answer says the text does not give the
// information asked for.
var refusalPhrases = []string{
	"not mentioned", "not stated", "not provided", "not specified", "not given", "not included",
	"not available", "no information", "not contain", "does not mention", "doesn't mention",
	"does not say", "doesn't say", "does not state", "doesn't state", "cannot be determined",
	"can't be determined", "cannot determine", "can't determine", "unknown", "not known",
	"not in the bio", "no mention",
}

// Refusal is 1 when the prediction says the information is not in the
// text (LongBioBench's IDK task, where the asked attribute was deleted).
func Refusal(pred string) float64 {
	p := strings.ToLower(pred)
	for _, r := range refusalPhrases {
		if strings.Contains(p, r) {
			return 1
		}
	}
	return 0
}
