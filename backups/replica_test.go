package backups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseReplica(t *testing.T) {
	t.Setenv(EnvS3AccessKeyID, "AKIDEXAMPLE")
	t.Setenv(EnvS3SecretAccessKey, "s3cr3t-value")
	t.Setenv(EnvSFTPPassword, "")
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(key, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		for _, tc := range []struct {
			spec               string
			name, typ, path    string
			bucket, host, user string
		}{
			{spec: "/var/backups/orengen", name: "file", typ: TypeFile, path: "/var/backups/orengen"},
			{spec: "file:///srv/b", name: "file", typ: TypeFile, path: "/srv/b"},
			{spec: "usb=/mnt/usb/b", name: "usb", typ: TypeFile, path: "/mnt/usb/b"},
			{spec: "s3://bucket/some/path?endpoint=http://127.0.0.1:7070&region=us-east-1&force-path-style=true", name: "s3", typ: TypeS3, path: "some/path", bucket: "bucket"},
			{spec: "off=s3://bucket", name: "off", typ: TypeS3, path: "", bucket: "bucket"},
			{spec: "sftp://bk@backup.example.com/srv/orengen?key=" + key, name: "sftp", typ: TypeSFTP, path: "/srv/orengen", host: "backup.example.com:22", user: "bk"},
			{spec: "sftp://bk@10.0.0.2:2222/b?key=" + key, name: "sftp", typ: TypeSFTP, path: "/b", host: "10.0.0.2:2222", user: "bk"},
		} {
			r, err := ParseReplica(tc.spec)
			if err != nil {
				t.Fatalf("%s: %v", tc.spec, err)
			}
			if r.Name != tc.name || r.Type != tc.typ || r.Path != tc.path || r.Bucket != tc.bucket || r.Host != tc.host || r.User != tc.user {
				t.Errorf("%s: got %+v", tc.spec, r)
			}
			if strings.Contains(r.Redacted(), "s3cr3t") {
				t.Errorf("%s: Redacted leaks the secret: %s", tc.spec, r.Redacted())
			}
		}
	})

	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct{ spec, want string }{
			{"", `replica "": empty spec`},
			{"s3://", `replica "s3://": bucket required`},
			{"s3://AKID:secret@bucket/p", `credentials must not be in the URL`},
			{"s3://b/p?endpoint=ftp://x", `endpoint "ftp://x" must be an http(s) URL`},
			{"s3://b/p?sse-customer-key=abc", `secret parameter "sse-customer-key" not allowed`},
			{"sftp://host/p?key=" + key, `user required`},
			{"sftp://u:pw@host/p", `password must not be in the URL`},
			{"sftp://u@host/p", `key required`},
			{"sftp://u@host?key=" + key, `path required`},
			{"sftp://u@host/p?key=/nonexistent/key", `key: stat /nonexistent/key`},
			{"gs://bucket/p", `unsupported scheme "gs"`},
			{"bad name=/x", `invalid name "bad name"`},
		} {
			_, err := ParseReplica(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseReplica(%q) = %v, want error containing %q", tc.spec, err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), ":pw@") {
				t.Errorf("error leaks a password: %v", err)
			}
		}
	})

	t.Run("S3SecretsFromEnv", func(t *testing.T) {
		t.Setenv(EnvS3AccessKeyID, "")
		t.Setenv(EnvS3SecretAccessKey, "")
		t.Setenv("AWS_ACCESS_KEY_ID", "AWSKEY")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "awssecret")
		r, err := ParseReplica("s3://b/p")
		if err != nil || r.accessKeyID != "AWSKEY" || r.secretAccessKey != "awssecret" {
			t.Fatalf("AWS fallback: %+v %v", r, err)
		}
		t.Setenv(EnvS3AccessKeyID, "ORENGENKEY")
		t.Setenv(EnvS3SecretAccessKey, "orengensecret")
		r, _ = ParseReplica("s3://b/p")
		if r.accessKeyID != "ORENGENKEY" || r.secretAccessKey != "orengensecret" {
			t.Fatalf("ORENGEN_ vars must win: %+v", r)
		}
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		t.Setenv(EnvS3SecretAccessKey, "")
		if _, err := ParseReplica("s3://b/p"); err == nil || !strings.Contains(err.Error(), "set both") {
			t.Fatalf("half the credentials: %v", err)
		}
	})
}

func TestParseReplicas(t *testing.T) {
	t.Setenv(EnvS3AccessKeyID, "")
	t.Setenv(EnvS3SecretAccessKey, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	rs, err := ParseReplicas(SplitReplicaSpecs("/a, s3://b1/x s3://b2/y\tmine=/c"), "./bk")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "local,file,s3,s3-2,mine" {
		t.Fatalf("names %q", got)
	}
	if !filepath.IsAbs(rs[0].Path) || filepath.Base(rs[0].Path) != "bk" {
		t.Fatalf("local replica path %q", rs[0].Path)
	}
	if rs, err := ParseReplicas([]string{"/a"}, ""); err != nil || len(rs) != 1 || rs[0].Name != "file" {
		t.Fatalf("no backup dir: %+v %v", rs, err)
	}
	for _, tc := range []struct {
		specs []string
		want  string
	}{
		{[]string{"x=/a", "x=/b"}, `duplicate name "x"`},
		{[]string{"/a", "file:///a"}, `same destination as replica "file"`},
		{[]string{"s3://"}, `replica "s3://": bucket required`},
	} {
		if _, err := ParseReplicas(tc.specs, "/bk"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseReplicas(%q) = %v, want %q", tc.specs, err, tc.want)
		}
	}
}

func TestConfig_Defaults(t *testing.T) {
	rs, _ := ParseReplicas(nil, t.TempDir())
	c, err := Config{DataDir: t.TempDir(), Replicas: rs}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Retention != 720*time.Hour || c.SnapshotInterval != 24*time.Hour || c.SyncInterval != DefaultSyncInterval || c.MinCheckpointPageN != 1000 {
		t.Fatalf("defaults: %+v", c)
	}
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{Replicas: rs}, "data dir required"},
		{Config{DataDir: "/x"}, "at least one replica required"},
		{Config{DataDir: "/x", Replicas: rs, Retention: time.Hour, SnapshotInterval: 2 * time.Hour}, "retention (1h0m0s) must be at least the snapshot interval"},
		{Config{DataDir: "/x", Replicas: rs, SyncInterval: -time.Second}, "sync interval: must be positive"},
	} {
		if _, err := tc.c.withDefaults(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
}

func TestStatus_MaxLag(t *testing.T) {
	now := time.Now()
	st := Status{UpdatedAt: now, Databases: []DBStatus{
		{Name: "a.db", Replicas: []ReplicaStatus{{Name: "local", LagSeconds: 0.2}, {Name: "s3", LagSeconds: 3.5}}},
		{Name: "b.db", Replicas: []ReplicaStatus{{Name: "local", LagSeconds: 1}}},
	}}
	if got := st.MaxLag(); got != 3500*time.Millisecond {
		t.Fatalf("MaxLag %s", got)
	}
	st.UpdatedAt = now.Add(-time.Minute)
	if got := st.MaxLag(); got < time.Minute || !st.Stale() {
		t.Fatalf("stale status: MaxLag %s stale %v", got, st.Stale())
	}
	if _, err := ReadStatus(t.TempDir()); err != ErrNoStatus {
		t.Fatalf("ReadStatus of empty dir: %v", err)
	}
	dir := t.TempDir()
	if err := writeStatus(dir, st); err != nil {
		t.Fatal(err)
	}
	got, err := ReadStatus(dir)
	if err != nil || got.Databases[0].Replicas[1].LagSeconds != 3.5 {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, StatusFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("status file mode %v (%v), want 0600 (owner-only, like the databases)", fi.Mode().Perm(), err)
	}
}
