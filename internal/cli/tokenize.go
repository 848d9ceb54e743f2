package cli

import (
	"encoding/json"
	"fmt"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/tokenizer"
)

func tokenizeCmd(env *Env) error {
	fs := newFlags(env, "tokenize", "-m FILE [--add-special=true|false] [--parse-special=true|false] [-f TEXTFILE]")
	modelPath := fs.String("m", "", "model or vocabulary `file` (GGUF; tensors are not needed)")
	addSpecial := fs.String("add-special", "", "add BOS/EOS as the model's metadata says (default), or force true/false")
	parseSpecial := fs.Bool("parse-special", false, "turn control-token text such as <|im_start|> into its id (user text must not, by default)")
	file := fs.String("f", "", "read the text from `file` (default: stdin)")
	args, err := parse(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q (text comes from stdin or -f)", errUsage, args[0])
	}
	if *modelPath == "" {
		return fmt.Errorf("%w: -m FILE is required", errUsage)
	}
	f, err := gguf.Open(*modelPath)
	if err != nil {
		return err
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return fmt.Errorf("%s: tokenizer: %w", *modelPath, err)
	}
	// As in llama.cpp, add-special means "add what the metadata asks for".
	add := true
	switch *addSpecial {
	case "":
	case "true", "1":
		add = true
	case "false", "0":
		add = false
	default:
		return fmt.Errorf("%w: --add-special=%q: want true or false", errUsage, *addSpecial)
	}
	text, err := readTextFlag(env, *file)
	if err != nil {
		return err
	}
	ids, err := tok.Encode(text, add, *parseSpecial)
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []int32{}
	}
	b, _ := json.Marshal(ids)
	_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
	return err
}
