// Package cli implements the longctx subcommands. Each command parses its
// own flags and writes results to stdout, diagnostics and progress to
// stderr; cmd/longctx only dispatches here.
package cli
