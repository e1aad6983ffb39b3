package backups

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const (
	testS3Key    = "orengentestkey"
	testS3Secret = "orengen-test-secret-7f3a9c"
	testBucket   = "orengen-test"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitTCP(t *testing.T, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not listening after %s", addr, timeout)
}

// versitygw returns the path of a versitygw binary, building it once into
// the build cache's sibling directory.
func versitygw(t *testing.T) (string, error) {
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOCACHE: %w", err)
	}
	bin := filepath.Join(filepath.Dir(strings.TrimSpace(string(out))), "orengen-bin")
	exe := filepath.Join(bin, "versitygw")
	if _, err := os.Stat(exe); err == nil {
		return exe, nil
	}
	t.Logf("building versitygw v1.8.0 into %s (once)", bin)
	cmd := exec.Command("go", "install", "github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	cmd.Env = append(os.Environ(), "GOBIN="+bin)
	cmd.Dir = os.TempDir() // outside this module
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install versitygw: %w: %s", err, b)
	}
	return exe, nil
}

// startS3 starts an S3-compatible server on loopback with testBucket and
// returns its endpoint: versitygw, or in-process gofakes3 if versitygw
// cannot be built.
func startS3(t *testing.T) string {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE") // breaks Litestream's S3 client on this machine
	var endpoint string
	exe, err := versitygw(t)
	if err != nil {
		t.Logf("FALLBACK: versitygw unavailable (%v); using in-process gofakes3", err)
		backend := s3mem.New()
		srv := httptest.NewServer(gofakes3.New(backend).Server())
		t.Cleanup(srv.Close)
		endpoint = srv.URL
	} else {
		port := freePort(t)
		root := t.TempDir()
		cmd := exec.Command(exe, "--access", testS3Key, "--secret", testS3Secret,
			"--port", fmt.Sprintf("127.0.0.1:%d", port), "--quiet", "posix", root)
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			if t.Failed() {
				t.Logf("versitygw output:\n%s", out.String())
			}
		})
		endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
		waitTCP(t, fmt.Sprintf("127.0.0.1:%d", port), 15*time.Second)
		t.Logf("versitygw v1.8.0 on %s", endpoint)
	}
	// Litestream does not create buckets: a signed PUT does.
	c := s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(testS3Key, testS3Secret, ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(testBucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return endpoint
}

// TestReplicate_S3 replicates to S3 as the primary (no local backup dir) and
// mirrors to a file replica, then restores and drills from both.
func TestReplicate_S3(t *testing.T) {
	endpoint := startS3(t)
	t.Setenv(EnvS3AccessKeyID, testS3Key)
	t.Setenv(EnvS3SecretAccessKey, testS3Secret)
	spec := "s3://" + testBucket + "/prod/dbs?endpoint=" + url.QueryEscape(endpoint) + "&region=us-east-1&force-path-style=true"

	data, copyDir := t.TempDir(), t.TempDir()
	db := openApp(t, filepath.Join(data, "orengen.db"))
	c := startReplicator(t, childEnv(data, "", "offsite="+spec, "copy="+copyDir))
	w := startWriter(db, 5*time.Millisecond)
	time.Sleep(2 * time.Second)
	acked := w.stop(t)
	points, err := SyncNow(context.Background(), data, 15*time.Second)
	if err != nil {
		t.Fatalf("SyncNow: %v", err)
	}
	if got := strings.Join(points[0].Replicas, ","); got != "offsite,copy" {
		t.Fatalf("restore point replicas %q, want offsite,copy (%+v)", got, points)
	}
	st, _ := ReadStatus(data)
	db.Close()
	c.stop(t)
	if errs := st.Errors(); len(errs) > 0 {
		t.Errorf("status errors: %v", errs)
	}
	if b, _ := os.ReadFile(filepath.Join(data, StatusFile)); strings.Contains(string(b), testS3Secret) {
		t.Error("status file holds the S3 secret")
	}
	if strings.Contains(c.out.String(), testS3Secret) {
		t.Error("replicator log holds the S3 secret")
	}

	replicas, err := ParseReplicas([]string{"offsite=" + spec, "copy=" + copyDir}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range replicas {
		out := restoreOut(t, r, "orengen.db")
		if ic, n, _ := checkDB(t, out); ic != "ok" || n != acked {
			t.Fatalf("restore from %s: integrity=%s rows=%d, want %d", r.Name, ic, n, acked)
		}
	}
	dr, err := Drill(context.Background(), replicas[0], "orengen.db")
	if err != nil || dr.Rows != acked {
		t.Fatalf("drill from S3: %+v %v", dr, err)
	}
	names, err := ListDatabases(context.Background(), replicas[0], DefaultDatabases)
	if err != nil || len(names) != 1 || names[0] != "orengen.db" {
		t.Fatalf("ListDatabases(s3): %v %v", names, err)
	}
	checkIdentity(t, mustReplica(t, "ids="+strings.Replace(spec, "/prod/dbs", "/other/dbs", 1)))
	t.Logf("S3: %d rows replicated, restored and drilled (drill %s)", acked, dr.Duration.Round(time.Millisecond))
}

// TestReplicate_SFTP mirrors the local replica to Debian's sshd on a loopback
// port and restores from it.
func TestReplicate_SFTP(t *testing.T) {
	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skipf("SFTP test needs %s (apt-get install openssh-server): %v", sshd, err)
	}
	dir := t.TempDir()
	for _, k := range []string{"hostkey", "client"} {
		if b, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, b)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	hostPub, err := os.ReadFile(filepath.Join(dir, "hostkey.pub"))
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s
AuthorizedKeysFile %s
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
`, port, filepath.Join(dir, "hostkey"), filepath.Join(dir, "sshd.pid"), filepath.Join(dir, "authorized_keys"))
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll("/run/sshd", 0o755) // privilege separation directory
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	// A file, not a pipe: sshd's per-connection processes inherit it and
	// outlive the daemon while this process's SFTP connections stay open.
	logf, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("sshd output:\n%s", b)
		}
	})
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)

	user := os.Getenv("USER")
	if user == "" {
		user = "root"
	}
	remote := filepath.Join(t.TempDir(), "sftp-replica")
	spec := fmt.Sprintf("sftp://%s@127.0.0.1:%d%s?key=%s&host-key=%s", user, port, remote,
		url.QueryEscape(filepath.Join(dir, "client")), url.QueryEscape(strings.TrimSpace(string(hostPub))))

	data, local := t.TempDir(), t.TempDir()
	db := openApp(t, filepath.Join(data, "orengen.db"))
	c := startReplicator(t, childEnv(data, local, "vps2="+spec))
	w := startWriter(db, 5*time.Millisecond)
	time.Sleep(2 * time.Second)
	acked := w.stop(t)
	points, err := SyncNow(context.Background(), data, 15*time.Second)
	if err != nil || strings.Join(points[0].Replicas, ",") != "local,vps2" {
		t.Fatalf("SyncNow: %+v %v", points, err)
	}
	db.Close()
	c.stop(t)

	r := mustReplica(t, "vps2="+spec)
	if strings.Contains(r.Redacted(), "AAAA") {
		t.Errorf("Redacted keeps the host key blob: %s", r.Redacted())
	}
	out := restoreOut(t, r, "orengen.db")
	if ic, n, _ := checkDB(t, out); ic != "ok" || n != acked {
		t.Fatalf("restore from sftp: integrity=%s rows=%d, want %d", ic, n, acked)
	}
	fresh := t.TempDir()
	res, err := RestoreIfMissing(context.Background(), fresh, "", []Replica{r}, nil)
	if err != nil || len(res) != 1 || res[0].DB != "orengen.db" {
		t.Fatalf("RestoreIfMissing from sftp: %+v %v", res, err)
	}
	checkIdentity(t, mustReplica(t, "ids="+strings.Replace(spec, remote, remote+"-ids", 1)))
	t.Logf("SFTP: %d rows mirrored and restored", acked)
}
