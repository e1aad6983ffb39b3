package realtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// DovecotServer is a running Dovecot IMAP server on loopback (no TLS,
// plain logins from a passwd-file, Maildir in a temporary directory).
type DovecotServer struct {
	Host     string // 127.0.0.1
	Port     int
	User     string
	Password string
	// Maildir is the user's Maildir (cur, new, tmp, dovecot-uidlist).
	Maildir string
	tb      testing.TB
	bin     string
	conf    string
	cmd     *exec.Cmd
	done    chan struct{}
	out     *Buffer
}

// StartDovecot starts Dovecot (Debian package dovecot-imapd) for one
// user, stopped when the test ends. A missing binary stops the test
// through Missing.
func StartDovecot(tb testing.TB, userName, password string) *DovecotServer {
	tb.Helper()
	bin := LookPath(tb, "/usr/sbin/dovecot", "apt-get install -y dovecot-imapd")
	dir := tb.TempDir()
	// Dovecot's auth process (its own user) reads the users file: the
	// test's temporary directories must be searchable.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	// Mail is owned by an unprivileged user: Dovecot refuses UID 0.
	uid, gid := os.Getuid(), os.Getgid()
	internal := ""
	if uid == 0 {
		uid, gid = 65534, 65534
		if u, err := user.Lookup("nobody"); err == nil {
			uid, _ = strconv.Atoi(u.Uid)
			gid, _ = strconv.Atoi(u.Gid)
		}
	} else if u, err := user.Current(); err == nil {
		// Not root: Dovecot's own processes run as this user too.
		internal = fmt.Sprintf("default_internal_user = %s\ndefault_login_user = %s\n", u.Username, u.Username)
	}
	home := filepath.Join(dir, "mail", userName)
	if err := os.MkdirAll(home, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chown(filepath.Join(dir, "mail"), uid, gid); err != nil && os.Getuid() == 0 {
		tb.Fatal(err)
	}
	if err := os.Chown(home, uid, gid); err != nil && os.Getuid() == 0 {
		tb.Fatal(err)
	}
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte(userName+":{PLAIN}"+password+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	port := FreePort(tb)
	conf := filepath.Join(dir, "dovecot.conf")
	cfg := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = /dev/stderr
%[6]sprotocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[2]s
}
userdb {
  driver = static
  args = uid=%[3]d gid=%[4]d home=%[1]s/mail/%%u
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[5]d
  }
  inet_listener imaps {
    port = 0
  }
}
`, dir, users, uid, gid, port, internal)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	d := &DovecotServer{Host: "127.0.0.1", Port: port, User: userName, Password: password, Maildir: filepath.Join(home, "Maildir"),
		tb: tb, bin: bin, conf: conf, out: &Buffer{}}
	d.Start()
	tb.Cleanup(func() {
		d.Stop()
		if tb.Failed() {
			tb.Logf("dovecot output:\n%s", d.out.String())
		}
	})
	return d
}

// Addr is host:port.
func (d *DovecotServer) Addr() string { return Addr(d.Port) }

// Start starts the server again after Stop (same port and mail).
func (d *DovecotServer) Start() {
	d.tb.Helper()
	d.cmd = exec.Command(d.bin, "-F", "-c", d.conf)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		d.tb.Fatalf("start dovecot: %v", err)
	}
	d.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(d.cmd, d.done)
	WaitTCP(d.tb, d.Addr(), 20*time.Second)
}

// Stop stops the server (its master process ends its children).
func (d *DovecotServer) Stop() {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
	d.cmd = nil
}
