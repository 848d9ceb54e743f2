// Package pylit parses Python literals (the repr of strings, numbers,
// booleans, None, lists, tuples and dicts) of the kind some benchmark files
// and model answers contain: LooGLE stores its question lists as a Python
// repr, and its cloze answers are read with Python's eval. JSON is a subset
// that parses too (true/false/null are accepted as well).
package pylit
