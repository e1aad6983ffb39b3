package deploy

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"orengen/internal/realtest"
)

// scriptPath is install.sh at the top of the repository.
var scriptPath = filepath.Join("..", "install.sh")

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// stage copies install.sh into a new directory next to a stand-in orengen
// binary that prints "orengen VERSION" for `orengen version`.
func stage(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(scriptPath)
	if err != nil {
		t.Fatalf("read install.sh: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "install.sh"), src, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := fmt.Sprintf("#!/bin/sh\n[ \"$1\" = version ] && echo 'orengen %s' && exit 0\nexit 1\n", version)
	if err := os.WriteFile(filepath.Join(dir, "orengen"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// osRelease writes a fake /etc/os-release and returns its path.
func osRelease(t *testing.T, id, version string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "os-release")
	body := fmt.Sprintf("PRETTY_NAME=\"%s %s\"\nID=%s\nVERSION_ID=\"%s\"\n", id, version, id, version)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// scriptEnv is the test process's environment without ORENGEN_* variables,
// with a Debian 12 os-release, plus extra.
func scriptEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORENGEN_") {
			env = append(env, kv)
		}
	}
	env = append(env, "ORENGEN_OS_RELEASE="+osRelease(t, "debian", "12"))
	return append(env, extra...)
}

// run runs the install.sh in dir with stdin not a terminal.
func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "install.sh"), args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("run install.sh %v: %v", args, err)
	}
	return r
}

func mustRun(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	r := run(t, dir, env, args...)
	if r.code != 0 {
		t.Fatalf("install.sh %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// readEnv parses an env file into its KEY=value lines, in order.
func readEnv(t *testing.T, path string) (map[string]string, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read env file: %v", err)
	}
	m := map[string]string{}
	var lines []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		lines = append(lines, line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("env file line without '=': %q", line)
		}
		if _, dup := m[k]; dup {
			t.Errorf("env file sets %s twice", k)
		}
		m[k] = v
	}
	return m, lines
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	return fi.Mode()
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkKey(t *testing.T, name, v string) {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != 32 {
		t.Errorf("%s = %q: want std base64 of 32 bytes (err %v, %d bytes)", name, v, err, len(b))
	}
}

// parseUnit returns every Key=value of a unit file, values in order.
func parseUnit(text string) map[string][]string {
	m := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		m[k] = append(m[k], v)
	}
	return m
}

func TestShellcheck(t *testing.T) {
	sc := realtest.LookPath(t, "shellcheck", "apt-get install -y shellcheck")
	out, err := exec.Command(sc, "--severity=style", scriptPath).CombinedOutput()
	if err != nil {
		t.Fatalf("shellcheck install.sh: %v\n%s", err, out)
	}
}

func TestHelp(t *testing.T) {
	dir := stage(t, "v1")
	r := mustRun(t, dir, scriptEnv(t), "--help")
	for _, want := range []string{"--domain", "--email", "--replica", "--s3-access-key-id", "--root", "--no-start", "--uninstall", "--purge", "--yes", "journalctl -u orengen"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
}

func TestInstallIntoRoot(t *testing.T) {
	dir := stage(t, "v1.0.0")
	root := filepath.Join(t.TempDir(), "root")
	r := mustRun(t, dir, scriptEnv(t), "--root", root, "--no-start", "--yes", "--domain", "Example.TEST", "--email", "ops@example.test")
	if strings.Contains(r.stdout+r.stderr, "ORENGEN_MASTER_KEY=") {
		t.Errorf("output shows the master key:\n%s", r)
	}

	// Files and modes.
	for path, want := range map[string]os.FileMode{
		"var/lib/orengen":                       os.ModeDir | 0o700,
		"var/backups/orengen":                   os.ModeDir | 0o700,
		"etc/orengen":                           os.ModeDir | 0o750,
		"etc/orengen/orengen.env":               0o600,
		"usr/local/bin/orengen":                 0o755,
		"etc/systemd/system/orengen.service":    0o644,
		"usr/local/lib/sysusers.d/orengen.conf": 0o644,
		"usr/local/lib/tmpfiles.d/orengen.conf": 0o644,
	} {
		if got := mode(t, filepath.Join(root, path)); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
	if got := readFile(t, filepath.Join(root, "usr/local/bin/orengen")); got != readFile(t, filepath.Join(dir, "orengen")) {
		t.Errorf("installed binary differs from the one next to install.sh")
	}
	if exists(filepath.Join(root, "usr/local/bin/orengen.prev")) {
		t.Errorf("a first install made orengen.prev")
	}

	// Owners: the service user where it exists and we are root, else untouched.
	st := func(p string) *syscall.Stat_t {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t)
	}
	if env := st("etc/orengen/orengen.env"); int(env.Uid) != os.Geteuid() {
		t.Errorf("env file owned by uid %d, want %d (root when run as root)", env.Uid, os.Geteuid())
	}
	if os.Geteuid() == 0 && exec.Command("getent", "passwd", "orengen").Run() == nil {
		uid, _ := exec.Command("id", "-u", "orengen").Output()
		for _, p := range []string{"var/lib/orengen", "var/backups/orengen"} {
			if got := fmt.Sprint(st(p).Uid); got != strings.TrimSpace(string(uid)) {
				t.Errorf("%s owned by uid %s, want orengen (%s)", p, got, uid)
			}
		}
	} else {
		if !strings.Contains(r.stdout, "not changing owners") {
			t.Errorf("no note that owners were not set:\n%s", r)
		}
		if got := st("var/lib/orengen").Uid; int(got) != os.Geteuid() {
			t.Errorf("data dir owned by uid %d, want %d", got, os.Geteuid())
		}
	}
	sysusers := readFile(t, filepath.Join(root, "usr/local/lib/sysusers.d/orengen.conf"))
	if !strings.HasPrefix(sysusers, "u orengen - ") || !strings.Contains(sysusers, "/var/lib/orengen") {
		t.Errorf("sysusers.d: %q", sysusers)
	}
	tmpfiles := readFile(t, filepath.Join(root, "usr/local/lib/tmpfiles.d/orengen.conf"))
	for _, want := range []string{"d /var/lib/orengen 0700 orengen orengen -", "d /var/backups/orengen 0700 orengen orengen -"} {
		if !strings.Contains(tmpfiles, want) {
			t.Errorf("tmpfiles.d lacks %q:\n%s", want, tmpfiles)
		}
	}

	// The env file: exactly these keys, with real (not --root) paths.
	env, _ := readEnv(t, filepath.Join(root, "etc/orengen/orengen.env"))
	want := map[string]string{
		"ORENGEN_DOMAIN":     "example.test",
		"ORENGEN_ACME_EMAIL": "ops@example.test",
		"ORENGEN_DATA_DIR":   "/var/lib/orengen",
		"ORENGEN_BACKUP_DIR": "/var/backups/orengen",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	checkKey(t, "ORENGEN_MASTER_KEY", env["ORENGEN_MASTER_KEY"])
	checkKey(t, "ORENGEN_SESSION_KEY", env["ORENGEN_SESSION_KEY"])
	if env["ORENGEN_MASTER_KEY"] == env["ORENGEN_SESSION_KEY"] {
		t.Errorf("master key and session key are equal")
	}
	if len(env) != len(want)+2 {
		t.Errorf("env file keys: %v, want %v plus the two keys", env, want)
	}

	// The unit.
	unit := parseUnit(readFile(t, filepath.Join(root, "etc/systemd/system/orengen.service")))
	for k, v := range map[string]string{
		"ExecStart":             "/usr/local/bin/orengen serve",
		"EnvironmentFile":       "/etc/orengen/orengen.env",
		"User":                  "orengen",
		"Group":                 "orengen",
		"WorkingDirectory":      "/var/lib/orengen",
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
		"ProtectHome":           "yes",
		"PrivateTmp":            "yes",
		"ReadWritePaths":        "/var/lib/orengen /var/backups/orengen",
		"AmbientCapabilities":   "CAP_NET_BIND_SERVICE",
		"CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
		"Restart":               "on-failure",
		"RestartSec":            "5s",
		"LimitNOFILE":           "65536",
		"KillSignal":            "SIGTERM",
		"KillMode":              "mixed",
		"TimeoutStopSec":        "30s",
		"ProtectKernelTunables": "yes",
		"RestrictSUIDSGID":      "yes",
		"LockPersonality":       "yes",
		"SystemCallFilter":      "@system-service",
		"WantedBy":              "multi-user.target",
	} {
		if got := unit[k]; len(got) != 1 || got[0] != v {
			t.Errorf("unit %s = %q, want [%q]", k, got, v)
		}
	}
	if got := unit["ExecStart"]; len(got) > 0 && strings.Contains(got[0], root) {
		t.Errorf("unit names the --root path: %q", got)
	}
}

// TestUnitVerifies runs systemd-analyze verify on the installed unit, with
// ExecStart pointed at the installed file (verify checks it is executable and
// knows no --root for that).
func TestUnitVerifies(t *testing.T) {
	sa := realtest.LookPath(t, "systemd-analyze", "apt-get install -y systemd")
	dir := stage(t, "v1")
	root := filepath.Join(t.TempDir(), "root")
	mustRun(t, dir, scriptEnv(t), "--root", root, "--no-start", "--yes", "--domain", "example.test")
	text := readFile(t, filepath.Join(root, "etc/systemd/system/orengen.service"))
	text = strings.Replace(text, "ExecStart=/usr/local/bin/orengen", "ExecStart="+filepath.Join(root, "usr/local/bin/orengen"), 1)
	unit := filepath.Join(t.TempDir(), "orengen.service")
	if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		// verify exits 0 on unknown keys but prints them: any output is a failure.
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestFreshInstallsGetDifferentSecrets(t *testing.T) {
	dir := stage(t, "v1")
	seen := map[string]bool{}
	for i := 0; i < 2; i++ {
		root := filepath.Join(t.TempDir(), "root")
		mustRun(t, dir, scriptEnv(t), "--root", root, "--no-start", "--yes", "--domain", "example.test")
		env, _ := readEnv(t, filepath.Join(root, "etc/orengen/orengen.env"))
		for _, k := range []string{"ORENGEN_MASTER_KEY", "ORENGEN_SESSION_KEY"} {
			if seen[env[k]] {
				t.Errorf("install %d reused a secret (%s)", i, k)
			}
			seen[env[k]] = true
		}
	}
}

func TestRerunUpgradesAndKeepsSecrets(t *testing.T) {
	v1, v2 := stage(t, "v1"), stage(t, "v2")
	root := filepath.Join(t.TempDir(), "root")
	envPath := filepath.Join(root, "etc/orengen/orengen.env")
	bin := filepath.Join(root, "usr/local/bin/orengen")
	mustRun(t, v1, scriptEnv(t), "--root", root, "--no-start", "--yes", "--domain", "example.test", "--email", "ops@example.test")
	before, beforeLines := readEnv(t, envPath)

	// Same binary, no flags: nothing changes, no orengen.prev.
	r := mustRun(t, v1, scriptEnv(t), "--root", root, "--no-start", "--yes")
	if got := readFile(t, envPath); got != strings.Join(beforeLines, "\n")+"\n" {
		t.Errorf("a rerun without flags changed the env file:\n%s", got)
	}
	if exists(bin + ".prev") {
		t.Errorf("a rerun with the same binary made orengen.prev")
	}
	if !strings.Contains(r.stdout, "keeping /etc/orengen/orengen.env") {
		t.Errorf("rerun does not say it keeps the env file:\n%s", r)
	}

	// New binary and a new domain: only ORENGEN_DOMAIN changes.
	r = mustRun(t, v2, scriptEnv(t), "--root", root, "--no-start", "--yes", "--domain", "other.test")
	if !strings.Contains(r.stdout, "upgrading: orengen v1 -> orengen v2") {
		t.Errorf("no upgrade message:\n%s", r)
	}
	after, afterLines := readEnv(t, envPath)
	if after["ORENGEN_DOMAIN"] != "other.test" {
		t.Errorf("ORENGEN_DOMAIN = %q, want other.test", after["ORENGEN_DOMAIN"])
	}
	if len(afterLines) != len(beforeLines) {
		t.Fatalf("env file went from %d to %d lines", len(beforeLines), len(afterLines))
	}
	for i := range beforeLines {
		if beforeLines[i] != afterLines[i] && !strings.HasPrefix(afterLines[i], "ORENGEN_DOMAIN=") {
			t.Errorf("line %d changed: %q -> %q", i+1, beforeLines[i], afterLines[i])
		}
	}
	if before["ORENGEN_MASTER_KEY"] != after["ORENGEN_MASTER_KEY"] || before["ORENGEN_SESSION_KEY"] != after["ORENGEN_SESSION_KEY"] {
		t.Errorf("the rerun changed a secret")
	}
	if got := readFile(t, bin); !strings.Contains(got, "orengen v2") {
		t.Errorf("binary not upgraded: %q", got)
	}
	if got := readFile(t, bin+".prev"); !strings.Contains(got, "orengen v1") {
		t.Errorf("orengen.prev is not the previous binary: %q", got)
	}
	if got := mode(t, envPath); got != 0o600 {
		t.Errorf("env file mode after rerun %v", got)
	}

	// The same new binary again keeps v1 as the rollback target.
	mustRun(t, v2, scriptEnv(t), "--root", root, "--no-start", "--yes")
	if got := readFile(t, bin+".prev"); !strings.Contains(got, "orengen v1") {
		t.Errorf("rerun with an unchanged binary replaced orengen.prev: %q", got)
	}
}

func TestReplicaAndSecretsFromEnvironment(t *testing.T) {
	dir := stage(t, "v1")
	root := filepath.Join(t.TempDir(), "root")
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	env := scriptEnv(t, "ORENGEN_S3_ACCESS_KEY_ID=AKIDEXAMPLE", "ORENGEN_S3_SECRET_ACCESS_KEY="+secret)
	s3 := "s3://bucket/orengen?endpoint=https://s3.example.test&region=eu-1&force-path-style=true"
	r := mustRun(t, dir, env, "--root", root, "--no-start", "--yes", "--domain", "example.test",
		"--replica", "off="+s3, "--replica=file:///mnt/usb/orengen")
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("output shows the S3 secret:\n%s", r)
	}
	got, _ := readEnv(t, filepath.Join(root, "etc/orengen/orengen.env"))
	if want := "off=" + s3 + " file:///mnt/usb/orengen"; got["ORENGEN_REPLICAS"] != want {
		t.Errorf("ORENGEN_REPLICAS = %q, want %q", got["ORENGEN_REPLICAS"], want)
	}
	if got["ORENGEN_S3_ACCESS_KEY_ID"] != "AKIDEXAMPLE" || got["ORENGEN_S3_SECRET_ACCESS_KEY"] != secret {
		t.Errorf("S3 credentials not written: %q %q", got["ORENGEN_S3_ACCESS_KEY_ID"], got["ORENGEN_S3_SECRET_ACCESS_KEY"])
	}
}

func TestUninstallKeepsDataPurgeRemoves(t *testing.T) {
	v1, v2 := stage(t, "v1"), stage(t, "v2")
	root := filepath.Join(t.TempDir(), "root")
	mustRun(t, v1, scriptEnv(t), "--root", root, "--no-start", "--yes", "--domain", "example.test")
	mustRun(t, v2, scriptEnv(t), "--root", root, "--no-start", "--yes")
	data := filepath.Join(root, "var/lib/orengen/orengen.db")
	backup := filepath.Join(root, "var/backups/orengen/generations")
	for _, p := range []string{data, backup} {
		if err := os.WriteFile(p, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	envBefore := readFile(t, filepath.Join(root, "etc/orengen/orengen.env"))

	mustRun(t, v1, scriptEnv(t), "--root", root, "--uninstall")
	for _, p := range []string{"etc/systemd/system/orengen.service", "usr/local/bin/orengen", "usr/local/bin/orengen.prev", "usr/local/lib/sysusers.d/orengen.conf", "usr/local/lib/tmpfiles.d/orengen.conf"} {
		if exists(filepath.Join(root, p)) {
			t.Errorf("--uninstall left %s", p)
		}
	}
	if readFile(t, data) != "keep me" || readFile(t, backup) != "keep me" {
		t.Errorf("--uninstall touched data or backups")
	}
	if readFile(t, filepath.Join(root, "etc/orengen/orengen.env")) != envBefore {
		t.Errorf("--uninstall changed the env file")
	}

	// --purge without --yes and without a terminal refuses.
	r := run(t, v1, scriptEnv(t), "--root", root, "--uninstall", "--purge")
	if r.code != 1 || !strings.Contains(r.stderr, "add --yes") || !exists(data) {
		t.Errorf("--purge without --yes: want refusal and data kept, got %s", r)
	}

	mustRun(t, v1, scriptEnv(t), "--root", root, "--uninstall", "--purge", "--yes")
	for _, p := range []string{"var/lib/orengen", "var/backups/orengen", "etc/orengen"} {
		if exists(filepath.Join(root, p)) {
			t.Errorf("--purge left %s", p)
		}
	}
}

// listTree lists every path under root (empty when root does not exist).
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var paths []string
	err := filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func TestRefusals(t *testing.T) {
	dir := stage(t, "v1")
	base := t.TempDir()
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		want []string
	}{
		{"unknown flag", nil, []string{"--frobnicate"}, 2, []string{"unknown option: --frobnicate", "Usage:"}},
		{"missing flag value", nil, []string{"--domain"}, 2, []string{"--domain needs a value", "Usage:"}},
		{"bad timeout", nil, []string{"--timeout", "soon"}, 2, []string{"--timeout"}},
		{"unsupported os", []string{"ORENGEN_OS_RELEASE=" + osRelease(t, "ubuntu", "20.04")}, []string{"--yes", "--domain", "example.test"}, 1,
			[]string{"unsupported OS: ubuntu 20.04", "Debian 12", "--force-os", "nothing was changed"}},
		{"missing os-release", []string{"ORENGEN_OS_RELEASE=" + filepath.Join(base, "nope")}, []string{"--yes", "--domain", "example.test"}, 1,
			[]string{"cannot read", "nothing was changed"}},
		{"no domain", nil, []string{"--yes"}, 1, []string{"--domain is required"}},
		{"bad domain", nil, []string{"--yes", "--domain", "exa mple"}, 1, []string{"--domain 'exa mple' is not a domain name"}},
		{"ip as domain", nil, []string{"--yes", "--domain", "10.0.0.1"}, 1, []string{"--domain '10.0.0.1'"}},
		{"bad email", nil, []string{"--yes", "--domain", "example.test", "--email", "nobody"}, 1, []string{"--email 'nobody'"}},
		{"credentials in replica url", nil, []string{"--yes", "--domain", "example.test", "--replica", "s3://AKID:secret@bucket/p"}, 1,
			[]string{"credentials must not be in the URL"}},
		{"unknown replica scheme", nil, []string{"--yes", "--domain", "example.test", "--replica", "ftp://host/p"}, 1, []string{"--replica 'ftp://host/p'"}},
		{"half of the s3 pair", []string{"ORENGEN_S3_ACCESS_KEY_ID=AKID"}, []string{"--yes", "--domain", "example.test"}, 1, []string{"give both"}},
		{"no binary", nil, []string{"--yes", "--domain", "example.test", "--binary", filepath.Join(base, "missing")}, 1, []string{"no executable orengen binary"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(base, fmt.Sprint(i))
			args := append([]string{"--root", root, "--no-start"}, c.args...)
			r := run(t, dir, scriptEnv(t, c.env...), args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d\n%s", r.code, c.code, r)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q\n%s", w, r)
				}
			}
			if got := listTree(t, root); len(got) > 0 {
				t.Errorf("a refused install created files: %v", got)
			}
		})
	}

	t.Run("force-os", func(t *testing.T) {
		root := filepath.Join(base, "force")
		r := run(t, dir, scriptEnv(t, "ORENGEN_OS_RELEASE="+osRelease(t, "fedora", "40")), "--root", root, "--no-start", "--yes", "--domain", "example.test", "--force-os")
		if r.code != 0 || !strings.Contains(r.stderr, "continuing because of --force-os") || !exists(filepath.Join(root, "etc/orengen/orengen.env")) {
			t.Errorf("--force-os: %s", r)
		}
	})

	t.Run("data without master key", func(t *testing.T) {
		root := filepath.Join(base, "lostkey")
		if err := os.MkdirAll(filepath.Join(root, "var/lib/orengen"), 0o700); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(root, "var/lib/orengen/orengen.db")
		if err := os.WriteFile(db, []byte("data"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, dir, scriptEnv(t), "--root", root, "--no-start", "--yes", "--domain", "example.test")
		if r.code != 1 || !strings.Contains(r.stderr, "has no ORENGEN_MASTER_KEY") {
			t.Errorf("want a refusal to generate a new master key over existing data: %s", r)
		}
		if got := listTree(t, root); len(got) != 5 { // root, var, var/lib, var/lib/orengen, the db
			t.Errorf("refusal changed the tree: %v", got)
		}
	})

	t.Run("check changes nothing", func(t *testing.T) {
		root := filepath.Join(base, "check")
		r := run(t, dir, scriptEnv(t), "--root", root, "--no-start", "--yes", "--domain", "example.test", "--check")
		if r.code != 0 || !strings.Contains(r.stdout, "nothing was changed (--check)") || len(listTree(t, root)) > 0 {
			t.Errorf("--check: %s", r)
		}
	})
}

// TestRefusesWithoutRoot runs the script as an unprivileged user without
// --root: it must refuse before changing anything.
func TestRefusesWithoutRoot(t *testing.T) {
	dir := stage(t, "v1")
	var cmd []string
	if os.Geteuid() == 0 {
		setpriv := realtest.LookPath(t, "setpriv", "apt-get install -y util-linux")
		// The unprivileged user must be able to read the staged script.
		for d := dir; d != filepath.Dir(os.TempDir()) && d != "/"; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		cmd = []string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"}
	}
	cmd = append(cmd, filepath.Join(dir, "install.sh"), "--yes", "--domain", "example.test")
	c := exec.Command(cmd[0], cmd[1:]...)
	env := scriptEnv(t)
	// The fake os-release must be readable as well.
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "ORENGEN_OS_RELEASE="); ok {
			_ = os.Chmod(filepath.Dir(p), 0o755)
		}
	}
	c.Env = env
	out, err := c.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v\n%s", err, out)
	}
	for _, want := range []string{"run as root", "nothing was changed"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if exists("/etc/orengen") && os.Geteuid() != 0 {
		t.Errorf("/etc/orengen exists after a refused install")
	}
}

// TestCheckReportsMissingSystemd runs the real-system preflight (--check, so
// nothing can change even if a check were wrong) where systemd is not running.
func TestCheckReportsMissingSystemd(t *testing.T) {
	if exists("/run/systemd/system") {
		t.Skip("systemd is running here; the missing-systemd refusal is covered where it is not (containers)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root so that the systemd check is the one that fails")
	}
	dir := stage(t, "v1")
	r := run(t, dir, scriptEnv(t), "--yes", "--domain", "example.test", "--check")
	if r.code != 1 || !strings.Contains(r.stderr, "systemd is not running") || !strings.Contains(r.stderr, "nothing was changed") {
		t.Errorf("want a refusal naming systemd: %s", r)
	}
}

// TestBuildsFromSourceCheckout: with a Makefile and go.mod beside it and Go on
// PATH, install.sh runs `make build` and installs the ./orengen it produces;
// a failed build is a refusal that changes nothing.
func TestBuildsFromSourceCheckout(t *testing.T) {
	realtest.LookPath(t, "make", "apt-get install -y make")
	for _, c := range []struct {
		name, recipe string
		ok           bool
	}{
		{"build", "\tprintf '#!/bin/sh\\necho orengen built-from-source\\n' >orengen\n\tchmod +x orengen\n", true},
		{"failed build", "\t@echo 'main.go:1: syntax error' >&2; exit 1\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := stage(t, "stale")
			if err := os.Remove(filepath.Join(dir, "orengen")); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(dir, "Makefile"), "build:\n"+c.recipe, 0o644)
			mustWrite(t, filepath.Join(dir, "go.mod"), "module orengen\n", 0o644)
			// Only the presence of go matters to the script; make does the build.
			bin := filepath.Join(t.TempDir(), "bin")
			mustWrite(t, filepath.Join(bin, "go"), "#!/bin/sh\nexit 0\n", 0o755)
			root := filepath.Join(t.TempDir(), "root")
			r := run(t, dir, scriptEnv(t, "PATH="+bin+":"+os.Getenv("PATH")), "--root", root, "--no-start", "--yes", "--domain", "example.test")
			if c.ok {
				if r.code != 0 || !strings.Contains(r.stdout, "make build") {
					t.Fatalf("%s", r)
				}
				if got := readFile(t, filepath.Join(root, "usr/local/bin/orengen")); !strings.Contains(got, "built-from-source") {
					t.Errorf("installed binary is not the built one: %q", got)
				}
				return
			}
			if r.code != 1 || !strings.Contains(r.stderr, "make build failed") || !strings.Contains(r.stderr, "nothing was changed") {
				t.Errorf("failed build: %s", r)
			}
			if got := listTree(t, root); len(got) > 0 {
				t.Errorf("a failed build installed files: %v", got)
			}
		})
	}
}
