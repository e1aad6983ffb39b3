package realtest

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// StripeMock is Stripe's own mock of its API (it serves Stripe's OpenAPI
// spec: requests are validated against it, answers are its fixtures),
// pinned. .ci/run installs it.
const StripeMock = "github.com/stripe/stripe-mock@v0.203.0"

// StartStripeMock starts stripe-mock on a free loopback port and returns
// its base URL; it stops when the test ends.
func StartStripeMock(tb testing.TB) string {
	tb.Helper()
	exe := GoTool(tb, "stripe-mock", StripeMock)
	port := FreePort(tb)
	Start(tb, "stripe-mock", exec.Command(exe, "-http-port", strconv.Itoa(port)))
	WaitTCP(tb, Addr(port), 20*time.Second)
	return fmt.Sprintf("http://%s", Addr(port))
}
