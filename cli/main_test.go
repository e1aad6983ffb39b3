package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the orengen binary when a test
// starts it as a child (serve's replicate child, kill -9 tests).
func TestMain(m *testing.M) {
	if os.Getenv("ORENGEN_TEST_RUN_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	// Children that serve starts from os.Executable() (the replicator, a
	// restore drill) are this test binary: make them run main too.
	os.Setenv("ORENGEN_TEST_RUN_MAIN", "1")
	os.Unsetenv("AWS_CA_BUNDLE") // breaks Litestream's S3 client
	os.Exit(m.Run())
}

// openApp opens the app on dir with the defaults and args, as a
// subcommand would; the caller closes it.
func openApp(t testing.TB, dir string, args ...string) *App {
	t.Helper()
	return openAppEnv(t, dir, nil, args...)
}

// openAppEnv is openApp with environment variables (secrets).
func openAppEnv(t testing.TB, dir string, env map[string]string, args ...string) *App {
	t.Helper()
	cfg, err := loadConfig(newFlagSet("t", "t", io.Discard), append([]string{"--data-dir", dir}, args...), envFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// syncBuffer is a goroutine-safe buffer for a running command's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// MustRunMain runs `orengen serve` in-process on a free loopback port with
// a temp data dir and returns its address; the server stops at cleanup.
func MustRunMain(tb testing.TB, dataDir string, extra ...string) (addr string, stdout *syncBuffer, stop func() error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout = &syncBuffer{}
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	args := []string{"serve", "--data-dir", dataDir, "--http-addr", "127.0.0.1:0"}
	if !strings.Contains(strings.Join(extra, " "), "--backup-dir") {
		args = append(args, "--backup-dir", "")
	}
	args = append(args, extra...)
	go func() { done <- Run(ctx, args, stdout, stderr, envFrom(nil)) }()
	re := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case err := <-done:
			cancel()
			tb.Fatalf("serve exited: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if addr == "" {
		cancel()
		tb.Fatalf("serve did not start:\n%s", stderr.String())
	}
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = fmt.Errorf("serve did not stop")
			}
		})
		return stopErr
	}
	tb.Cleanup(func() { stop() })
	return addr, stdout, stop
}

func get(t *testing.T, addr, host, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.Host = host
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestServe_EndToEnd(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now()
	addr, stdout, stop := MustRunMain(t, dir)
	ready := time.Since(t0)
	for _, tc := range []struct {
		host, path string
		status     int
		contains   string
	}{
		{"localhost", "/", 200, "Every lead answered"},
		{"www.localhost", "/about", 301, ""},
		{"app.localhost", "/login", 200, "Sign in"},
		{"nexus.localhost", "/login", 200, "Sign in to Nexus"},
		{"nexus.localhost", "/", 303, ""},
		{"unknown.example", "/", 404, ""},
		{"localhost", "/healthz", 200, `"status":"ok"`},
		{"app.localhost", "/healthz", 200, `"database":"ok"`},
		{"nexus.localhost", "/healthz", 200, `"uptime_seconds"`},
	} {
		resp, body := get(t, addr, tc.host, tc.path)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
			t.Errorf("%s%s: %d %.120q", tc.host, tc.path, resp.StatusCode, body)
		}
	}
	// 413 for an oversized body (over the real listener: fasthttp enforces
	// it from the Content-Length, before the body). The headers go alone
	// and the answer is read before any of the body is written: a client
	// that writes the body races the socket the server closes after its
	// answer (a broken pipe instead of the 413, seen in CI).
	if conn, err := net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
		t.Errorf("oversized body: %v", err)
	} else {
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "POST /leads HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", 2<<20)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != 413 {
			t.Errorf("oversized body: %v %v", resp, err)
		}
		conn.Close()
	}
	// The setup link printed at start works.
	m := regexp.MustCompile(`(http://nexus\.localhost:\d+)(/setup\?token=\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no setup link in output:\n%s", stdout.String())
	}
	if resp, body := get(t, addr, "nexus.localhost", m[2]); resp.StatusCode != 200 || !strings.Contains(body, "Create the first Nexus owner") {
		t.Fatalf("setup link: %d", resp.StatusCode)
	}
	for _, want := range []string{"marketing site: http://localhost:", "client portal:  http://app.localhost:", "nexus (admin):  http://nexus.localhost:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	t.Logf("ready in %s", ready)
	// The databases are closed cleanly and reopen with their data.
	for _, f := range []string{"orengen.db", "redka.db", "session.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "session.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("session.key mode: %v %v", fi, err)
	}
}

func TestConfig_Precedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "orengen.env")
	os.WriteFile(file, []byte("# comment\nORENGEN_DOMAIN=file.example\nORENGEN_LOG_LEVEL=warn\nexport ORENGEN_HTTP_ADDR=':9000'\n"), 0o600)
	fs := newFlagSet("serve", "serve", io.Discard)
	cfg, err := LoadConfig(fs, []string{"--config", file, "--log-level", "debug"}, envFrom(map[string]string{"ORENGEN_DOMAIN": "env.example", "ORENGEN_LOG_LEVEL": "error"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.LogLevel != "debug" || cfg.Domain != "env.example" || cfg.HTTPAddr != ":9000" || cfg.TLS != "auto" || cfg.DataDir == "./data" {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestConfig_Errors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--domain", "bad domain"}, nil, "--domain"},
		{[]string{"--domain", "nodot"}, nil, "--domain"},
		{[]string{"--tls", "maybe"}, nil, "--tls"},
		{[]string{"--http-addr", "8080"}, nil, "--http-addr"},
		{[]string{"--log-level", "loud"}, nil, "--log-level"},
		{[]string{"--acme-ca", "http://insecure"}, nil, "--acme-ca"},
		{[]string{"--backup-retention", "forever"}, nil, "--backup-retention"},
		{[]string{"--body-limit", "12"}, nil, "--body-limit"},
		{nil, map[string]string{"ORENGEN_MASTER_KEY": "short"}, "ORENGEN_MASTER_KEY"},
		{[]string{"--config", "/nonexistent/orengen.env"}, nil, "--config"},
		{[]string{"--nope"}, nil, "flag provided but not defined: -nope"},
	} {
		var stderr bytes.Buffer
		err := Run(context.Background(), append([]string{"serve"}, tc.args...), io.Discard, &stderr, envFrom(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v %v: err = %v, want one line naming %s", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestCLI_User(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := Run(context.Background(), append(args, "--data-dir", dir), &out, io.Discard, envFrom(nil))
		return out.String(), err
	}
	out, err := run("user", "setup-link")
	if err != nil || !strings.Contains(out, "http://nexus.localhost:8080/setup?token=") {
		t.Fatalf("setup-link: %q %v", out, err)
	}
	out, err = run("user", "create", "--email", "Staff@Example.com", "--role", "staff")
	if err != nil || !strings.Contains(out, "created admin staff@example.com") || !strings.Contains(out, "/setup?token=") {
		t.Fatalf("create: %q %v", out, err)
	}
	if _, err := run("user", "create", "--email", "staff@example.com"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := run("user", "create", "--email", "bad"); err == nil || !strings.Contains(err.Error(), "--email") {
		t.Fatalf("bad email: %v", err)
	}
	if _, err := run("user", "setup-link"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("setup-link with an admin: %v", err)
	}
	out, err = run("user", "list")
	if err != nil || !strings.Contains(out, "staff@example.com") || !strings.Contains(out, "false") {
		t.Fatalf("list: %q %v", out, err)
	}
	out, err = run("user", "reset-password", "--email", "staff@example.com")
	if err != nil || !strings.Contains(out, "reset link for staff@example.com") {
		t.Fatalf("reset: %q %v", out, err)
	}
	if _, err := run("user", "reset-password", "--email", "nobody@example.com"); err == nil {
		t.Fatal("reset of unknown admin succeeded")
	}
	if _, err := run("user", "frobnicate"); err == nil {
		t.Fatal("unknown subcommand accepted")
	}
	var vout bytes.Buffer
	if err := Run(context.Background(), []string{"version"}, &vout, io.Discard, envFrom(nil)); err != nil || !strings.HasPrefix(vout.String(), "orengen ") {
		t.Fatalf("version: %q %v", vout.String(), err)
	}
}
