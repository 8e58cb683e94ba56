package cli

import "context"

func runServe(_ context.Context, _ []string, _ Stdio) error { return notYet("serve") }
