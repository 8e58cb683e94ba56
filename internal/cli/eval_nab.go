package cli

import "context"

func runEvalNAB(_ context.Context, _ []string, _ Stdio) error { return notYet("eval_nab") }
