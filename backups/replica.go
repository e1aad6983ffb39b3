// Package backups replicates orengen's SQLite databases with Litestream v0.5
// and restores them.
//
// Litestream's library links its own SQLite (modernc.org/sqlite), so it never
// runs inside the serving process: serve starts `orengen replicate` (this
// package's Replicate) as a supervised child process (Supervisor), reads its
// status file (ReadStatus) and asks it for restore points (SyncNow). Restore,
// RestoreIfMissing and Drill run in `orengen restore` or before serve opens
// its databases.
//
// backups imports no project package: only Litestream and its SQLite.
package backups

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/benbjohnson/litestream"
	lsfile "github.com/benbjohnson/litestream/file"
	lss3 "github.com/benbjohnson/litestream/s3"
	lssftp "github.com/benbjohnson/litestream/sftp"
)

// Replica types.
const (
	TypeFile = "file"
	TypeS3   = "s3"
	TypeSFTP = "sftp"
)

// DefaultReplicaName is the name of the default file replica at the backup
// directory.
const DefaultReplicaName = "local"

// Environment variables that carry replica secrets. Secrets never appear in a
// replica spec, on a command line or in a log line.
const (
	EnvS3AccessKeyID     = "ORENGEN_S3_ACCESS_KEY_ID"
	EnvS3SecretAccessKey = "ORENGEN_S3_SECRET_ACCESS_KEY"
	EnvSFTPPassword      = "ORENGEN_SFTP_PASSWORD"
)

// Replica is one replication destination parsed from a spec. Every database
// of the data directory is replicated under its own sub-path: for a file
// replica at /var/backups/orengen, orengen.db lives in
// /var/backups/orengen/orengen.db/.
type Replica struct {
	Name string // unique among the configured replicas
	Type string // TypeFile, TypeS3 or TypeSFTP
	Spec string // the spec without the name= prefix (never holds a secret)

	Path string // directory (file), key prefix (s3) or remote directory (sftp)

	// S3.
	Bucket string
	query  url.Values // s3 query parameters (endpoint, region, force-path-style, ...)

	// SFTP.
	Host    string // host:port
	User    string
	KeyPath string
	HostKey string // authorized_keys line; empty means the host key is not verified

	named bool // the spec had a name= prefix

	// Secrets, read from the environment at parse time.
	accessKeyID     string
	secretAccessKey string
	password        string
}

// String returns the redacted form of the replica.
func (r Replica) String() string { return r.Redacted() }

// Redacted returns "name=spec" safe for logs: it never holds a secret (specs
// may not carry one) and drops the host-key blob, which is long and noisy.
func (r Replica) Redacted() string {
	spec := r.Spec
	if r.Type != TypeFile {
		if u, err := url.Parse(spec); err == nil {
			if u.User != nil {
				u.User = url.User(u.User.Username())
			}
			q := u.Query()
			for k := range q {
				lk := strings.ToLower(k)
				if strings.Contains(lk, "key") && lk != "key" || strings.Contains(lk, "secret") || strings.Contains(lk, "password") || strings.Contains(lk, "token") {
					q.Set(k, "REDACTED")
				}
			}
			u.RawQuery = q.Encode()
			spec = u.String()
		}
	}
	return r.Name + "=" + spec
}

// ParseReplica parses one replica spec of the configuration contract:
//
//	[name=]/abs/dir | [name=]file:///abs/dir
//	[name=]s3://bucket/path?endpoint=URL&region=R&force-path-style=true
//	[name=]sftp://user@host:port/abs/path?key=/path/to/key&host-key=<authorized_keys line>
//
// Without a name, the name is the type ("file", "s3", "sftp"). S3 keys come
// from ORENGEN_S3_ACCESS_KEY_ID / ORENGEN_S3_SECRET_ACCESS_KEY (falling back
// to AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), the SFTP password from
// ORENGEN_SFTP_PASSWORD. A spec holding a secret is refused.
func ParseReplica(spec string) (Replica, error) {
	orig := spec
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Replica{}, fmt.Errorf("replica %q: empty spec", orig)
	}
	var r Replica
	// A name prefix is "name=" before any "://" or "/" of the spec.
	if i := strings.IndexByte(spec, '='); i > 0 {
		head := spec[:i]
		if !strings.ContainsAny(head, "/:?&") {
			r.Name, r.named = head, true
			spec = spec[i+1:]
			if !validName(r.Name) {
				return Replica{}, fmt.Errorf("replica %q: invalid name %q (use letters, digits, '-' and '_')", orig, r.Name)
			}
		}
	}
	r.Spec = spec
	bad := func(format string, args ...any) (Replica, error) {
		return Replica{}, fmt.Errorf("replica %q: %s", redactSpec(orig), fmt.Sprintf(format, args...))
	}

	scheme := ""
	if i := strings.Index(spec, "://"); i > 0 {
		scheme = strings.ToLower(spec[:i])
	}
	switch scheme {
	case "", "file":
		r.Type = TypeFile
		p := spec
		if scheme == "file" {
			u, err := url.Parse(spec)
			if err != nil {
				return bad("invalid URL: %v", err)
			}
			if u.Host != "" && u.Host != "localhost" {
				return bad("file URL must not have a host (use file:///abs/dir)")
			}
			p = u.Path
		}
		if p == "" {
			return bad("path required")
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return bad("path: %v", err)
		}
		r.Path = abs
	case "s3":
		r.Type = TypeS3
		u, err := url.Parse(spec)
		if err != nil {
			return bad("invalid URL: %v", err)
		}
		if u.User != nil {
			return bad("credentials must not be in the URL; set %s and %s", EnvS3AccessKeyID, EnvS3SecretAccessKey)
		}
		if u.Host == "" {
			return bad("bucket required")
		}
		r.Bucket = u.Host
		r.Path = litestream.CleanReplicaURLPath(u.Path)
		r.query = u.Query()
		for k := range r.query {
			if lk := strings.ToLower(k); strings.Contains(lk, "secret") || strings.Contains(lk, "customer-key") || strings.Contains(lk, "customerkey") {
				return bad("secret parameter %q not allowed in the URL", k)
			}
		}
		if ep := r.query.Get("endpoint"); ep != "" {
			eu, err := url.Parse(ep)
			if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Host == "" {
				return bad("endpoint %q must be an http(s) URL", ep)
			}
		}
		r.accessKeyID = firstEnv(EnvS3AccessKeyID, "AWS_ACCESS_KEY_ID")
		r.secretAccessKey = firstEnv(EnvS3SecretAccessKey, "AWS_SECRET_ACCESS_KEY")
		if (r.accessKeyID == "") != (r.secretAccessKey == "") {
			return bad("set both %s and %s (or neither, to use the AWS default chain)", EnvS3AccessKeyID, EnvS3SecretAccessKey)
		}
	case "sftp":
		r.Type = TypeSFTP
		u, err := url.Parse(spec)
		if err != nil {
			return bad("invalid URL: %v", err)
		}
		if u.User == nil || u.User.Username() == "" {
			return bad("user required (sftp://user@host:port/path)")
		}
		if _, ok := u.User.Password(); ok {
			return bad("password must not be in the URL; set %s", EnvSFTPPassword)
		}
		if u.Hostname() == "" {
			return bad("host required")
		}
		if u.Path == "" || u.Path == "/" {
			return bad("path required")
		}
		r.User = u.User.Username()
		r.Host = u.Host
		if u.Port() == "" {
			r.Host = u.Hostname() + ":22"
		}
		r.Path = path.Clean(u.Path)
		q := u.Query()
		r.KeyPath = q.Get("key")
		r.HostKey = q.Get("host-key")
		r.password = os.Getenv(EnvSFTPPassword)
		if r.KeyPath == "" && r.password == "" {
			return bad("key required (?key=/path/to/private_key) or set %s", EnvSFTPPassword)
		}
		if r.KeyPath != "" {
			if _, err := os.Stat(r.KeyPath); err != nil {
				return bad("key: %v", err)
			}
		}
	default:
		return bad("unsupported scheme %q (use a path, file://, s3:// or sftp://)", scheme)
	}
	if r.Name == "" {
		r.Name = r.Type
	}
	return r, nil
}

// ParseReplicas parses specs and puts the default file replica, named
// "local", at backupDir first (unless backupDir is empty). Names default to
// the type and are de-duplicated ("s3", "s3-2", ...); an explicit duplicate
// name is an error.
func ParseReplicas(specs []string, backupDir string) ([]Replica, error) {
	var out []Replica
	used := map[string]bool{}
	if backupDir != "" {
		abs, err := filepath.Abs(backupDir)
		if err != nil {
			return nil, fmt.Errorf("backup dir %q: %w", backupDir, err)
		}
		out = append(out, Replica{Name: DefaultReplicaName, Type: TypeFile, Spec: abs, Path: abs})
		used[DefaultReplicaName] = true
	}
	for _, spec := range specs {
		if strings.TrimSpace(spec) == "" {
			continue
		}
		r, err := ParseReplica(spec)
		if err != nil {
			return nil, err
		}
		if r.named {
			if used[r.Name] {
				return nil, fmt.Errorf("replica %q: duplicate name %q", redactSpec(spec), r.Name)
			}
		} else {
			r.Name = r.Type
			for i := 2; used[r.Name]; i++ {
				r.Name = fmt.Sprintf("%s-%d", r.Type, i)
			}
		}
		used[r.Name] = true
		// The same destination twice would make two writers of one replica.
		for _, o := range out {
			if o.destination() == r.destination() {
				return nil, fmt.Errorf("replica %q: same destination as replica %q", redactSpec(spec), o.Name)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// SplitReplicaSpecs splits ORENGEN_REPLICAS (space- or comma-separated).
func SplitReplicaSpecs(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' || c == '\n' })
}

func (r Replica) destination() string {
	switch r.Type {
	case TypeS3:
		return "s3://" + r.Bucket + "/" + r.Path + "@" + r.query.Get("endpoint")
	case TypeSFTP:
		return "sftp://" + r.Host + r.Path
	}
	return "file://" + r.Path
}

// client returns a Litestream replica client for database dbName (its base
// name) under this replica.
func (r Replica) client(dbName string) (litestream.ReplicaClient, error) {
	switch r.Type {
	case TypeFile:
		return lsfile.NewReplicaClient(filepath.Join(r.Path, dbName)), nil
	case TypeS3:
		c, err := lss3.NewReplicaClientFromURL("s3", r.Bucket, path.Join(r.Path, dbName), r.query, nil)
		if err != nil {
			return nil, fmt.Errorf("replica %s: %w", r.Name, err)
		}
		sc := c.(*lss3.ReplicaClient)
		sc.Path = strings.TrimPrefix(path.Join(r.Path, dbName), "/")
		sc.AccessKeyID, sc.SecretAccessKey = r.accessKeyID, r.secretAccessKey
		if sc.Region == "" {
			sc.Region = lss3.DefaultRegion
		}
		// With AWS_CA_BUNDLE set, the AWS SDK refuses the HTTP client
		// Litestream gives it ("unable to add custom RootCAs HTTPClient")
		// and every request fails; Litestream's client uses the system
		// roots instead, so the variable cannot be honoured and is dropped.
		os.Unsetenv("AWS_CA_BUNDLE")
		return sc, nil
	case TypeSFTP:
		c := lssftp.NewReplicaClient()
		c.Host, c.User, c.KeyPath, c.HostKey = r.Host, r.User, r.KeyPath, r.HostKey
		c.Password = r.password
		c.Path = path.Join(r.Path, dbName)
		return c, nil
	}
	return nil, fmt.Errorf("replica %s: unknown type %q", r.Name, r.Type)
}

// ListDatabases returns the database names (such as "orengen.db") that hold
// LTX files in the replica. File replicas are listed; S3 and SFTP replicas
// are probed for the names in probe (the client library exposes no
// directory listing for them).
func ListDatabases(ctx context.Context, r Replica, probe []string) ([]string, error) {
	var names []string
	if r.Type == TypeFile {
		ents, err := os.ReadDir(r.Path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("list replica %s: %w", r.Name, err)
		}
		for _, e := range ents {
			if e.IsDir() && strings.HasSuffix(e.Name(), ".db") {
				if fi, err := os.Stat(filepath.Join(r.Path, e.Name(), "ltx")); err == nil && fi.IsDir() {
					names = append(names, e.Name())
				}
			}
		}
		return names, nil
	}
	for _, name := range probe {
		ok, err := hasBackup(ctx, r, name)
		if err != nil {
			return nil, err
		}
		if ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// DefaultDatabases are the databases serve creates; ListDatabases probes for
// them on S3 and SFTP replicas.
var DefaultDatabases = []string{"orengen.db", "redka.db"}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func firstEnv(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// redactSpec hides any password in a spec quoted in an error message.
func redactSpec(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if u, err := url.Parse(s[strings.LastIndex(s[:i], "=")+1:]); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "REDACTED")
				return s[:strings.LastIndex(s[:i], "=")+1] + u.String()
			}
		}
	}
	return s
}
