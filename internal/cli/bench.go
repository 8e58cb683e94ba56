package cli

import "context"

func runBench(_ context.Context, _ []string, _ Stdio) error { return notYet("bench") }
