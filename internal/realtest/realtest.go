// Package realtest finds and starts the real components tests run against
// on loopback: an S3 server (versitygw), an SMTP server (Mailpit), sshd,
// Chromium, openssl and the command-line tools the deploy tests drive.
//
// A missing component skips the test with how to install it, unless
// ORENGEN_REQUIRE_REAL=1 (CI sets it in .ci/run): then it fails the test.
// Nothing here ever falls back to a fake.
//
// realtest imports no project package; tests of any package may import it.
package realtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// EnvRequire is the environment variable that turns a missing real
// component into a test failure.
const EnvRequire = "ORENGEN_REQUIRE_REAL"

// Required reports whether missing components fail tests.
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// Missing stops the test because a real component is missing: it fails
// under ORENGEN_REQUIRE_REAL=1 and skips otherwise. The message says what
// is missing and how to install it.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		tb.Fatalf("%s (%s=1: a missing real component fails the test)", msg, EnvRequire)
	}
	tb.Skip(msg)
}

// LookPath returns the path of the command name, or stops the test through
// Missing with install (e.g. "apt-get install -y shellcheck").
func LookPath(tb testing.TB, name, install string) string {
	tb.Helper()
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			Missing(tb, "%s not found (%s)", name, install)
		}
		return name
	}
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, "%s not found on PATH (%s)", name, install)
	}
	return p
}

var goToolMu sync.Mutex

// GoTool returns the path of the Go program bin, built from module (a
// "path@version" for go install): found on PATH, in $(go env GOPATH)/bin
// (where .ci/run installs it) or in the build cache's sibling directory
// orengen-bin, and otherwise built there once. A failed build stops the
// test through Missing.
func GoTool(tb testing.TB, bin, module string) string {
	tb.Helper()
	if p, err := exec.LookPath(bin); err == nil {
		return p
	}
	goToolMu.Lock()
	defer goToolMu.Unlock()
	var dirs []string
	if out, err := exec.Command("go", "env", "GOPATH", "GOCACHE").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 2 {
			dirs = append(dirs, filepath.Join(strings.SplitN(lines[0], ":", 2)[0], "bin"),
				filepath.Join(filepath.Dir(lines[1]), "orengen-bin"))
		}
	}
	for _, d := range dirs {
		if p := filepath.Join(d, bin); isExecutable(p) {
			return p
		}
	}
	if len(dirs) == 0 {
		Missing(tb, "%s not found and go is not available to build it (go install %s)", bin, module)
	}
	dest := dirs[len(dirs)-1]
	tb.Logf("building %s into %s (once; .ci/run installs it beforehand)", module, dest)
	cmd := exec.Command("go", "install", module)
	cmd.Env = append(os.Environ(), "GOBIN="+dest)
	cmd.Dir = os.TempDir() // outside this module
	if b, err := cmd.CombinedOutput(); err != nil {
		Missing(tb, "go install %s: %v: %s", module, err, b)
	}
	return filepath.Join(dest, bin)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
