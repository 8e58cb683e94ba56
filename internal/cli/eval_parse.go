package cli

import "context"

func runEvalParse(_ context.Context, _ []string, _ Stdio) error { return notYet("eval_parse") }
