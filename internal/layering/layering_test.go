// Package layering holds the test that keeps the dependency rules of
// shared/ARCHITECTURE.md true as the tree grows: a thin root, app free of
// project and outside-technology packages, ui free of store, Fiber only in
// ui, SQL drivers only in store, and every outbound HTTP client built in
// httpx (or listed below with its reason).
package layering

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const module = "orengen"

// appDeps are the small libraries app may import: each solves a problem
// inside the domain (phone numbers, TOTP, cron expressions, password
// hashing, JSON Schema of tool arguments, plural rules, Markdown and its
// sanitiser, text diffs) and talks to nothing outside the process.
var appDeps = map[string]bool{
	"github.com/nyaruka/phonenumbers":    true,
	"github.com/pquerna/otp":             true,
	"github.com/robfig/cron/v3":          true,
	"golang.org/x/crypto":                true,
	"github.com/google/jsonschema-go":    true,
	"golang.org/x/text":                  true,
	"github.com/yuin/goldmark":           true,
	"github.com/microcosm-cc/bluemonday": true,
	"github.com/sergi/go-diff":           true,
}

// appPending are outside technologies app still imports, each with the
// package it moves to (issue 14 item 4). The test fails on a new one and
// on an entry that no longer applies, so this list only shrinks.
var appPending = map[string]string{}

// sqlDrivers may be imported by store only, and by backups: Litestream
// runs in the replicator child process with its own driver (modernc), so
// one process never holds two SQLite libraries.
var sqlDrivers = []string{"github.com/mattn/go-sqlite3", "modernc.org/sqlite"}

// outboundAllowed are the files outside httpx that build or use an HTTP
// client of their own, with how many such lines and why. Everything a
// user, a tenant or a setting can point somewhere goes through httpx.
var outboundAllowed = map[string]struct {
	n   int
	why string
}{
	"cli/doctor.go":                 {2, "orengen doctor probes the admin's own listener (loopback by default) for /healthz; TLS unverified to identify the program only"},
	"internal/realtest/smtp.go":     {3, "test support: reads the Mailpit API the test started on loopback"},
	"internal/realtest/radicale.go": {1, "test support: waits for the Radicale the test started on loopback to answer"},
	"app/federal/llm.go":            {1, "fallback when the wiring gives no client (package tests); cli passes the guarded client. Moves to llm (issue 14 item 4)"},
	"sam/sam.go":                    {1, "fallback when the wiring gives no client (package tests); cli passes the guarded client"},
	"grants/grants.go":              {1, "fallback when the wiring gives no client (package tests); cli passes the guarded client"},
	"twilio/twilio.go":              {1, "fallback when the wiring gives no client (package tests); cli passes the guarded client"},
	// The patched Litestream copy (third_party/litestream/PATCH.md), as upstream builds them.
	"third_party/litestream/s3/replica_client.go": {2, "the admin's own S3 replica (--replica s3://...): the AWS SDK's transport with the replica's CA and TLS settings; an S3 server on loopback or the LAN is a legitimate target"},
	"third_party/litestream/heartbeat.go":         {1, "Litestream's heartbeat pinger: orengen never configures a heartbeat URL"},
}

var outboundUse = regexp.MustCompile(`http\.Client\{|new\(http\.Client\)|http\.DefaultClient|http\.DefaultTransport|http\.Transport\{|http\.(Get|Post|PostForm|Head)\(`)

type pkg struct {
	ImportPath                                         string
	Dir                                                string
	GoFiles, TestGoFiles, XTestGoFiles, IgnoredGoFiles []string
	Imports                                            []string
}

func root(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func packages(t *testing.T, dir string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "sqlite_fts5", "-json", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var ps []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if len(ps) < 10 {
		t.Fatalf("go list found %d packages", len(ps))
	}
	return ps
}

func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// std reports whether an import path is the standard library's (its first
// element has no dot).
func std(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && first != module
}

// moduleOf returns the module-ish prefix of a path in appDeps, or path.
func allowedAppDep(path string) bool {
	for d := range appDeps {
		if under(path, d) {
			return true
		}
	}
	return false
}

func TestLayering(t *testing.T) {
	dir := root(t)
	ps := packages(t, dir)
	pendingSeen := map[string]bool{}
	for _, p := range ps {
		for _, imp := range p.Imports {
			switch {
			case under(p.ImportPath, module+"/app"):
				if under(imp, module) && !under(imp, module+"/app") {
					t.Errorf("%s imports %s: app imports no project package outside app", p.ImportPath, imp)
				}
				if !std(imp) && !under(imp, module) && !allowedAppDep(imp) {
					key := ""
					for k := range appPending {
						pp, dep, _ := strings.Cut(k, " ")
						if pp == p.ImportPath && under(imp, dep) {
							key = k
						}
					}
					if key == "" {
						t.Errorf("%s imports %s: app imports no outside-technology package (put it in a package of its own, app keeps an interface)", p.ImportPath, imp)
					}
					pendingSeen[key] = true
				}
			case under(p.ImportPath, module+"/ui"):
				if under(imp, module+"/store") {
					t.Errorf("%s imports %s: ui talks to app services, never to a store", p.ImportPath, imp)
				}
			}
			if under(imp, "github.com/gofiber") && !under(p.ImportPath, module+"/ui") {
				t.Errorf("%s imports %s: only ui uses Fiber", p.ImportPath, imp)
			}
			for _, d := range sqlDrivers {
				if under(imp, d) && !under(p.ImportPath, module+"/store") && !under(p.ImportPath, module+"/backups") {
					t.Errorf("%s imports %s: only store (and the replicator, backups) opens SQLite", p.ImportPath, imp)
				}
			}
		}
		if p.ImportPath == module {
			var files []string
			for _, fs := range [][]string{p.GoFiles, p.TestGoFiles, p.XTestGoFiles, p.IgnoredGoFiles} {
				files = append(files, fs...)
			}
			for _, f := range files {
				if f != "main.go" && f != "main_test.go" {
					t.Errorf("the root holds %s: only main.go (and main_test.go) live there; code goes in cli/", f)
				}
			}
		}
	}
	for k, why := range appPending {
		if !pendingSeen[k] {
			t.Errorf("appPending lists %q (%s), which no longer applies: remove it", k, why)
		}
	}
}

// TestOutboundHTTPClients: outside httpx, no production file builds an
// HTTP client or uses the default one, except those listed in
// outboundAllowed with their reason.
func TestOutboundHTTPClients(t *testing.T) {
	dir := root(t)
	got := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "httpx" || strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := len(outboundUse.FindAll(b, -1)); n > 0 {
			got[rel] = n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for f := range got {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		a, ok := outboundAllowed[f]
		switch {
		case !ok:
			t.Errorf("%s builds or uses %d outbound HTTP client(s) of its own: use httpx.New (the guarded client) from the wiring, or list it in outboundAllowed with why", f, got[f])
		case a.n != got[f]:
			t.Errorf("%s: %d outbound HTTP client uses, outboundAllowed says %d: update the list (and its reason)", f, got[f], a.n)
		}
	}
	for f, a := range outboundAllowed {
		if got[f] == 0 {
			t.Errorf("outboundAllowed lists %s (%s), which no longer builds a client: remove it", f, a.why)
		}
	}
	t.Logf("outbound HTTP clients outside httpx: %d files, %v", len(got), got)
}
