package deploy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"orengen/internal/realtest"
)

// The end-to-end test runs install.sh without --root, as on a server, in a
// private mount namespace where /etc is a copy and /usr/local, /var and /run
// are empty tmpfs mounts, so the real machine is never touched. systemctl,
// systemd-run and journalctl are stand-ins (fakeSystemctl below) that start
// the unit's ExecStart as the unit's User with its EnvironmentFile, and the
// orengen binary is a small Go program (fakeOrengen) that answers /healthz.

const nsEnv = "DEPLOY_TEST_NAMESPACE" // set in the re-executed test: the shared work dir

const fakeOrengen = `package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
)

var version, broken = "dev", ""

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	switch os.Args[1] {
	case "version":
		fmt.Println("orengen " + version)
	case "serve":
		if broken != "" {
			fmt.Fprintln(os.Stderr, "serve: this build is broken on purpose")
			os.Exit(1)
		}
		if os.Getenv("ORENGEN_MASTER_KEY") == "" || os.Getenv("ORENGEN_SESSION_KEY") == "" {
			fmt.Fprintln(os.Stderr, "serve: keys missing from the environment")
			os.Exit(1)
		}
		// Prove the service user can write the data directory.
		if err := os.WriteFile(filepath.Join(os.Getenv("ORENGEN_DATA_DIR"), "orengen.db"), []byte(version), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "{\"status\":\"ok\",\"version\":%q,\"host\":%q,\"uid\":%d}\n", version, r.Host, os.Getuid())
		})
		log.Fatal(http.ListenAndServe(os.Getenv("ORENGEN_HTTP_ADDR"), nil))
	case "user":
		if len(os.Args) == 3 && os.Args[2] == "setup-link" && os.Getenv("ORENGEN_MASTER_KEY") != "" {
			fmt.Printf("https://nexus.%s/setup/test-token (uid %d)\n", os.Getenv("ORENGEN_DOMAIN"), os.Getuid())
			return
		}
		os.Exit(1)
	default:
		os.Exit(2)
	}
}
`

const fakeSystemctl = `#!/bin/bash
# Stand-in for systemctl: runs orengen.service's ExecStart like systemd would.
set -eu
state=$FAKE_SYSTEMD_STATE
echo "systemctl $*" >>"$state/calls"
unit=/etc/systemd/system/orengen.service
stop() {
	[[ -f $state/pid ]] || return 0
	local pid
	pid=$(cat "$state/pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	rm -f "$state/pid"
}
start() {
	local exec_start envfile user wd
	exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
	envfile=$(sed -n 's/^EnvironmentFile=//p' "$unit")
	user=$(sed -n 's/^User=//p' "$unit")
	wd=$(sed -n 's/^WorkingDirectory=//p' "$unit")
	(
		# systemd starts a service with no inherited file descriptors.
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true
		done
		while IFS= read -r l; do [[ $l == [A-Z]*=* ]] && export "${l?}"; done <"$envfile"
		cd "$wd"
		# shellcheck disable=SC2086
		exec setpriv --reuid="$user" --regid="$user" --init-groups $exec_start
	) >>"$state/service.log" 2>&1 </dev/null &
	echo $! >"$state/pid"
}
case $1 in
restart) stop; start ;;
start) start ;;
stop) stop ;;
disable) [[ " $* " != *" --now "* ]] || stop ;;
*) ;;
esac
`

const fakeSystemdRun = `#!/bin/bash
# Stand-in for systemd-run --uid=U -p EnvironmentFile=F -p WorkingDirectory=D CMD...
set -eu
user="" envfile="" wd=/
while (($#)); do
	case $1 in
	--uid=*) user=${1#--uid=} ;;
	--gid=* | --quiet | --pipe | --wait | --collect) ;;
	-p)
		case $2 in EnvironmentFile=*) envfile=${2#*=} ;; WorkingDirectory=*) wd=${2#*=} ;; esac
		shift
		;;
	*) break ;;
	esac
	shift
done
echo "systemd-run $user $*" >>"$FAKE_SYSTEMD_STATE/calls"
while IFS= read -r l; do [[ $l == [A-Z]*=* ]] && export "${l?}"; done <"$envfile"
cd "$wd"
exec setpriv --reuid="$user" --regid="$user" --init-groups "$@"
`

// fakeUfw is an active firewall that records its rules (the mount namespace
// shares the network, so the real ufw must never run here).
const fakeUfw = `#!/bin/sh
echo "ufw $*" >>"$FAKE_SYSTEMD_STATE/calls"
[ "$1" = status ] && echo "Status: active"
exit 0
`

const fakeJournalctl = `#!/bin/sh
echo "-- journal (stand-in) --"
tail -n 5 "$FAKE_SYSTEMD_STATE/service.log" 2>/dev/null
exit 0
`

func mntNS(t *testing.T) string {
	t.Helper()
	ns, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestSystemdInstallInNamespace(t *testing.T) {
	if work := os.Getenv(nsEnv); work != "" {
		namespaceScenario(t, work)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a private mount namespace (the --root tests cover the files)")
	}
	unshare := realtest.LookPath(t, "unshare", "apt-get install -y util-linux")
	if out, err := exec.Command(unshare, "-m", "--propagation", "private", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot create a mount namespace here (%v: %s); the --root tests cover the files", err, out)
	}
	for _, tool := range []string{"setpriv", "useradd", "userdel", "curl", "ss", "mount"} {
		realtest.LookPath(t, tool, "apt-get install -y util-linux passwd curl iproute2 mount")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}

	work := t.TempDir()
	// Three builds of the stand-in binary: two good versions and a broken one.
	src := filepath.Join(work, "src")
	mustWrite(t, filepath.Join(src, "go.mod"), "module fakeorengen\n\ngo 1.22\n", 0o644)
	mustWrite(t, filepath.Join(src, "main.go"), fakeOrengen, 0o644)
	for _, b := range []struct{ name, ldflags string }{
		{"v1", "-X main.version=v1"},
		{"v2", "-X main.version=v2"},
		{"v3", "-X main.version=v3 -X main.broken=yes"},
	} {
		dir := filepath.Join(work, b.name)
		script, err := os.ReadFile(scriptPath)
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(dir, "install.sh"), string(script), 0o755)
		cmd := exec.Command(goTool, "build", "-ldflags", b.ldflags, "-o", filepath.Join(dir, "orengen"), ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build stand-in orengen %s: %v\n%s", b.name, err, out)
		}
	}
	fake := filepath.Join(work, "fakebin")
	mustWrite(t, filepath.Join(fake, "systemctl"), fakeSystemctl, 0o755)
	mustWrite(t, filepath.Join(fake, "systemd-run"), fakeSystemdRun, 0o755)
	mustWrite(t, filepath.Join(fake, "journalctl"), fakeJournalctl, 0o755)
	mustWrite(t, filepath.Join(fake, "ufw"), fakeUfw, 0o755)
	if err := os.MkdirAll(filepath.Join(work, "state"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Whatever happens inside, stop the stand-in service afterwards.
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(work, "state", "pid")); err == nil {
			var pid int
			if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})

	cmd := exec.Command(unshare, "-m", "--propagation", "private", os.Args[0],
		"-test.run=^TestSystemdInstallInNamespace$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), nsEnv+"="+work, "DEPLOY_TEST_PARENT_NS="+mntNS(t))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestSystemdInstallInNamespace") {
		t.Fatalf("scenario in the mount namespace failed: %v\n%s", err, out)
	}
	t.Logf("scenario output:\n%s", out)
}

func mustWrite(t *testing.T, path, body string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), perm); err != nil {
		t.Fatal(err)
	}
}

func sh(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// namespaceScenario runs inside the private mount namespace.
func namespaceScenario(t *testing.T, work string) {
	if parent := os.Getenv("DEPLOY_TEST_PARENT_NS"); parent == "" || parent == mntNS(t) {
		t.Fatalf("refusing to run: not in a private mount namespace (%q)", parent)
	}
	// A throwaway system: copied /etc, empty /usr/local, /var and /run.
	sh(t, "cp", "-a", "/etc", filepath.Join(work, "etc"))
	sh(t, "mount", "--bind", filepath.Join(work, "etc"), "/etc")
	for _, d := range []string{"/usr/local", "/var", "/run"} {
		sh(t, "mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d)
	}
	for _, d := range []string{"/run/systemd/system", "/run/lock", "/var/lib", "/var/backups"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_ = exec.Command("userdel", "orengen").Run() // only in the copied /etc, if the host had one

	// The operator's prepared configuration: loopback ports for the test.
	port, httpsPort := freePort(t), freePort(t)
	mustWrite(t, "/etc/orengen/orengen.env", fmt.Sprintf(
		"ORENGEN_DOMAIN=example.test\nORENGEN_HTTP_ADDR=127.0.0.1:%d\nORENGEN_HTTPS_ADDR=127.0.0.1:%d\n", port, httpsPort), 0o644)

	state := filepath.Join(work, "state")
	env := scriptEnv(t, "FAKE_SYSTEMD_STATE="+state,
		"PATH="+filepath.Join(work, "fakebin")+":"+os.Getenv("PATH"))
	health := func() string {
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
		if err != nil {
			return "down: " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	v := func(name string) string { return filepath.Join(work, name) }

	// 1. First install.
	r := run(t, v("v1"), env, "--yes", "--email", "ops@example.test", "--timeout", "20")
	if r.code != 0 {
		t.Fatalf("install: %s\nservice log:\n%s", r, readLog(state))
	}
	t.Logf("first install:\n%s", r)
	out, err := exec.Command("getent", "passwd", "orengen").Output()
	if err != nil || !strings.Contains(string(out), ":/var/lib/orengen:/usr/sbin/nologin") {
		t.Errorf("user orengen: %q %v", out, err)
	}
	for _, d := range []string{"/var/lib/orengen", "/var/backups/orengen"} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != os.ModeDir|0o700 || ownerName(t, fi) != "orengen" {
			t.Errorf("%s: %v owned by %s, want drwx------ orengen", d, fi.Mode(), ownerName(t, fi))
		}
	}
	fi, err := os.Stat("/etc/orengen/orengen.env")
	if err != nil || fi.Mode() != 0o600 || ownerName(t, fi) != "root" {
		t.Errorf("env file: %v %v", fi.Mode(), err)
	}
	envVals, _ := readEnv(t, "/etc/orengen/orengen.env")
	checkKey(t, "ORENGEN_MASTER_KEY", envVals["ORENGEN_MASTER_KEY"])
	checkKey(t, "ORENGEN_SESSION_KEY", envVals["ORENGEN_SESSION_KEY"])
	if envVals["ORENGEN_HTTP_ADDR"] != fmt.Sprintf("127.0.0.1:%d", port) || envVals["ORENGEN_ACME_EMAIL"] != "ops@example.test" {
		t.Errorf("env file lost the operator's settings: %v", envVals)
	}
	if h := health(); !strings.Contains(h, `"version":"v1"`) || strings.Contains(h, `"uid":0`) {
		t.Errorf("after install /healthz = %s, want v1 running as orengen", h)
	}
	if db, err := os.ReadFile("/var/lib/orengen/orengen.db"); err != nil || string(db) != "v1" {
		t.Errorf("the service did not write its data dir: %q %v", db, err)
	}
	for _, want := range []string{
		"https://example.test ", "https://app.example.test ", "https://nexus.example.test ",
		"nexus.example.test", "A     ",
		"https://nexus.example.test/setup/test-token",
		"journalctl -u orengen",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("install output lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r.stdout, "(uid 0)") {
		t.Errorf("the setup link ran as root:\n%s", r.stdout)
	}
	calls := readFile(t, filepath.Join(state, "calls"))
	for _, want := range []string{
		"systemctl daemon-reload", "systemctl enable --quiet orengen.service", "systemctl restart orengen.service",
		fmt.Sprintf("ufw allow %d/tcp", port), fmt.Sprintf("ufw allow %d/tcp", httpsPort),
	} {
		if !strings.Contains(calls, want) {
			t.Errorf("no %q in the calls:\n%s", want, calls)
		}
	}

	// 2. Upgrade to v2 while v1 listens on the port (it is orengen itself).
	r = run(t, v("v2"), env, "--yes", "--timeout", "20")
	if r.code != 0 {
		t.Fatalf("upgrade: %s\nservice log:\n%s", r, readLog(state))
	}
	if h := health(); !strings.Contains(h, `"version":"v2"`) {
		t.Errorf("after upgrade /healthz = %s", h)
	}
	if out, _ := exec.Command("/usr/local/bin/orengen.prev", "version").Output(); string(out) != "orengen v1\n" {
		t.Errorf("orengen.prev version %q, want v1", out)
	}
	after, _ := readEnv(t, "/etc/orengen/orengen.env")
	if after["ORENGEN_MASTER_KEY"] != envVals["ORENGEN_MASTER_KEY"] {
		t.Errorf("upgrade changed the master key")
	}

	// 3. A broken v3 does not come up: the script rolls back to v2.
	envBefore := readFile(t, "/etc/orengen/orengen.env")
	r = run(t, v("v3"), env, "--yes", "--timeout", "4")
	if r.code != 1 || !strings.Contains(r.stderr, "rolling back to orengen v2") || !strings.Contains(r.stderr, "was rolled back: orengen v2 is running again") {
		t.Errorf("broken upgrade: want a rollback message and exit 1: %s", r)
	}
	t.Logf("broken upgrade:\n%s", r)
	if h := health(); !strings.Contains(h, `"version":"v2"`) {
		t.Errorf("after rollback /healthz = %s", h)
	}
	if out, _ := exec.Command("/usr/local/bin/orengen", "version").Output(); string(out) != "orengen v2\n" {
		t.Errorf("after rollback the binary is %q", out)
	}

	// 4. Another program on the HTTP port: refused, nothing changed.
	stop := exec.Command(filepath.Join(work, "fakebin", "systemctl"), "stop", "orengen.service")
	stop.Env = env
	if out, err := stop.CombinedOutput(); err != nil {
		t.Fatalf("stop the service: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("listen on the service port: %v", err)
	}
	r = run(t, v("v1"), env, "--yes", "--domain", "changed.test")
	l.Close()
	t.Logf("port conflict:\n%s", r)
	if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("port %d is in use by '", port)) || !strings.Contains(r.stderr, "nothing was changed") {
		t.Errorf("port conflict: %s", r)
	}
	if got := readFile(t, "/etc/orengen/orengen.env"); got != envBefore {
		t.Errorf("a refused install changed the env file")
	}
	if out, _ := exec.Command("/usr/local/bin/orengen", "version").Output(); string(out) != "orengen v2\n" {
		t.Errorf("a refused install changed the binary: %q", out)
	}

	// 5. Uninstall keeps data and configuration; purge removes them and the user.
	mustRun(t, v("v2"), env, "--yes", "--timeout", "20")
	r = mustRun(t, v("v2"), env, "--uninstall")
	if h := health(); !strings.HasPrefix(h, "down") {
		t.Errorf("after --uninstall the service still answers: %s", h)
	}
	for _, p := range []string{"/usr/local/bin/orengen", "/usr/local/bin/orengen.prev", "/etc/systemd/system/orengen.service"} {
		if exists(p) {
			t.Errorf("--uninstall left %s", p)
		}
	}
	for _, p := range []string{"/var/lib/orengen/orengen.db", "/etc/orengen/orengen.env", "/var/backups/orengen"} {
		if !exists(p) {
			t.Errorf("--uninstall removed %s", p)
		}
	}
	mustRun(t, v("v2"), env, "--uninstall", "--purge", "--yes")
	for _, p := range []string{"/var/lib/orengen", "/var/backups/orengen", "/etc/orengen"} {
		if exists(p) {
			t.Errorf("--purge left %s", p)
		}
	}
	if exec.Command("getent", "passwd", "orengen").Run() == nil {
		t.Errorf("--purge left the user orengen")
	}
}

func ownerName(t *testing.T, fi os.FileInfo) string {
	t.Helper()
	uid := fi.Sys().(*syscall.Stat_t).Uid
	out, err := exec.Command("getent", "passwd", fmt.Sprint(uid)).Output()
	if err != nil {
		return fmt.Sprint(uid)
	}
	name, _, _ := strings.Cut(string(out), ":")
	return name
}

func readLog(state string) string {
	b, _ := os.ReadFile(filepath.Join(state, "service.log"))
	return string(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
