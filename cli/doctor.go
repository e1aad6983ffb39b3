package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"orengen/app"
	"orengen/backups"
	"orengen/store"
)

// Check levels, as printed.
const (
	levelOK   = "ok"
	levelWarn = "warn"
	levelFail = "FAIL"
)

// checkResult is one line of `orengen doctor`: a level, the check's name,
// what was found and, unless ok, how to fix it. It never holds a secret.
type checkResult struct {
	Level string
	Check string
	What  string
	Fix   string
}

// String formats the result as "ok|warn|FAIL  check: what — fix".
func (r checkResult) String() string {
	s := fmt.Sprintf("%-4s  %s: %s", r.Level, r.Check, r.What)
	if r.Fix != "" {
		s += " — " + r.Fix
	}
	return s
}

func okf(check, format string, a ...any) checkResult {
	return checkResult{Level: levelOK, Check: check, What: fmt.Sprintf(format, a...)}
}

func warnf(check, fix, format string, a ...any) checkResult {
	return checkResult{Level: levelWarn, Check: check, What: fmt.Sprintf(format, a...), Fix: fix}
}

func failf(check, fix, format string, a ...any) checkResult {
	return checkResult{Level: levelFail, Check: check, What: fmt.Sprintf(format, a...), Fix: fix}
}

// Timeouts of doctor's network checks.
var (
	doctorReplicaTimeout = 15 * time.Second
	doctorProbeTimeout   = 3 * time.Second
)

func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := newFlagSet("doctor", "doctor [flags]  (the same flags and environment as serve)", stderr)
	cfg, err := loadConfig(fs, args, env)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		// The configuration itself is broken: say so in the doctor's
		// format. Config errors name the setting, never a secret's value.
		fix := "fix that setting in the flags, the environment or the --config file"
		inner := err
		if ue := (usageError{}); errors.As(err, &ue) {
			inner = ue.error
		}
		if errors.Is(inner, os.ErrPermission) {
			fix = "run doctor as root (sudo orengen doctor --config FILE): the env file is root's"
		}
		fmt.Fprintln(stdout, failf("configuration", fix, "%v", err))
		return errors.New("doctor: the configuration does not load")
	}
	exportReplicaSecrets(cfg, env)

	var db *store.DB
	if d, err := store.OpenReadOnly(ctx, cfg.DBPath()); err == nil {
		db = d
		defer db.Close()
	}
	var results []checkResult
	fails := 0
	emit := func(rs ...checkResult) {
		for _, r := range rs {
			fmt.Fprintln(stdout, r)
			if r.Level == levelFail {
				fails++
			}
			results = append(results, r)
		}
	}
	emit(checkEnvFile(cfg)...)
	emit(checkPermissions(cfg)...)
	emit(checkPorts(ctx, cfg)...)
	emit(checkDNS(ctx, cfg, db)...)
	emit(checkCertificates(ctx, cfg, db)...)
	emit(checkReplicas(ctx, cfg)...)
	emit(checkReplicationStatus(cfg)...)
	emit(checkDisk(cfg))
	if fails > 0 {
		return fmt.Errorf("doctor: %d of %d checks failed", fails, len(results))
	}
	return nil
}

// exportReplicaSecrets puts replica credentials read from --config into the
// process environment, where backups.ParseReplica reads them (serve gets
// them from systemd's EnvironmentFile; doctor may be given the file).
func exportReplicaSecrets(cfg *Config, env func(string) string) {
	var file map[string]string
	if cfg.ConfigFile != "" {
		file, _ = readEnvFile(cfg.ConfigFile)
	}
	for _, k := range []string{backups.EnvS3AccessKeyID, backups.EnvS3SecretAccessKey, backups.EnvSFTPPassword} {
		if os.Getenv(k) != "" {
			continue
		}
		if v := env(k); v != "" {
			os.Setenv(k, v)
		} else if v := file[k]; v != "" {
			os.Setenv(k, v)
		}
	}
}

func isLocalDomain(d string) bool { return d == "localhost" || strings.HasSuffix(d, ".localhost") }

// checkEnvFile checks the --config file's mode and that the secrets a
// production server needs are set. It never prints a secret.
func checkEnvFile(cfg *Config) []checkResult {
	const name = "environment file"
	var out []checkResult
	if cfg.ConfigFile == "" {
		out = append(out, okf(name, "none given (--config / ORENGEN_CONFIG); settings come from flags and the environment"))
	} else if fi, err := os.Stat(cfg.ConfigFile); err != nil {
		out = append(out, failf(name, "check the path given to --config / ORENGEN_CONFIG", "%s: %v", cfg.ConfigFile, err))
	} else {
		mode := fi.Mode().Perm()
		uid, gid := ownerOf(fi)
		group := groupName(gid)
		switch {
		case mode&0o007 != 0:
			out = append(out, failf(name, "chmod 0600 "+cfg.ConfigFile, "%s has mode %04o: every user on the machine can read its secrets", cfg.ConfigFile, mode))
		case mode&0o020 != 0:
			out = append(out, failf(name, "chmod 0600 "+cfg.ConfigFile, "%s has mode %04o: group %s can change it", cfg.ConfigFile, mode, group))
		case mode&0o040 != 0 && !(uid == 0 && group == "orengen"):
			out = append(out, failf(name, "chmod 0600 "+cfg.ConfigFile+" (or 0640 with owner root:orengen)", "%s has mode %04o: group %s can read its secrets", cfg.ConfigFile, mode, group))
		default:
			out = append(out, okf(name, "%s is readable, mode %04o, owner %s:%s", cfg.ConfigFile, mode, userName(uid), group))
		}
	}
	if isLocalDomain(cfg.Domain) {
		out = append(out, okf("secrets", "development domain %s: keys come from %s and %s if not set", cfg.Domain,
			filepath.Join(cfg.DataDir, "master.key"), filepath.Join(cfg.DataDir, "session.key")))
		return out
	}
	const fix = "generate one with: head -c32 /dev/urandom | base64 and set it in the environment file (install.sh does)"
	for _, k := range []struct {
		env string
		val []byte
	}{{"ORENGEN_MASTER_KEY", cfg.MasterKey}, {"ORENGEN_SESSION_KEY", cfg.SessionKey}} {
		if len(k.val) != 32 {
			// A malformed key stops LoadConfig before this; here it is unset.
			out = append(out, failf("secrets", fix, "%s is not set (with --domain %s it must be base64 of 32 bytes, kept with a copy of the environment file)", k.env, cfg.Domain))
		} else {
			out = append(out, okf("secrets", "%s is set (32 bytes)", k.env))
		}
	}
	if cfg.MetricsToken != "" && len(cfg.MetricsToken) < 16 {
		out = append(out, warnf("secrets", "use a longer token, for example: head -c24 /dev/urandom | base64", "ORENGEN_METRICS_TOKEN is shorter than 16 characters"))
	}
	return out
}

func ownerOf(fi os.FileInfo) (uid, gid int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}

func groupName(gid int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return g.Name
	}
	return strconv.Itoa(gid)
}

// canWrite reports whether the service user, uid, can read and write p:
// run as that user, access(2) answers; run as root (checking a service
// that runs as another user), ownership and mode answer.
func canWrite(p string, fi os.FileInfo, uid int) bool {
	if os.Geteuid() == uid && uid != 0 {
		return syscall.Access(p, 0x6) == nil // R_OK|W_OK
	}
	fuid, _ := ownerOf(fi)
	if uid == 0 {
		return true
	}
	return fuid == uid && fi.Mode().Perm()&0o600 == 0o600
}

// checkPermissions checks the data directory, its database and key files,
// and the backup directory.
func checkPermissions(cfg *Config) []checkResult {
	out := checkDataDir(cfg)
	if cfg.BackupDir != "" {
		out = append(out, checkDirWritable("permissions", "backup directory", cfg.BackupDir, serviceUID(cfg)))
	}
	return out
}

// serviceUID is the user the service runs as: the data directory's owner,
// or the user running doctor if there is no data directory yet.
func serviceUID(cfg *Config) int {
	if fi, err := os.Stat(cfg.DataDir); err == nil {
		uid, _ := ownerOf(fi)
		return uid
	}
	return os.Geteuid()
}

func checkDataDir(cfg *Config) []checkResult {
	const name = "permissions"
	var out []checkResult
	fi, err := os.Stat(cfg.DataDir)
	if errors.Is(err, os.ErrNotExist) {
		if isLocalDomain(cfg.Domain) {
			return append(out, warnf(name, "serve creates it at its first start", "data directory %s does not exist yet", cfg.DataDir))
		}
		return append(out, failf(name, "run install.sh, or: install -d -m 0700 -o orengen "+cfg.DataDir, "data directory %s does not exist", cfg.DataDir))
	} else if err != nil {
		return append(out, failf(name, "run doctor as the service user or as root", "data directory %s: %v", cfg.DataDir, err))
	}
	if !fi.IsDir() {
		return append(out, failf(name, "point --data-dir at a directory", "%s is not a directory", cfg.DataDir))
	}
	owner, _ := ownerOf(fi)
	me := os.Geteuid()
	switch {
	case me != 0 && owner != me:
		out = append(out, failf(name, fmt.Sprintf("chown -R %s %s", userName(me), cfg.DataDir), "data directory %s is owned by %s, not by %s who runs orengen", cfg.DataDir, userName(owner), userName(me)))
	case fi.Mode().Perm() != 0o700:
		out = append(out, failf(name, "chmod 0700 "+cfg.DataDir, "data directory %s has mode %04o (want 0700: it holds every tenant's data)", cfg.DataDir, fi.Mode().Perm()))
	default:
		who := userName(owner)
		if me == 0 && owner != 0 {
			who += " (the service user; doctor runs as root)"
		}
		out = append(out, okf(name, "data directory %s: mode 0700, owner %s", cfg.DataDir, who))
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "orengen.db")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return append(out, failf(name, "run doctor as root, or as the service user "+userName(owner), "cannot look inside %s: %v", cfg.DataDir, errors.Unwrap(err)))
	}
	// The databases and their WAL companions must be the service user's:
	// a -shm created by root locks the service out.
	for _, base := range []string{"orengen.db", "redka.db"} {
		var bad, present []string
		for _, suf := range []string{"", "-wal", "-shm"} {
			p := filepath.Join(cfg.DataDir, base+suf)
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			present = append(present, base+suf)
			if !canWrite(p, fi, owner) {
				u, _ := ownerOf(fi)
				bad = append(bad, fmt.Sprintf("%s (owner %s, mode %04o)", base+suf, userName(u), fi.Mode().Perm()))
			}
		}
		switch {
		case len(bad) > 0:
			out = append(out, failf(name, fmt.Sprintf("stop orengen, then chown %s %s* && chmod 0600 %s*", userName(owner), filepath.Join(cfg.DataDir, base), filepath.Join(cfg.DataDir, base)),
				"%s not readable and writable by %s", strings.Join(bad, ", "), userName(owner)))
		case len(present) == 0:
			out = append(out, okf(name, "%s not created yet (serve creates it)", base))
		default:
			out = append(out, okf(name, "%s readable and writable by %s", strings.Join(present, ", "), userName(owner)))
		}
	}
	for _, k := range []string{"master.key", "session.key"} {
		p := filepath.Join(cfg.DataDir, k)
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			out = append(out, failf(name, "chmod 0600 "+p, "%s has mode %04o: other users can read the key", p, m))
		} else {
			out = append(out, okf(name, "%s mode 0600", p))
		}
	}
	return out
}

// checkDirWritable checks that the service user, uid, can write dir (or,
// if it is missing, create it).
func checkDirWritable(check, what, dir string, uid int) checkResult {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		parent := filepath.Dir(dir)
		if pfi, err := os.Stat(parent); err == nil && pfi.IsDir() && canWriteDir(parent, pfi, uid) {
			return warnf(check, "the replicator creates it at its first sync", "%s %s does not exist yet", what, dir)
		}
		return failf(check, fmt.Sprintf("install -d -m 0700 -o %s %s", userName(uid), dir), "%s %s does not exist and %s cannot create it", what, dir, userName(uid))
	} else if err != nil {
		return failf(check, "run doctor as root or the service user", "%s %s: %v", what, dir, err)
	}
	if !fi.IsDir() {
		return failf(check, "point it at a directory", "%s %s is not a directory", what, dir)
	}
	if !canWriteDir(dir, fi, uid) {
		o, _ := ownerOf(fi)
		return failf(check, fmt.Sprintf("chown %s %s && chmod 0700 %s", userName(uid), dir, dir), "%s %s (owner %s, mode %04o) is not writable by %s", what, dir, userName(o), fi.Mode().Perm(), userName(uid))
	}
	return okf(check, "%s %s is writable by %s", what, dir, userName(uid))
}

func canWriteDir(p string, fi os.FileInfo, uid int) bool {
	if os.Geteuid() == uid && uid != 0 {
		return syscall.Access(p, 0x7) == nil // R_OK|W_OK|X_OK
	}
	if uid == 0 {
		return true
	}
	o, _ := ownerOf(fi)
	return o == uid && fi.Mode().Perm()&0o700 == 0o700
}

// checkPorts tries to bind the listen addresses. A busy port is fine when
// orengen itself answers /healthz on it.
func checkPorts(ctx context.Context, cfg *Config) []checkResult {
	addrs := []struct{ flag, addr string }{{"--http-addr", cfg.HTTPAddr}}
	if cfg.TLS == "auto" {
		addrs = append(addrs, struct{ flag, addr string }{"--https-addr", cfg.HTTPSAddr})
	}
	var out []checkResult
	for _, a := range addrs {
		out = append(out, checkPort(ctx, cfg, a.flag, a.addr, a.flag == "--https-addr"))
	}
	return out
}

func checkPort(ctx context.Context, cfg *Config, flagName, addr string, isTLS bool) checkResult {
	const name = "ports"
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		return okf(name, "%s %s is free", flagName, addr)
	}
	_, port, _ := net.SplitHostPort(addr)
	if errors.Is(err, syscall.EACCES) {
		return warnf(name, "run doctor as root to test the port (the systemd unit grants CAP_NET_BIND_SERVICE)", "%s %s: binding a port under 1024 needs root or CAP_NET_BIND_SERVICE", flagName, addr)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return failf(name, "check the address given to "+flagName, "%s %s: %v", flagName, addr, err)
	}
	if v, ok := probeOrengen(ctx, cfg.Domain, addr, isTLS); ok {
		return okf(name, "%s %s is held by orengen itself (version %s)", flagName, addr, v)
	}
	n, _ := strconv.Atoi(port)
	pid, comm := portOwner(n)
	if comm == "orengen" {
		// Serving, but /healthz did not answer the probe (over HTTPS, for
		// example, before the first certificate exists).
		return okf(name, "%s %s is held by orengen itself (pid %d)", flagName, addr, pid)
	}
	who := "another program"
	if comm != "" {
		who = fmt.Sprintf("%s (pid %d)", comm, pid)
	}
	return failf(name, fmt.Sprintf("find the program with: ss -ltnp 'sport = :%s'; stop it, or choose another %s", port, flagName),
		"%s %s is in use by %s", flagName, addr, who)
}

// portOwner finds the process listening on TCP port through /proc: the
// socket's inode in /proc/net/tcp{,6}, then the process holding it. It
// sees every process when run as root and the user's own otherwise; it
// returns 0, "" when it cannot tell.
func portOwner(port int) (pid int, comm string) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 || fs[3] != "0A" { // 0A: LISTEN
				continue
			}
			i := strings.LastIndexByte(fs[1], ':')
			if p, err := strconv.ParseUint(fs[1][i+1:], 16, 16); err == nil && int(p) == port {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, ""
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		n, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && inodes[l] {
				c, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
				return n, strings.TrimSpace(string(c))
			}
		}
	}
	return 0, ""
}

// probeOrengen asks addr for /healthz as the nexus host and reports
// whether orengen answered, with its version. Over TLS the certificate is
// not verified: this only identifies the program on the port, and the
// certificate may be a staging one or missing yet.
func probeOrengen(ctx context.Context, domain, addr string, isTLS bool) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	scheme := "http"
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	if isTLS {
		scheme = "https"
		tr.TLSClientConfig = &tls.Config{ServerName: "nexus." + domain, InsecureSkipVerify: true} //nolint:gosec // identification only
	}
	ctx, cancel := context.WithTimeout(ctx, doctorProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return "", false
	}
	req.Host = "nexus." + domain
	resp, err := (&http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var h struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&h); err != nil || h.Status == "" || h.Version == "" {
		return "", false
	}
	return h.Version, true
}

// doctorResolver returns the resolver of --dns-resolver, or the system's.
func doctorResolver(cfg *Config) *net.Resolver {
	if cfg.DNSResolver == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, cfg.DNSResolver)
	}}
}

// doctorHosts returns the built-in hosts and the active custom domains
// (with their verification tokens), and a problem reading the latter.
func doctorHosts(ctx context.Context, cfg *Config, db *store.DB) (builtin []string, custom []*app.CustomDomain, err error) {
	ds := &app.DomainService{Domain: cfg.Domain}
	for _, h := range ds.BuiltinHosts() {
		builtin = append(builtin, h.Name)
	}
	if db == nil {
		return builtin, nil, nil
	}
	all, err := store.NewDomainStore(db).FindDomains(ctx)
	if err != nil {
		return builtin, nil, err
	}
	for _, d := range all {
		if d.Status == app.DomainActive {
			custom = append(custom, d)
		}
	}
	return builtin, custom, nil
}

// checkDNS checks that the built-in hosts and active custom domains
// resolve to --public-ips.
func checkDNS(ctx context.Context, cfg *Config, db *store.DB) []checkResult {
	const name = "dns"
	if isLocalDomain(cfg.Domain) {
		return []checkResult{okf(name, "%s resolves to this machine without DNS records", cfg.Domain)}
	}
	// Without --public-ips, the machine's own global addresses stand in:
	// right on most VPSs, wrong behind NAT, so a mismatch is only a warning.
	ips, guessed := cfg.PublicIPs, false
	if len(ips) == 0 {
		ips, guessed = interfaceIPs(), true
	}
	ds := &app.DomainService{Resolver: doctorResolver(cfg), Domain: cfg.Domain, PublicIPs: ips}
	builtin, custom, err := doctorHosts(ctx, cfg, db)
	var out []checkResult
	want := joinAddrList(ips)
	for _, h := range builtin {
		c := ds.CheckDNS(ctx, h, "")
		switch {
		case c.OK && guessed:
			out = append(out, okf(name, "%s → %s (an address of this machine)", h, strings.Join(c.Addrs, ", ")))
		case c.OK:
			out = append(out, okf(name, "%s → %s", h, strings.Join(c.Addrs, ", ")))
		case guessed && len(c.Addrs) > 0:
			out = append(out, warnf(name, "if this server is behind NAT, set --public-ips (ORENGEN_PUBLIC_IPS) to its public addresses; otherwise point the record at "+want,
				"%s → %s, which is not an address of this machine (%s)", h, strings.Join(c.Addrs, ", "), want))
		default:
			fix := "create an A (and AAAA for IPv6) record for " + h + " pointing at " + want
			out = append(out, failf(name, fix, "%s", strings.TrimSuffix(c.Error, ".")))
		}
	}
	if err != nil {
		out = append(out, warnf(name, "check the database permissions above", "custom domains not read: %v", err))
	}
	for _, d := range custom {
		c := ds.CheckDNS(ctx, d.Name, d.VerifyToken)
		if c.OK {
			out = append(out, okf(name, "custom domain %s → %s", d.Name, strings.Join(c.Addrs, ", ")))
		} else {
			out = append(out, warnf(name, "ask the tenant to point "+d.Name+" at "+want+" (Nexus > Domains shows the records)", "custom domain %s", strings.TrimSuffix(c.Error, ".")))
		}
	}
	return out
}

func joinAddrList(ips []netip.Addr) string {
	if len(ips) == 0 {
		return "this server's public IP"
	}
	s := make([]string, len(ips))
	for i, a := range ips {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// interfaceIPs returns this machine's global unicast addresses.
func interfaceIPs() []netip.Addr {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().IsGlobalUnicast() {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out
}

// storedCerts maps each name to the latest certificate stored for it in
// certmagic's storage (certificates/<issuer>/<name>/<name>.crt).
func storedCerts(ctx context.Context, cs *store.CertStorage) (map[string]*x509.Certificate, error) {
	keys, err := cs.List(ctx, "certificates", true)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	out := map[string]*x509.Certificate{}
	for _, k := range keys {
		dir, file := path.Split(k)
		name := path.Base(dir)
		if file != name+".crt" {
			continue
		}
		b, err := cs.Load(ctx, k)
		if err != nil {
			continue
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			continue
		}
		if old := out[name]; old == nil || c.NotAfter.After(old.NotAfter) {
			out[name] = c
		}
	}
	return out, nil
}

// checkCertificates reports each host's stored certificate and its expiry.
func checkCertificates(ctx context.Context, cfg *Config, db *store.DB) []checkResult {
	const name = "certificates"
	if cfg.TLS != "auto" {
		return []checkResult{okf(name, "TLS is off (--tls=%s): no certificates needed", cfg.TLS)}
	}
	if db == nil {
		return []checkResult{warnf(name, "start orengen; it obtains certificates once DNS points here", "%s does not exist or cannot be read: no certificates stored", cfg.DBPath())}
	}
	certs, err := storedCerts(ctx, store.NewCertStorage(db))
	if err != nil {
		return []checkResult{failf(name, "check the database permissions above", "reading stored certificates: %v", err)}
	}
	builtin, custom, _ := doctorHosts(ctx, cfg, db)
	hosts := builtin
	for _, d := range custom {
		hosts = append(hosts, d.Name)
	}
	var out []checkResult
	now := time.Now()
	for _, h := range hosts {
		c := certs[h]
		switch {
		case c == nil:
			out = append(out, warnf(name, "fix DNS first; then see journalctl -u orengen | grep -i certificate", "%s has no certificate stored yet", h))
		case !now.Before(c.NotAfter):
			out = append(out, failf(name, "renewal failed: see journalctl -u orengen | grep -i certificate (DNS, ports 80/443, rate limits)", "%s certificate expired on %s", h, c.NotAfter.UTC().Format(time.DateOnly)))
		case c.NotAfter.Sub(now) < 14*24*time.Hour:
			out = append(out, warnf(name, "renewal is failing: see journalctl -u orengen | grep -i certificate", "%s certificate expires in %.0f days (%s)", h, c.NotAfter.Sub(now).Hours()/24, c.NotAfter.UTC().Format(time.DateOnly)))
		default:
			out = append(out, okf(name, "%s certificate from %s expires %s (%.0f days)", h, c.Issuer.CommonName, c.NotAfter.UTC().Format(time.DateOnly), c.NotAfter.Sub(now).Hours()/24))
		}
	}
	return out
}

// checkReplicas checks each configured replica: file replicas are
// writable, S3 and SFTP replicas answer a listing.
func checkReplicas(ctx context.Context, cfg *Config) []checkResult {
	const name = "replicas"
	rs, err := backups.ParseReplicas(cfg.Replicas, cfg.BackupDir)
	if err != nil {
		return []checkResult{failf(name, "fix --replica / ORENGEN_REPLICAS", "%v", err)}
	}
	if len(rs) == 0 {
		return []checkResult{warnf(name, "set --backup-dir or add a replica with --replica", "no replica configured: nothing is backed up")}
	}
	uid := serviceUID(cfg)
	var out []checkResult
	remote := false
	for _, r := range rs {
		if r.Type == backups.TypeFile {
			if r.Name == backups.DefaultReplicaName && r.Path == cfg.BackupDir {
				continue // the backup directory, checked under permissions
			}
			out = append(out, checkDirWritable(name, "replica "+r.Name, r.Path, uid))
			continue
		}
		remote = true
		rctx, cancel := context.WithTimeout(ctx, doctorReplicaTimeout)
		names, err := backups.ListDatabases(rctx, r, backups.DefaultDatabases)
		cancel()
		switch {
		case err != nil:
			out = append(out, failf(name, "check the endpoint, the bucket or path, the credentials (ORENGEN_S3_* / key, ORENGEN_SFTP_PASSWORD) and the network", "replica %s unreachable: %v", r.Redacted(), err))
		case len(names) == 0:
			out = append(out, okf(name, "replica %s is reachable and holds no backup yet", r.Redacted()))
		default:
			out = append(out, okf(name, "replica %s is reachable and holds %s", r.Redacted(), strings.Join(names, ", ")))
		}
	}
	if !remote {
		out = append(out, warnf(name, "add an S3 or SFTP replica (--replica): the file replica is on this same machine", "no off-site replica"))
	}
	return out
}

// checkReplicationStatus reads the replicator's status file: whether it
// runs, its lag and its errors.
func checkReplicationStatus(cfg *Config) []checkResult {
	const name = "replication"
	st, err := backups.ReadStatus(cfg.DataDir)
	if errors.Is(err, backups.ErrNoStatus) {
		return []checkResult{warnf(name, "start orengen (systemctl start orengen); serve runs the replicator", "no status file: serve has not run the replicator here")}
	} else if err != nil {
		return []checkResult{failf(name, "check the data directory's permissions", "%v", err)}
	}
	if st.Stopped {
		return []checkResult{warnf(name, "start orengen (systemctl start orengen)", "the replicator stopped cleanly at %s (serve is not running)", st.UpdatedAt.UTC().Format(time.RFC3339))}
	}
	if st.Stale() {
		return []checkResult{failf(name, "systemctl status orengen; journalctl -u orengen", "the replicator stopped updating its status %s ago without a clean stop", time.Since(st.UpdatedAt).Round(time.Second))}
	}
	var out []checkResult
	errs := st.Errors()
	for _, e := range errs {
		out = append(out, failf(name, "see journalctl -u orengen and the replica check above", "%s", e))
	}
	lag := st.MaxLag()
	switch {
	case lag > 5*time.Minute:
		out = append(out, failf(name, "see journalctl -u orengen", "replicas are %s behind", lag.Round(time.Second)))
	case lag > time.Minute:
		out = append(out, warnf(name, "see journalctl -u orengen if it grows", "replicas are %s behind", lag.Round(time.Second)))
	case len(errs) == 0:
		out = append(out, okf(name, "replicator running (pid %d), %d databases, largest lag %s", st.PID, len(st.Databases), lag.Round(time.Millisecond)))
	}
	return out
}

// checkDisk grades the free space of the data directory's filesystem.
func checkDisk(cfg *Config) checkResult {
	const name = "disk"
	dir := cfg.DataDir
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	free, total, err := diskFree(dir)
	if err != nil {
		return failf(name, "check the data directory", "%v", err)
	}
	pct := 0.0
	if total > 0 {
		pct = float64(free) * 100 / float64(total)
	}
	what := fmt.Sprintf("%s free of %s (%.0f%%) on the filesystem of %s", app.FormatBytes(int64(free)), app.FormatBytes(int64(total)), pct, dir)
	switch diskLevel(free, total) {
	case "fail":
		return failf(name, "free space now: SQLite stops writing when the disk is full (journalctl --vacuum-size=100M, old files)", "%s", what)
	case "warn":
		return warnf(name, "free space or grow the disk", "%s", what)
	}
	return okf(name, "%s", what)
}
