package realtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissing runs a test that lacks a component in a child process: it
// skips normally and fails under ORENGEN_REQUIRE_REAL=1.
func TestMissing(t *testing.T) {
	if os.Getenv("REALTEST_CHILD") == "1" {
		LookPath(t, "orengen-no-such-tool", "apt-get install -y nothing")
		t.Fatal("LookPath returned for a missing tool")
	}
	for _, tc := range []struct {
		require, want string
		fails         bool
	}{
		{"", "--- SKIP: TestMissing", false},
		{"1", "--- FAIL: TestMissing", true},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "REALTEST_CHILD=1", EnvRequire+"="+tc.require)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tc.fails || !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "orengen-no-such-tool not found") {
			t.Errorf("%s=%q: err %v, output:\n%s", EnvRequire, tc.require, err, out)
		}
	}
}
