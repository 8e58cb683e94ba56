package cli

import "context"

func runUser(_ context.Context, _ []string, _ Stdio) error { return notYet("user") }
