package backups

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/internal/realtest"
)

const testBucket = "orengen-test"

// TestReplicate_S3 replicates to S3 as the primary (no local backup dir) and
// mirrors to a file replica, then restores and drills from both.
func TestReplicate_S3(t *testing.T) {
	s3 := realtest.StartS3(t, testBucket)
	endpoint, testS3Secret := s3.Endpoint, s3.SecretKey
	t.Setenv(EnvS3AccessKeyID, s3.AccessKey)
	t.Setenv(EnvS3SecretAccessKey, s3.SecretKey)
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
	sshd := realtest.LookPath(t, "/usr/sbin/sshd", "apt-get install -y openssh-server")
	keygen := realtest.LookPath(t, "ssh-keygen", "apt-get install -y openssh-client")
	dir := t.TempDir()
	for _, k := range []string{"hostkey", "client"} {
		if b, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
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
	port := realtest.FreePort(t)
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
	realtest.WaitTCP(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)

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
