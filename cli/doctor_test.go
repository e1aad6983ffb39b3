package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/miekg/dns"

	"orengen/app"
	"orengen/backups"
	"orengen/store"
)

// doctorConfig loads a Config the way doctor does, from flags and env.
func doctorConfig(t *testing.T, env map[string]string, args ...string) *Config {
	t.Helper()
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := LoadConfig(fs, args, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// find returns the results whose text contains every part, failing the
// test if there is none.
func find(t *testing.T, rs []checkResult, level string, parts ...string) checkResult {
	t.Helper()
	for _, r := range rs {
		s := r.String()
		ok := r.Level == level
		for _, p := range parts {
			ok = ok && strings.Contains(s, p)
		}
		if ok {
			return r
		}
	}
	var lines []string
	for _, r := range rs {
		lines = append(lines, r.String())
	}
	t.Fatalf("no %s line with %q in:\n%s", level, parts, strings.Join(lines, "\n"))
	return checkResult{}
}

func key32b64() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestCheckResult_String(t *testing.T) {
	if got, want := failf("ports", "stop it", "%s busy", ":80").String(), "FAIL  ports: :80 busy — stop it"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := okf("disk", "plenty").String(), "ok    disk: plenty"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCheckEnvFile(t *testing.T) {
	dir := t.TempDir()
	master, session := key32b64(), key32b64()
	file := filepath.Join(dir, "orengen.env")
	content := "ORENGEN_DOMAIN=example.com\nORENGEN_MASTER_KEY=" + master + "\nORENGEN_SESSION_KEY=" + session + "\n"
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	noSecret := func(t *testing.T, rs []checkResult) {
		for _, r := range rs {
			if strings.Contains(r.String(), master) || strings.Contains(r.String(), session) {
				t.Fatalf("a secret was printed: %s", r)
			}
		}
	}
	t.Run("WorldReadable", func(t *testing.T) {
		rs := checkEnvFile(doctorConfig(t, nil, "--config", file))
		find(t, rs, levelFail, "environment file", "mode 0644", "chmod 0600 "+file)
		find(t, rs, levelOK, "ORENGEN_MASTER_KEY is set")
		noSecret(t, rs)
	})
	t.Run("GroupReadableNotOrengen", func(t *testing.T) {
		os.Chmod(file, 0o640)
		if g := groupName(os.Getegid()); g == "orengen" {
			t.Skip("the test runs as group orengen")
		}
		find(t, checkEnvFile(doctorConfig(t, nil, "--config", file)), levelFail, "mode 0640", "can read its secrets", "root:orengen")
	})
	t.Run("OK", func(t *testing.T) {
		os.Chmod(file, 0o600)
		rs := checkEnvFile(doctorConfig(t, map[string]string{"ORENGEN_CONFIG": file}))
		find(t, rs, levelOK, "environment file", "mode 0600")
		find(t, rs, levelOK, "ORENGEN_SESSION_KEY is set (32 bytes)")
		for _, r := range rs {
			if r.Level != levelOK {
				t.Errorf("unexpected %s", r)
			}
		}
		noSecret(t, rs)
	})
	t.Run("SecretsMissing", func(t *testing.T) {
		rs := checkEnvFile(doctorConfig(t, nil, "--domain", "example.com"))
		find(t, rs, levelFail, "secrets", "ORENGEN_MASTER_KEY is not set", "head -c32 /dev/urandom | base64")
		find(t, rs, levelFail, "secrets", "ORENGEN_SESSION_KEY is not set")
	})
	t.Run("Development", func(t *testing.T) {
		find(t, checkEnvFile(doctorConfig(t, nil)), levelOK, "secrets", "master.key")
	})
	t.Run("Missing", func(t *testing.T) {
		cfg := doctorConfig(t, nil)
		cfg.ConfigFile = filepath.Join(dir, "gone.env")
		find(t, checkEnvFile(cfg), levelFail, "environment file", "no such file")
	})
}

func TestCheckPermissions(t *testing.T) {
	root := t.TempDir()
	data, bk := filepath.Join(root, "data"), filepath.Join(root, "bk")
	cfg := doctorConfig(t, nil, "--domain", "example.com", "--data-dir", data, "--backup-dir", bk)

	find(t, checkPermissions(cfg), levelFail, "data directory "+data+" does not exist", "install -d -m 0700")

	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	find(t, checkPermissions(cfg), levelFail, "mode 0755", "chmod 0700 "+data)

	os.Chmod(data, 0o700)
	rs := checkPermissions(cfg)
	find(t, rs, levelOK, "mode 0700")
	find(t, rs, levelOK, "orengen.db not created yet")
	find(t, rs, levelWarn, "backup directory "+bk+" does not exist yet")

	if err := os.WriteFile(filepath.Join(data, "master.key"), []byte(key32b64()), 0o644); err != nil {
		t.Fatal(err)
	}
	find(t, checkPermissions(cfg), levelFail, "master.key has mode 0644", "chmod 0600")

	if err := os.WriteFile(bk, []byte("not a dir"), 0o600); err != nil {
		t.Fatal(err)
	}
	find(t, checkPermissions(cfg), levelFail, "backup directory", "is not a directory")

	db := store.NewDB(filepath.Join(data, "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	find(t, checkPermissions(cfg), levelOK, "orengen.db", "readable and writable")

	t.Run("ForeignOwner", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give a file to another user")
		}
		// What `orengen doctor` run as root leaves behind if it opened the
		// database: a -shm owned by root in a data dir of another user.
		shm := filepath.Join(data, "orengen.db-shm")
		os.WriteFile(shm, nil, 0o644)
		if err := os.Chown(data, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Join(data, "orengen.db"), 4242, 4242); err != nil {
			t.Fatal(err)
		}
		rs := checkPermissions(cfg)
		find(t, rs, levelOK, "the service user; doctor runs as root")
		find(t, rs, levelFail, "orengen.db-shm (owner root, mode 0644) not readable and writable by", "chown")
	})
}

// TestDoctor_CreatesNothing: doctor reads an idle database without
// creating -wal/-shm files (as root they would lock the service out).
func TestDoctor_CreatesNothing(t *testing.T) {
	data := t.TempDir()
	db := store.NewDB(filepath.Join(data, "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadDir(data)
	var out bytes.Buffer
	Run(context.Background(), []string{"doctor", "--data-dir", data, "--backup-dir", "", "--http-addr", "127.0.0.1:0", "--tls", "auto", "--https-addr", "127.0.0.1:0", "--domain", "example.invalid", "--dns-resolver", "127.0.0.1:1"}, &out, io.Discard, func(string) string { return "" })
	after, _ := os.ReadDir(data)
	if len(after) != len(before) {
		t.Errorf("doctor changed the data dir: %v -> %v\n%s", before, after, out.String())
	}
}

func TestCheckPorts(t *testing.T) {
	old := doctorProbeTimeout
	doctorProbeTimeout = 300 * time.Millisecond // the busy port accepts and never answers
	defer func() { doctorProbeTimeout = old }()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || r.Host != "nexus.localhost" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"ok","version":"v9.9.9","database":"ok"}`))
	}))
	defer fake.Close()
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	freeAddr := free.Addr().String()
	free.Close()

	ctx := context.Background()
	cfg := doctorConfig(t, nil, "--http-addr", busy.Addr().String())
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	// The listener is this test process's: /proc names it.
	find(t, checkPorts(ctx, cfg), levelFail, "--http-addr "+busy.Addr().String()+" is in use by ", fmt.Sprintf("(pid %d)", os.Getpid()), "ss -ltnp 'sport = :"+port+"'")

	cfg = doctorConfig(t, nil, "--http-addr", strings.TrimPrefix(fake.URL, "http://"))
	find(t, checkPorts(ctx, cfg), levelOK, "held by orengen itself (version v9.9.9)")

	cfg = doctorConfig(t, nil, "--http-addr", freeAddr)
	find(t, checkPorts(ctx, cfg), levelOK, freeAddr+" is free")

	// With TLS on, both addresses are checked.
	cfg = doctorConfig(t, nil, "--domain", "example.com", "--tls", "auto", "--http-addr", freeAddr, "--https-addr", busy.Addr().String())
	rs := checkPorts(ctx, cfg)
	find(t, rs, levelFail, "--https-addr", "is in use by")
}

// startDNS serves A records and TXT records from maps on a UDP port and
// returns its address.
func startDNS(t *testing.T, a map[string]string, txt map[string]string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		name := strings.TrimSuffix(strings.ToLower(q.Name), ".")
		ip, hasA := a[name]
		tv, hasTXT := txt[name]
		switch {
		case q.Qtype == dns.TypeA && hasA:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP(ip)})
		case q.Qtype == dns.TypeTXT && hasTXT:
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{tv}})
		case hasA || hasTXT:
			// the name exists, without this record type: NOERROR, no answer
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestCheckDNS(t *testing.T) {
	ctx := context.Background()
	resolver := startDNS(t, map[string]string{
		"example.test":       "203.0.113.7",
		"www.example.test":   "203.0.113.7",
		"app.example.test":   "198.51.100.9",
		"portal.client.test": "192.0.2.44",
	}, map[string]string{"_orengen-verify.portal.client.test": "tok123"})

	db := store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds := store.NewDomainStore(db)
	d := &app.CustomDomain{Name: "portal.client.test", Status: app.DomainPending, VerifyToken: "tok123"}
	if err := ds.CreateDomain(ctx, d); err != nil {
		t.Fatal(err)
	}
	active := app.DomainActive
	if _, err := ds.UpdateDomain(ctx, d.ID, app.DomainUpdate{Status: &active}); err != nil {
		t.Fatal(err)
	}

	cfg := doctorConfig(t, nil, "--domain", "example.test", "--public-ips", "203.0.113.7", "--dns-resolver", resolver)
	rs := checkDNS(ctx, cfg, db)
	find(t, rs, levelOK, "example.test → 203.0.113.7")
	find(t, rs, levelOK, "www.example.test → 203.0.113.7")
	find(t, rs, levelFail, "app.example.test resolves to 198.51.100.9, not only to this server (203.0.113.7)", "pointing at 203.0.113.7")
	find(t, rs, levelFail, "nexus.example.test has no A/AAAA record", "create an A (and AAAA for IPv6) record for nexus.example.test")
	find(t, rs, levelOK, "custom domain portal.client.test") // verified by its TXT record

	cfg = doctorConfig(t, nil, "--domain", "example.test", "--dns-resolver", resolver)
	// Without --public-ips the machine's own addresses stand in, and a
	// mismatch is a warning (the server may be behind NAT).
	find(t, checkDNS(ctx, cfg, nil), levelWarn, "example.test → 203.0.113.7, which is not an address of this machine", "set --public-ips")

	find(t, checkDNS(ctx, doctorConfig(t, nil), nil), levelOK, "localhost")
}

// storeCert stores a self-signed certificate for name, valid until
// notAfter, where certmagic keeps it.
func storeCert(t *testing.T, cs *store.CertStorage, name string, notAfter time.Time) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, Issuer: pkix.Name{CommonName: "Test CA"},
		DNSNames: []string{name}, NotBefore: notAfter.Add(-90 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	key := "certificates/acme.test-directory/" + name + "/" + name + ".crt"
	if err := cs.Store(context.Background(), key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		t.Fatal(err)
	}
}

func TestCheckCertificates(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	cfg := doctorConfig(t, nil, "--domain", "example.test", "--data-dir", data)
	find(t, checkCertificates(ctx, cfg, nil), levelWarn, "no certificates stored")

	db := store.NewDB(cfg.DBPath())
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	cs := store.NewCertStorage(db)
	now := time.Now()
	storeCert(t, cs, "example.test", now.Add(60*24*time.Hour))
	storeCert(t, cs, "www.example.test", now.Add(5*24*time.Hour))
	storeCert(t, cs, "app.example.test", now.Add(-time.Hour))
	db.Close()

	ro, err := store.OpenReadOnly(ctx, cfg.DBPath())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rs := checkCertificates(ctx, cfg, ro)
	find(t, rs, levelOK, "example.test certificate from", "(60 days)")
	find(t, rs, levelWarn, "www.example.test certificate expires in 5 days", "renewal is failing")
	find(t, rs, levelFail, "app.example.test certificate expired on", "journalctl -u orengen")
	find(t, rs, levelWarn, "nexus.example.test has no certificate stored yet")

	find(t, checkCertificates(ctx, doctorConfig(t, nil), ro), levelOK, "TLS is off")
}

func TestCheckReplicas(t *testing.T) {
	ctx := context.Background()
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE") // breaks Litestream's S3 client on this machine
	const secret = "s3-secret-never-printed"
	t.Setenv(backups.EnvS3AccessKeyID, "AKIDTEST")
	t.Setenv(backups.EnvS3SecretAccessKey, secret)
	old := doctorReplicaTimeout
	doctorReplicaTimeout = 2 * time.Second
	defer func() { doctorReplicaTimeout = old }()

	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	if _, err := http.DefaultClient.Do(mustReq(t, "PUT", srv.URL+"/bucket")); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	data := filepath.Join(root, "data")
	os.Mkdir(data, 0o700)
	good := "s3://bucket/orengen?endpoint=" + url.QueryEscape(srv.URL) + "&region=us-east-1&force-path-style=true"
	dead := "dead=s3://bucket/orengen?endpoint=" + url.QueryEscape("http://127.0.0.1:1") + "&region=us-east-1&force-path-style=true"
	notDir := filepath.Join(root, "file")
	os.WriteFile(notDir, nil, 0o600)
	cfg := doctorConfig(t, nil, "--data-dir", data, "--backup-dir", filepath.Join(root, "bk"), "--replica", good, "--replica", dead, "--replica", "f="+notDir)
	rs := checkReplicas(ctx, cfg)
	find(t, rs, levelOK, "replica s3=s3://bucket/orengen", "is reachable and holds no backup yet")
	find(t, rs, levelFail, "replica dead=s3://bucket/orengen", "unreachable", "check the endpoint")
	find(t, rs, levelFail, "replica f "+notDir+" is not a directory")
	for _, r := range rs {
		if strings.Contains(r.String(), secret) {
			t.Fatalf("secret printed: %s", r)
		}
	}

	cfg = doctorConfig(t, nil, "--data-dir", data, "--backup-dir", filepath.Join(root, "bk"))
	find(t, checkReplicas(ctx, cfg), levelWarn, "no off-site replica")
	cfg = doctorConfig(t, nil, "--data-dir", data, "--backup-dir", "")
	find(t, checkReplicas(ctx, cfg), levelWarn, "no replica configured")
}

func mustReq(t *testing.T, method, u string) *http.Request {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestCheckReplicationStatus(t *testing.T) {
	data := t.TempDir()
	cfg := doctorConfig(t, nil, "--data-dir", data)
	find(t, checkReplicationStatus(cfg), levelWarn, "no status file")
	write := func(st backups.Status) {
		b, _ := json.Marshal(st)
		if err := os.WriteFile(filepath.Join(data, backups.StatusFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dbs := func(lag float64, errMsg string) []backups.DBStatus {
		return []backups.DBStatus{{Name: "orengen.db", Replicas: []backups.ReplicaStatus{{Name: "local", LagSeconds: lag, LastError: errMsg}}}}
	}
	write(backups.Status{PID: 7, UpdatedAt: time.Now(), Databases: dbs(0.2, "")})
	find(t, checkReplicationStatus(cfg), levelOK, "replicator running (pid 7), 1 databases")
	write(backups.Status{UpdatedAt: time.Now(), Databases: dbs(0, "access denied")})
	find(t, checkReplicationStatus(cfg), levelFail, "orengen.db/local: access denied")
	write(backups.Status{UpdatedAt: time.Now(), Databases: dbs(120, "")})
	find(t, checkReplicationStatus(cfg), levelWarn, "replicas are 2m0s behind")
	write(backups.Status{UpdatedAt: time.Now().Add(-time.Minute), Databases: dbs(0, "")})
	find(t, checkReplicationStatus(cfg), levelFail, "stopped updating its status", "journalctl -u orengen")
	write(backups.Status{UpdatedAt: time.Now().Add(-time.Hour), Stopped: true})
	find(t, checkReplicationStatus(cfg), levelWarn, "stopped cleanly")
}

func TestCheckDisk(t *testing.T) {
	cfg := doctorConfig(t, nil, "--data-dir", filepath.Join(t.TempDir(), "not", "yet"))
	r := checkDisk(cfg)
	if !strings.Contains(r.What, "free of") || r.Level == "" {
		t.Fatalf("%s", r)
	}
}

var doctorLine = regexp.MustCompile(`^(ok  |warn|FAIL)  [a-z ]+: \S.*$`)

func TestRunDoctor(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	os.Mkdir(data, 0o755)
	master := key32b64()
	env := map[string]string{"ORENGEN_MASTER_KEY": master}
	var out bytes.Buffer
	err := Run(ctx, []string{"doctor", "--data-dir", data, "--http-addr", "127.0.0.1:0"}, &out, io.Discard, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "checks failed") {
		t.Fatalf("err = %v, want checks failed (data dir 0755)\n%s", err, out.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !doctorLine.MatchString(l) {
			t.Errorf("line %q is not in doctor's format", l)
		}
	}
	if strings.Contains(out.String(), master) {
		t.Fatal("the master key was printed")
	}
	if !strings.Contains(out.String(), "FAIL  permissions: data directory "+data+" has mode 0755") {
		t.Errorf("missing the permissions failure:\n%s", out.String())
	}

	// A malformed secret: one FAIL line naming the variable, not its value.
	out.Reset()
	env["ORENGEN_MASTER_KEY"] = "not-base64-secret!"
	err = Run(ctx, []string{"doctor", "--data-dir", data}, &out, io.Discard, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(out.String(), "FAIL  configuration: ORENGEN_MASTER_KEY must be base64") || strings.Contains(out.String(), "not-base64-secret") {
		t.Fatalf("err = %v\n%s", err, out.String())
	}

	// An env file doctor may not read (run as the service user).
	if os.Geteuid() != 0 {
		out.Reset()
		f := filepath.Join(t.TempDir(), "orengen.env")
		os.WriteFile(f, []byte("ORENGEN_DOMAIN=example.com\n"), 0o000)
		err = Run(ctx, []string{"doctor", "--config", f}, &out, io.Discard, func(string) string { return "" })
		if err == nil || !strings.Contains(out.String(), "run doctor as root") {
			t.Errorf("unreadable env file: err = %v\n%s", err, out.String())
		}
	}

	// All good: exit status 0.
	out.Reset()
	os.Chmod(data, 0o700)
	err = Run(ctx, []string{"doctor", "--data-dir", data, "--backup-dir", "", "--http-addr", "127.0.0.1:0"}, &out, io.Discard, func(string) string { return "" })
	if err != nil {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
}

// As the service user (not root), doctor uses access(2): files it cannot
// write and a data directory it cannot enter are failures with a fix.
func TestCheckPermissions_NotRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("needs a non-root user: root may read and write anything (run the test binary with setpriv --reuid to cover it)")
	}
	root := t.TempDir()
	data := filepath.Join(root, "data")
	os.Mkdir(data, 0o700)
	cfg := doctorConfig(t, nil, "--data-dir", data, "--backup-dir", filepath.Join(root, "bk"))
	db := filepath.Join(data, "orengen.db")
	os.WriteFile(db, nil, 0o400)
	find(t, checkPermissions(cfg), levelFail, "orengen.db (owner", "mode 0400) not readable and writable", "chmod 0600")
	os.Chmod(db, 0o600)
	find(t, checkPermissions(cfg), levelOK, "orengen.db readable and writable")
	os.Chmod(data, 0o600) // no x: cannot look inside
	defer os.Chmod(data, 0o700)
	find(t, checkPermissions(cfg), levelFail, "cannot look inside "+data, "run doctor as root")
}
