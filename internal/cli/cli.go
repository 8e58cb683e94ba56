// Package cli holds cloudsage's subcommands. Run is the whole program; main
// only wires signals and the exit code, so tests drive Run directly.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"

	"github.com/cloudsage/cloudsage/internal/version"
)

// Stdio is the program's standard streams.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// command is one subcommand. run gets the arguments after the command's name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, io Stdio) error
}

// commands lists every subcommand; each lives in its own file.
var commands = map[string]command{
	"analyze": {"analyze log files offline: risk, forecast and actions", runAnalyze},
	"ingest":  {"send a log file or stdin to a server (--follow tails it)", runIngest},
	"eval":    {"measure accuracy on public datasets (eval parse|nab)", runEval},
	"export":  {"write a whole project to a file (export --project ID --out FILE)", runExport},
	"import":  {"create a project from an export file (import FILE --owner EMAIL)", runImport},
	"bench":   {"measure speed and memory of the engine", runBench},
	"serve":   {"run the web server and API", runServe},
	"user":    {"manage user accounts (user create)", runUser},
	"version": {"print the version", runVersion},
}

// usageError makes Run print the usage hint and exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run runs the program with args (without the program name) and returns the
// process exit code: 0 success, 1 failure, 2 bad usage.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdio.Out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stdio.Err, "cloudsage: unknown command %q\n", args[0])
		printUsage(stdio.Err)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdio)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintf(stdio.Err, "cloudsage %s: %v\n", args[0], err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: cloudsage <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'cloudsage <command> -h' for a command's flags")
}

// newFlagSet returns a FlagSet that reports errors instead of exiting and
// prints its usage to stdio.Err.
func newFlagSet(name, usage string, stdio Stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("cloudsage "+name, flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	fs.Usage = func() {
		fmt.Fprintf(stdio.Err, "usage: cloudsage %s %s\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

func runVersion(_ context.Context, _ []string, stdio Stdio) error {
	fmt.Fprintln(stdio.Out, "cloudsage", version.String())
	return nil
}

// runEval dispatches "eval parse" and "eval nab".
func runEval(ctx context.Context, args []string, stdio Stdio) error {
	evals := map[string]func(context.Context, []string, Stdio) error{
		"parse":    runEvalParse,
		"nab":      runEvalNAB,
		"forecast": runEvalForecast,
	}
	if len(args) == 0 {
		return usageError{"usage: cloudsage eval parse|nab|forecast --data DIR [--json]"}
	}
	run, ok := evals[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown evaluation %q (want one of: parse, nab, forecast)", args[0])}
	}
	return run(ctx, args[1:], stdio)
}
