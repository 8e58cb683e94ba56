package cli

import "context"

func runAnalyze(_ context.Context, _ []string, _ Stdio) error { return notYet("analyze") }
