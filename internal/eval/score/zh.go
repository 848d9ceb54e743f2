package score

import (
	"strings"
	"unicode"
)

// cnPunctuation is the CJK punctuation LongBench's normalize_zh_answer
// removes besides Python's string.punctuation.
const cnPunctuation = "！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏."

// NormalizeZh is LongBench's normalize_zh_answer: lower-case, delete ASCII
// and CJK punctuation, delete all whitespace.
func NormalizeZh(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || isASCIIPunct(r) || strings.ContainsRune(cnPunctuation, r) {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// zhTokens stands in for jieba's segmentation: every Han character is a
// token and every run of other non-space characters is one. LongBench
// segments with jieba, which this does not reproduce, so the Chinese scores
// below are labelled "_char" and are not comparable with published ones.
func zhTokens(s string) []string {
	var out []string
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			out = append(out, run.String())
			run.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			out = append(out, string(r))
		case unicode.IsSpace(r):
			flush()
		default:
			run.WriteRune(r)
		}
	}
	flush()
	return out
}

// TokenF1ZhChars is LongBench's qa_f1_zh_score with zhTokens in place of
// jieba: tokens normalised with NormalizeZh, empty ones dropped, multiset F1.
func TokenF1ZhChars(pred, gold string) float64 {
	norm := func(s string) []string {
		var out []string
		for _, t := range zhTokens(s) {
			if t = NormalizeZh(t); t != "" {
				out = append(out, t)
			}
		}
		return out
	}
	return tokenF1(norm(pred), norm(gold))
}

// RougeLZhChars is LongBench's rouge_zh_score with zhTokens in place of
// jieba: tokens joined by spaces, then RougeLPltrdy.
func RougeLZhChars(pred, gold string) float64 {
	return RougeLPltrdy(strings.Join(zhTokens(pred), " "), strings.Join(zhTokens(gold), " "))
}
