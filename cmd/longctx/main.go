// Command longctx is a long-context LLM runtime and lab: it runs
// Llama/Qwen-family GGUF models on CPUs. See README.md.
package main

import (
	"os"

	"github.com/longctx/longctx/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
