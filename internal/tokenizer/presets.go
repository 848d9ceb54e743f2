package tokenizer

import "fmt"

// bpePreset is what a tokenizer.ggml.pre value selects for a gpt2-type
// vocabulary in llama.cpp: the regex list and three behaviour flags.
type bpePreset struct {
	steps        []splitStep
	cleanSpaces  bool // decode removes spaces before punctuation (clean_up_tokenization_spaces)
	ignoreMerges bool // a word that is already a token is not merged
	addBOS       bool // default of tokenizer.ggml.add_bos_token
	noBOS        bool // the default BOS id (11) is dropped
}

// bpePresets maps every tokenizer.ggml.pre value this package supports to
// its preset. Aliases are those llama.cpp treats identically.
var bpePresets = func() map[string]bpePreset {
	m := map[string]bpePreset{}
	add := func(p bpePreset, names ...string) {
		for _, n := range names {
			m[n] = p
		}
	}
	add(bpePreset{steps: stepsDefault, cleanSpaces: true}, "default")
	add(bpePreset{steps: stepsLlama3, cleanSpaces: true, ignoreMerges: true, addBOS: true},
		"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano")
	add(bpePreset{steps: stepsLlama3, cleanSpaces: true}, "dbrx", "smaug-bpe")
	add(bpePreset{steps: stepsLlama3, cleanSpaces: true, noBOS: true}, "glm4", "chatglm-bpe")
	add(bpePreset{steps: stepsDeepseekLLM}, "deepseek-llm")
	add(bpePreset{steps: stepsDeepseekCoder}, "deepseek-coder")
	add(bpePreset{steps: stepsFalcon, cleanSpaces: true}, "falcon")
	add(bpePreset{steps: stepsGPT2, cleanSpaces: true},
		"mpt", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
		"mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "olmo", "jais", "exaone4")
	add(bpePreset{steps: stepsGPT2}, "trillion", "granite-docling")
	add(bpePreset{steps: stepsStarCoder, cleanSpaces: true},
		"starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2")
	add(bpePreset{steps: stepsStarCoder}, "command-r", "smollm")
	add(bpePreset{steps: stepsQwen2}, "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open", "grok-2")
	add(bpePreset{steps: stepsQwen2, cleanSpaces: true}, "stablelm2", "megrez")
	return m
}()

// unsupportedPresets are tokenizer.ggml.pre values llama.cpp knows but
// whose regexes this package does not implement.
var unsupportedPresets = map[string]bool{
	"minicpm5": true, "deepseek-v3": true, "youtu": true, "jais-2": true, "gemma4": true,
	"granite-embed-multi-311m": true, "sarvam-moe": true, "whitespace": true, "qwen35": true,
	"poro-chat": true, "viking": true, "tekken": true, "bloom": true, "gpt3-finnish": true,
	"exaone-moe": true, "chameleon": true, "gpt-4o": true, "llama4": true, "kanana2": true,
	"talkie": true, "granite-embed-multi-97m": true, "tiny_aya": true, "cohere2moe": true,
	"superbpe": true, "bailingmoe": true, "bailingmoe2": true, "llada-moe": true, "seed-coder": true,
	"hunyuan-dense": true, "joyai-llm": true, "kimi-k2": true, "afmoe": true, "laguna": true,
	"minimax-m2": true,
}

// lookupPreset resolves a tokenizer.ggml.pre value. An absent or empty
// value means "default", as in llama.cpp (which warns that quality suffers).
func lookupPreset(pre string) (bpePreset, error) {
	if pre == "" {
		pre = "default"
	}
	if p, ok := bpePresets[pre]; ok {
		return p, nil
	}
	if unsupportedPresets[pre] {
		return bpePreset{}, fmt.Errorf("tokenizer: pre-tokenizer %q is not implemented", pre)
	}
	return bpePreset{}, fmt.Errorf("tokenizer: unknown pre-tokenizer %q", pre)
}
