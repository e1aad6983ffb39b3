package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `{"Action":"run","Package":"orengen/x","Test":"TestA"}
{"Action":"output","Package":"orengen/x","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"orengen/x","Test":"TestA","Output":"    a_test.go:9: chromium not installed\n"}
{"Action":"output","Package":"orengen/x","Test":"TestA","Output":"--- SKIP: TestA (0.00s)\n"}
{"Action":"skip","Package":"orengen/x","Test":"TestA"}
{"Action":"output","Package":"orengen/x","Test":"TestB/sub","Output":"    b_test.go:3: set ORENGEN_BENCH=1\n"}
{"Action":"skip","Package":"orengen/x","Test":"TestB/sub"}
{"Action":"output","Package":"orengen/x","Test":"TestC","Output":"    c_test.go:5: boom\n"}
{"Action":"fail","Package":"orengen/x","Test":"TestC"}
{"Action":"pass","Package":"orengen/x","Test":"TestD"}
{"Action":"output","Package":"orengen/x","Output":"FAIL\torengen/x\t0.1s\n"}
{"Action":"fail","Package":"orengen/x"}
`

func write(t *testing.T, name, s string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckSkips(t *testing.T) {
	js := write(t, "r.json", sample)
	var out strings.Builder
	err := checkSkips(write(t, "allow", "# comment\norengen/x TestB/.*  # bench only\n"), js, &out)
	if err == nil || !strings.Contains(out.String(), "unlisted skip: orengen/x TestA: a_test.go:9: chromium not installed") || strings.Contains(out.String(), "TestB") {
		t.Fatalf("err %v, output:\n%s", err, out.String())
	}
	out.Reset()
	if err := checkSkips(write(t, "allow", "orengen/x TestA\norengen/x TestB/sub # ok\n"), js, &out); err != nil {
		t.Fatalf("all listed: %v\n%s", err, out.String())
	}
	// The pattern matches whole names only, in the named package only.
	if err := checkSkips(write(t, "allow", "orengen/x Test\norengen/y TestB/sub\n"), js, &out); err == nil {
		t.Fatal("a partial or other-package pattern allowed the skips")
	}
	if err := checkSkips(write(t, "allow", "orengen/x\n"), js, &out); err == nil {
		t.Fatal("a malformed allow-list line was accepted")
	}
	if err := checkSkips(write(t, "allow", ""), write(t, "empty.json", ""), &out); err == nil {
		t.Fatal("an empty report passed")
	}
}

func TestSummarize(t *testing.T) {
	var out strings.Builder
	failed, err := summarize(strings.NewReader(sample+"# orengen/y\nbuild error\n"), &out)
	s := out.String()
	if err != nil || failed != 1 || !strings.Contains(s, "c_test.go:5: boom") || !strings.Contains(s, "FAIL\torengen/x") ||
		!strings.Contains(s, "SKIP orengen/x TestA: a_test.go:9: chromium not installed") || !strings.Contains(s, "build error") || strings.Contains(s, "=== RUN") {
		t.Fatalf("failed %d err %v:\n%s", failed, err, s)
	}
}
