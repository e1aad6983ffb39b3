// Command orengen runs the whole agency platform from one binary: the
// marketing site, the client portal and the Nexus admin, on SQLite. main
// only sets up the signal context and the exit code; package cli does
// the rest.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"orengen/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cli.Version = version
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
