// Package curriculum generates the synthetic long-context training data of
// longctx's own model: procedurally generated filler prose (word lists and
// sentence templates written for this package, no copied text) with facts
// embedded at random depths, followed by a question.
//
// Every sample is a pure function of (seed, task, index, filler words);
// math/rand's helper algorithms are not used, so a seed means the same data
// on every Go version (a golden SHA-256 test guards this). Training seeds
// must differ from the seeds longctx eval uses.
//
// # Variety
//
// New's filler, keys and names come from the package's word lists; a model
// trained only on them finds needles in that prose and loses them in any
// other (an evaluation's haystack, a user's document). WithVariety(p)
// draws each essay, noise haystack, word key and name in a varied form
// with probability p: invented pronounceable words (a per-sample lexicon,
// so they repeat as words do), templates half filled with them, free
// sentences with function words, punctuation and numbers. The plain
// generator's stream is unchanged by this (p = 0 draws nothing extra).
//
// # QA format
//
// The package's own tasks (passkey, record, kv, vt, multihop) use one fixed
// format: the document, a blank line, the question, a line break and the
// answer cue; the model writes one space, the answer, and end-of-sequence:
//
//	<document>
//
//	Question: <question>
//	Answer: <answer></s>
//
// longctx ask renders its prompts the same way. (Half of the passkey
// samples end in the classic "What is the pass key? The pass key is" cue
// instead.)
//
// # Evaluation formats
//
// The model is judged by longctx eval, so the curriculum also uses the
// wording of those benchmarks around its own haystacks, needles and keys:
// RULER's niah_* templates (singular rewrite, answer prefix, "One of the
// special magic ... for KEY is: VALUE." needles; essay, noise-line and
// all-needle haystacks; words, numbers and UUIDs) answered ": v1, v2.",
// RULER's variable-tracking template (with its optional worked example)
// answered with the names, and Kamradt's needle-in-a-haystack prompt with
// generated "The best thing to do in <town> is <activity>." needles,
// answered by repeating the needle sentence.
//
// # Tasks
//
//	passkey               a 4–7 digit pass key in prose
//	record                1–8 "The <attribute> of <person> is <value>." facts, one asked
//	kv                    a JSON object of UUID keys → UUID or number values, one asked
//	vt                    VAR chains of 1–4 hops plus distractor chains in prose
//	multihop              "<person> lives in <town>." + "The mayor of <town> is <person>."
//	niah_single_noise     RULER niah_single_1 shape
//	niah_single_essay     RULER niah_single_2 shape
//	niah_single_uuid      RULER niah_single_3 shape
//	niah_multikey_essay   RULER niah_multikey_1 shape (3 distractor keys)
//	niah_multikey_needle  RULER niah_multikey_2 shape (every line a needle)
//	niah_multikey_uuid    RULER niah_multikey_3 shape
//	niah_multikey_confusable  niah_multikey_essay with four numbers that share digits
//	niah_multivalue       RULER niah_multivalue shape
//	niah_multiquery       RULER niah_multiquery shape
//	ruler_vt              RULER vt shape
//	kamradt               Kamradt needle-in-a-haystack shape
//	repeat                a list of random values copied back whole (induction warm-up)
//	recall                "name: value" lines with little filler, one asked
package curriculum
