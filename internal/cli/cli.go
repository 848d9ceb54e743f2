package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Env is what a command may touch: its arguments and standard streams.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	summary string
	run     func(env *Env) error
}

var commands = map[string]command{
	"run":       {"generate text from a prompt", runCmd},
	"ask":       {"answer a question about a long document (the default model's QA format)", askCmd},
	"info":      {"print a model's metadata, tensors and memory needs", infoCmd},
	"tokenize":  {"print the token ids of a text as a JSON array", tokenizeCmd},
	"logits":    {"print the logits for a sequence of token ids as JSON", logitsCmd},
	"testmodel": {"write a random-weight GGUF of a real model's shape (for speed work)", testmodelCmd},
	"bench":     {"measure prefill and decode tokens/s against the memory-bandwidth roofline", benchCmd},
	"serve":     {"serve an OpenAI-compatible API with continuous batching", serveCmd},
	"plan":      {"print the serving memory and time model: KV per token, concurrent sequences, prefill/decode times on this machine", planCmd},
	"train":     {"train a small llama-architecture model on the synthetic long-context curriculum", trainCmd},
	"eval":      {"run long-context benchmarks (NIAH, RULER) on the built-in engine or an OpenAI-compatible server", evalCmd},
	"trace":     {"find the passages of a document that made the model give an answer (AttnTrace, TracLLM, CAM)", traceCmd},
	"heads":     {"detect retrieval heads (needle copy-paste scores) and verify them by masking", headsCmd},
}

// errUsage marks an error caused by bad arguments (exit status 2).
var errUsage = errors.New("usage")

// Main runs the command named by args[0] and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "longctx: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	env := &Env{Args: args[1:], Stdin: stdin, Stdout: stdout, Stderr: stderr}
	if err := cmd.run(env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "longctx %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: longctx <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'longctx <command> -h' for a command's flags.")
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(env *Env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: longctx %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, allowing flags after positional arguments, and
// returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func readTextFlag(env *Env, file string) (string, error) {
	var b []byte
	var err error
	if file == "" || file == "-" {
		b, err = io.ReadAll(env.Stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	return string(b), err
}

func parseIDs(s string) ([]int32, error) {
	var ids []int32
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: bad token id %q", errUsage, f)
		}
		ids = append(ids, int32(id))
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: --tokens is empty", errUsage)
	}
	return ids, nil
}
