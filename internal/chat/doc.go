// Package chat renders a model's chat template — the Jinja source stored in
// GGUF metadata under tokenizer.chat_template — for a conversation, the way
// Hugging Face transformers' apply_chat_template does.
//
// The Jinja engine is gonja (pure Go). On top of it the package sets up what
// transformers gives a template: trim_blocks and lstrip_blocks on, the globals
// raise_exception and strftime_now, the variables messages, bos_token,
// eos_token, add_generation_prompt and tools, a tojson filter that writes
// what Python's json.dumps writes, and Python string methods (.strip,
// .split, .replace, .startswith, ...) with Python's semantics where gonja's
// differ.
//
// Models with no template get an error (ErrNoTemplate); ChatML returns the
// plain ChatML format, llama.cpp's choice in that case, for callers that want
// a fallback.
package chat
