package realtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RadicaleServer is a running Radicale CalDAV server on loopback with
// htpasswd (plain) logins and its collections in a temporary directory.
type RadicaleServer struct {
	URL      string // http://127.0.0.1:PORT/
	User     string
	Password string
	tb       testing.TB
	bin      string
	conf     string
	addr     string
	cmd      *exec.Cmd
	done     chan struct{}
	out      *Buffer
}

// StartRadicale starts Radicale (Debian package radicale) for one user,
// stopped when the test ends. A missing binary stops the test through
// Missing.
func StartRadicale(tb testing.TB, user, password string) *RadicaleServer {
	tb.Helper()
	bin := LookPath(tb, "radicale", "apt-get install -y radicale")
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(user+":"+password+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	addr := Addr(FreePort(tb))
	conf := filepath.Join(dir, "config")
	cfg := fmt.Sprintf(`[server]
hosts = %s

[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain

[rights]
type = owner_only

[storage]
filesystem_folder = %s

[logging]
level = warning
`, addr, filepath.Join(dir, "users"), filepath.Join(dir, "collections"))
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	r := &RadicaleServer{URL: "http://" + addr + "/", User: user, Password: password, tb: tb, bin: bin, conf: conf, addr: addr, out: &Buffer{}}
	r.Start()
	tb.Cleanup(func() {
		r.Stop()
		if tb.Failed() {
			tb.Logf("radicale output:\n%s", r.out.String())
		}
	})
	return r
}

// Start starts the server again after Stop (same port and collections).
func (r *RadicaleServer) Start() {
	r.tb.Helper()
	r.cmd = exec.Command(r.bin, "--config", r.conf)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		r.tb.Fatalf("start radicale: %v", err)
	}
	r.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(r.cmd, r.done)
	WaitTCP(r.tb, r.addr, 20*time.Second)
}

// Stop kills the server (a crash, as far as clients can tell).
func (r *RadicaleServer) Stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// Do sends a request as the user (a test's own calendar client: it
// creates calendars and events the way another program would).
func (r *RadicaleServer) Do(method, path, contentType, body string) (int, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, strings.TrimSuffix(r.URL, "/")+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(r.User, r.Password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// MustDo is Do that fails the test unless the status is one of ok.
func (r *RadicaleServer) MustDo(method, path, contentType, body string, ok ...int) {
	r.tb.Helper()
	code, err := r.Do(method, path, contentType, body)
	if err != nil {
		r.tb.Fatalf("%s %s: %v", method, path, err)
	}
	for _, c := range ok {
		if code == c {
			return
		}
	}
	r.tb.Fatalf("%s %s: status %d", method, path, code)
}

// MkCalendar creates an event calendar at path (/user/name/).
func (r *RadicaleServer) MkCalendar(path, name string) {
	r.tb.Helper()
	r.MustDo("MKCALENDAR", path, "application/xml", `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>`+name+`</D:displayname>
<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`, http.StatusCreated)
}
