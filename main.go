// Command orengen runs the whole agency platform from one binary: the
// marketing site, the client portal and the Nexus admin, on SQLite. main
// only sets up the signal context and the exit code; package cli does
// the rest.
// main may import only orengen/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"orengen/cli"
)

// Build information, set with -ldflags "-X main.version=... -X
// main.commit=... -X main.buildDate=..." (the Makefile sets them).
var version, commit, buildDate string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cli.Version, cli.Commit, cli.BuildDate = version, commit, buildDate
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
