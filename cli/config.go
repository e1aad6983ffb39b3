package cli

import (
	"bufio"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"orengen/httpx"
)

// Config is the whole configuration of the appliance. Values come from
// flags, then ORENGEN_* environment variables, then an env-style file
// (--config), then the defaults below.
type Config struct {
	ConfigFile string
	DataDir    string
	Domain     string
	HTTPAddr   string
	HTTPSAddr  string
	TLS        string // off | auto
	ACMECA     string
	ACMECARoot string
	ACMEEmail  string
	LogLevel   string
	LogFormat  string
	BodyLimit  int

	// PublicIPs are this server's public addresses, for DNS checks of
	// domains and the records shown to the admin.
	PublicIPs []netip.Addr
	// DNSResolver is host:port of a DNS server for those checks ("" = the
	// system resolver).
	DNSResolver string

	BackupDir              string
	Replicas               []string
	BackupRetention        time.Duration
	BackupSnapshotInterval time.Duration
	BackupSyncInterval     time.Duration
	RestoreIfMissing       string // "", true, false ("" = on when a replica is configured)
	MetricsToken           string
	WebhookAllowPrivate    bool
	// OutboundAllow is the admin allow-list of internal targets the
	// guarded outbound client may reach (httpx.ParseAllow's format).
	OutboundAllow string

	// Federal scouting (federal.go): API base URLs and the SAM.gov key
	// type that sets the daily quota. The key itself is in the vault
	// (sam_api_key) or ORENGEN_SAM_API_KEY.
	SAMAPIURL    string
	GrantsAPIURL string
	SAMKeyType   string
	SAMAPIKey    string

	// RFP extraction may also ask an OpenAI-compatible endpoint
	// (federal.go): its base URL ("" = rules only), the model, and a key
	// for when the vault has no openai_api_key.
	OpenAIURL    string
	OpenAIModel  string
	OpenAIAPIKey string

	// Secrets: environment or config file only, never flags.
	MasterKey  []byte
	SessionKey []byte

	// Automations (automation.go).
	TwilioAPIURL        string
	StripeAPIURL        string
	InboundSMTPAddr     string
	SMTPURL             string // holds a password: env or config file only
	AutomationWorkers   int
	AutomationLease     time.Duration
	AutomationRetention time.Duration
	AutomationKeepRuns  int
	LeadRateLimit       int
	APIRateLimit        int

	// WebhookRetention and WebhookKeep bound the webhook delivery log.
	WebhookRetention time.Duration
	WebhookKeep      int
}

// Defaults.
const (
	DefaultDataDir   = "./data"
	DefaultDomain    = "localhost"
	DefaultDevHTTP   = ":8080"
	DefaultTLSHTTP   = ":80"
	DefaultHTTPSAddr = ":443"
	// DefaultBackupDir puts the default file replica next to the data
	// directory, named after it (./data-backups for ./data), never in the
	// working directory: two data directories never share it.
	DefaultBackupDir = "DATA_DIR-backups"
	LetsEncryptProd  = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStage = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// setting is one configuration value: its flag, its env variable and
// where it is stored.
type setting struct {
	flag, env, usage, def string
	secret                bool // env/file only
	set                   func(c *Config, v string) error
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func dur(name string, p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("--%s: %q is not a positive duration like 720h or 30m", name, v)
		}
		*p(c) = d
		return nil
	}
}

func intRange(name string, lo, hi int, p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("--%s: %q must be a number from %d to %d", name, v, lo, hi)
		}
		*p(c) = n
		return nil
	}
}

func key32(name string, p func(*Config) *[]byte) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil || len(b) != 32 {
			return fmt.Errorf("%s must be base64 of exactly 32 random bytes (generate one with: head -c32 /dev/urandom | base64)", name)
		}
		*p(c) = b
		return nil
	}
}

// settings lists every setting once; flags, env and file all use it.
var settings = []setting{
	{flag: "data-dir", env: "ORENGEN_DATA_DIR", def: DefaultDataDir, usage: "data directory (orengen.db, redka.db)", set: str(func(c *Config) *string { return &c.DataDir })},
	{flag: "domain", env: "ORENGEN_DOMAIN", def: DefaultDomain, usage: "apex domain: DOMAIN and www.DOMAIN (site), app.DOMAIN (portal), nexus.DOMAIN (admin)", set: str(func(c *Config) *string { return &c.Domain })},
	{flag: "http-addr", env: "ORENGEN_HTTP_ADDR", usage: "HTTP listen address (default :8080, or :80 with --tls=auto)", set: str(func(c *Config) *string { return &c.HTTPAddr })},
	{flag: "https-addr", env: "ORENGEN_HTTPS_ADDR", def: DefaultHTTPSAddr, usage: "HTTPS listen address (with --tls=auto)", set: str(func(c *Config) *string { return &c.HTTPSAddr })},
	{flag: "tls", env: "ORENGEN_TLS", usage: "off or auto (default: off for localhost, auto otherwise)", set: str(func(c *Config) *string { return &c.TLS })},
	{flag: "acme-ca", env: "ORENGEN_ACME_CA", def: LetsEncryptProd, usage: "ACME directory URL, or 'staging' for Let's Encrypt staging", set: str(func(c *Config) *string { return &c.ACMECA })},
	{flag: "acme-ca-root", env: "ORENGEN_ACME_CA_ROOT", usage: "PEM file of extra roots to trust for the ACME server", set: str(func(c *Config) *string { return &c.ACMECARoot })},
	{flag: "acme-email", env: "ORENGEN_ACME_EMAIL", usage: "contact email for the ACME account", set: str(func(c *Config) *string { return &c.ACMEEmail })},
	{flag: "public-ips", env: "ORENGEN_PUBLIC_IPS", usage: "this server's public IPv4/IPv6 addresses, space- or comma-separated (for domain DNS checks)", set: func(c *Config, v string) error {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' }) {
			a, err := netip.ParseAddr(f)
			if err != nil || a.Zone() != "" {
				return fmt.Errorf("--public-ips: %q is not an IPv4 or IPv6 address", f)
			}
			c.PublicIPs = append(c.PublicIPs, a.Unmap())
		}
		return nil
	}},
	{flag: "dns-resolver", env: "ORENGEN_DNS_RESOLVER", usage: "host:port of a DNS server for domain checks (default: the system resolver)", set: str(func(c *Config) *string { return &c.DNSResolver })},
	{flag: "log-level", env: "ORENGEN_LOG_LEVEL", def: "info", usage: "debug, info, warn or error", set: str(func(c *Config) *string { return &c.LogLevel })},
	{flag: "log-format", env: "ORENGEN_LOG_FORMAT", def: "text", usage: "text or json", set: str(func(c *Config) *string { return &c.LogFormat })},
	{flag: "body-limit", env: "ORENGEN_BODY_LIMIT", def: "1048576", usage: "largest request body in bytes (larger: 413)", set: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1024 || n > 1<<30 {
			return fmt.Errorf("--body-limit: %q must be a number of bytes between 1024 and 1073741824", v)
		}
		c.BodyLimit = n
		return nil
	}},
	{flag: "backup-dir", env: "ORENGEN_BACKUP_DIR", def: DefaultBackupDir, usage: "directory of the default file replica, next to the data directory ('' for none)", set: str(func(c *Config) *string { return &c.BackupDir })},
	{flag: "replica", env: "ORENGEN_REPLICAS", usage: "extra replica URL (file://, s3://, sftp://; repeatable; env: space-separated)", set: func(c *Config, v string) error {
		c.Replicas = append(c.Replicas, strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' })...)
		return nil
	}},
	{flag: "backup-retention", env: "ORENGEN_BACKUP_RETENTION", def: "720h", usage: "how long replicas keep history", set: dur("backup-retention", func(c *Config) *time.Duration { return &c.BackupRetention })},
	{flag: "backup-snapshot-interval", env: "ORENGEN_BACKUP_SNAPSHOT_INTERVAL", def: "24h", usage: "how often a full snapshot is written", set: dur("backup-snapshot-interval", func(c *Config) *time.Duration { return &c.BackupSnapshotInterval })},
	{flag: "backup-sync-interval", env: "ORENGEN_BACKUP_SYNC_INTERVAL", def: "500ms", usage: "how often new writes are read from the WAL and shipped to the primary replica (10ms to 1m): shorter loses fewer of the latest writes if the machine is lost, for some write throughput (docs/BENCHMARKS.md)", set: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond || d > time.Minute {
			return fmt.Errorf("--backup-sync-interval: %q must be a duration from 10ms to 1m, like 500ms or 100ms", v)
		}
		c.BackupSyncInterval = d
		return nil
	}},
	{flag: "restore-if-missing", env: "ORENGEN_RESTORE_IF_MISSING", usage: "restore missing databases from the replica at start (default: true when a remote replica is configured)", set: str(func(c *Config) *string { return &c.RestoreIfMissing })},
	{flag: "outbound-allow", env: "ORENGEN_OUTBOUND_ALLOW", usage: "internal targets that webhooks, workflow HTTP steps and model endpoints may reach, separated by commas: CIDRs (10.0.0.0/8), IPs, ip:port or host:port (loopback, private, link-local and metadata addresses are refused otherwise)", set: func(c *Config, v string) error {
		if _, err := httpx.ParseAllow(v); err != nil {
			return err
		}
		c.OutboundAllow = v
		return nil
	}},
	{flag: "webhook-allow-private", env: "ORENGEN_WEBHOOK_ALLOW_PRIVATE", def: "false", usage: "let outbound webhooks reach every loopback and private address (prefer --outbound-allow for the few you need)", set: func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("--webhook-allow-private: %q must be true or false", v)
		}
		c.WebhookAllowPrivate = b
		return nil
	}},
	{flag: "metrics-token", env: "ORENGEN_METRICS_TOKEN", usage: "bearer token for /metrics on the nexus host", secret: true, set: str(func(c *Config) *string { return &c.MetricsToken })},
	{flag: "sam-api-url", env: "ORENGEN_SAM_API_URL", def: "https://api.sam.gov", usage: "SAM.gov API base URL (alpha: https://api-alpha.sam.gov)", set: str(func(c *Config) *string { return &c.SAMAPIURL })},
	{flag: "grants-api-url", env: "ORENGEN_GRANTS_API_URL", def: "https://api.grants.gov", usage: "Grants.gov API base URL", set: str(func(c *Config) *string { return &c.GrantsAPIURL })},
	{flag: "sam-key-type", env: "ORENGEN_SAM_KEY_TYPE", def: "personal", usage: "SAM.gov key type, sets the daily quota: personal (10), personal-role, personal-federal, system (1,000), system-federal (10,000)", set: str(func(c *Config) *string { return &c.SAMKeyType })},
	{env: "ORENGEN_SAM_API_KEY", usage: "SAM.gov API key (else the vault's sam_api_key)", secret: true, set: str(func(c *Config) *string { return &c.SAMAPIKey })},
	{flag: "openai-url", env: "ORENGEN_OPENAI_URL", usage: "OpenAI-compatible API base URL for RFP extraction, like https://api.openai.com/v1 (empty: rules only)", set: str(func(c *Config) *string { return &c.OpenAIURL })},
	{flag: "openai-model", env: "ORENGEN_OPENAI_MODEL", def: "gpt-4o-mini", usage: "model RFP extraction asks at --openai-url", set: str(func(c *Config) *string { return &c.OpenAIModel })},
	{env: "ORENGEN_OPENAI_API_KEY", usage: "key for --openai-url (else the vault's openai_api_key)", secret: true, set: str(func(c *Config) *string { return &c.OpenAIAPIKey })},
	{flag: "stripe-api-url", env: "ORENGEN_STRIPE_API_URL", def: "https://api.stripe.com", usage: "Stripe API base URL (stripe-mock in tests)", set: str(func(c *Config) *string { return &c.StripeAPIURL })},
	{flag: "twilio-api-url", env: "ORENGEN_TWILIO_API_URL", def: "https://api.twilio.com", usage: "Twilio REST base URL (tests and proxies)", set: str(func(c *Config) *string { return &c.TwilioAPIURL })},
	{flag: "inbound-smtp-addr", env: "ORENGEN_INBOUND_SMTP_ADDR", usage: "listen address of the inbound mail listener for the tenants' inbox+TOKEN@DOMAIN addresses, like :25 (off when empty; point DOMAIN's MX record at this server)", set: str(func(c *Config) *string { return &c.InboundSMTPAddr })},
	{env: "ORENGEN_SMTP_URL", usage: "SMTP server for email: smtp://user:pass@host:587 or smtps://user:pass@host:465 (?from=addr)", secret: true, set: str(func(c *Config) *string { return &c.SMTPURL })},
	{flag: "automation-workers", env: "ORENGEN_AUTOMATION_WORKERS", def: "2", usage: "goroutines running workflow runs", set: intRange("automation-workers", 1, 64, func(c *Config) *int { return &c.AutomationWorkers })},
	{flag: "automation-lease", env: "ORENGEN_AUTOMATION_LEASE", def: "1m", usage: "how long a worker holds a run before another may reclaim it", set: dur("automation-lease", func(c *Config) *time.Duration { return &c.AutomationLease })},
	{flag: "automation-retention", env: "ORENGEN_AUTOMATION_RETENTION", def: "720h", usage: "finished workflow runs older than this are deleted", set: dur("automation-retention", func(c *Config) *time.Duration { return &c.AutomationRetention })},
	{flag: "automation-keep-runs", env: "ORENGEN_AUTOMATION_KEEP_RUNS", def: "10000", usage: "at most this many finished workflow runs are kept", set: intRange("automation-keep-runs", 10, 10_000_000, func(c *Config) *int { return &c.AutomationKeepRuns })},
	{flag: "webhook-retention", env: "ORENGEN_WEBHOOK_RETENTION", def: "720h", usage: "delivered and given-up outbound webhook deliveries, with their attempts, older than this are deleted from the delivery log", set: dur("webhook-retention", func(c *Config) *time.Duration { return &c.WebhookRetention })},
	{flag: "webhook-keep-deliveries", env: "ORENGEN_WEBHOOK_KEEP_DELIVERIES", def: "100000", usage: "at most this many delivered and given-up webhook deliveries are kept in the delivery log", set: intRange("webhook-keep-deliveries", 100, 100_000_000, func(c *Config) *int { return &c.WebhookKeep })},
	{flag: "api-rate-limit", env: "ORENGEN_API_RATE_LIMIT", def: "600", usage: "requests each API key may make a minute, unless the key has its own limit (RateLimit-* headers; 429 past it)", set: intRange("api-rate-limit", 1, 1_000_000, func(c *Config) *int { return &c.APIRateLimit })},
	{flag: "lead-rate-limit", env: "ORENGEN_LEAD_RATE_LIMIT", def: "60", usage: "posts to /webhook/* per client IP per minute (-1: unlimited)", set: intRange("lead-rate-limit", -1, 1_000_000, func(c *Config) *int { return &c.LeadRateLimit })},
	{env: "ORENGEN_MASTER_KEY", usage: "vault master key", secret: true, set: key32("ORENGEN_MASTER_KEY", func(c *Config) *[]byte { return &c.MasterKey })},
	{env: "ORENGEN_SESSION_KEY", usage: "session/CSRF signing key", secret: true, set: key32("ORENGEN_SESSION_KEY", func(c *Config) *[]byte { return &c.SessionKey })},
}

// multiFlag collects a repeatable flag.
type multiFlag struct{ vals []string }

func (m *multiFlag) String() string     { return strings.Join(m.vals, " ") }
func (m *multiFlag) Set(v string) error { m.vals = append(m.vals, v); return nil }

// LoadConfig registers the settings' flags on fs (with names in only, or
// all if only is empty), parses args, and fills a Config from flags, the
// environment, the config file and defaults, in that order of precedence.
func LoadConfig(fs *flag.FlagSet, args []string, env func(string) string, only ...string) (*Config, error) {
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	vals := map[string]*multiFlag{}
	for _, s := range settings {
		if s.flag == "" || s.secret || len(only) > 0 && !want[s.flag] {
			continue
		}
		m := &multiFlag{}
		vals[s.flag] = m
		usage := s.usage
		if s.def != "" {
			usage += fmt.Sprintf(" (default %q)", s.def)
		}
		fs.Var(m, s.flag, usage+"; env "+s.env)
	}
	var configFile string
	fs.StringVar(&configFile, "config", env("ORENGEN_CONFIG"), "optional env-style file of ORENGEN_* settings")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	file := map[string]string{}
	if configFile != "" {
		var err error
		if file, err = readEnvFile(configFile); err != nil {
			return nil, err
		}
	}
	c := &Config{ConfigFile: configFile}
	for _, s := range settings {
		var v []string
		if m := vals[s.flag]; m != nil && len(m.vals) > 0 {
			v = m.vals
		} else if e := env(s.env); e != "" {
			v = []string{e}
		} else if f, ok := file[s.env]; ok && f != "" {
			v = []string{f}
		} else if s.def != "" {
			v = []string{s.def}
		}
		for _, x := range v {
			if err := s.set(c, x); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

var envLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$`) })

// readEnvFile reads KEY=value lines; # starts a comment; values may be
// quoted. A line that is neither names its number in the error.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := envLine().FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("--config %s line %d: expected KEY=value", path, n)
		}
		v := strings.TrimSpace(m[2])
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		out[m[1]] = v
	}
	return out, sc.Err()
}

// Validate checks values and combinations and fills derived defaults.
// Each error is one line that names the flag.
func (c *Config) Validate() error {
	c.Domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(c.Domain)), ".")
	if c.Domain == "" || strings.Contains(c.Domain, "/") || strings.Contains(c.Domain, ":") || strings.HasPrefix(c.Domain, ".") || strings.Contains(c.Domain, " ") {
		return fmt.Errorf("--domain: %q is not a domain name like example.com", c.Domain)
	}
	if c.Domain != "localhost" && !strings.Contains(c.Domain, ".") {
		return fmt.Errorf("--domain: %q needs a dot (like example.com), or use localhost", c.Domain)
	}
	if c.TLS == "" {
		c.TLS = "auto"
		if c.Domain == "localhost" || strings.HasSuffix(c.Domain, ".localhost") {
			c.TLS = "off"
		}
	}
	if c.TLS != "off" && c.TLS != "auto" {
		return fmt.Errorf("--tls: %q must be off or auto", c.TLS)
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultDevHTTP
		if c.TLS == "auto" {
			c.HTTPAddr = DefaultTLSHTTP
		}
	}
	for name, a := range map[string]string{"http-addr": c.HTTPAddr, "https-addr": c.HTTPSAddr} {
		if _, port, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("--%s: %q is not host:port (like :8080 or 127.0.0.1:8080)", name, a)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("--%s: port %q must be 0-65535", name, port)
		}
	}
	if c.ACMECA == "staging" {
		c.ACMECA = LetsEncryptStage
	}
	if !strings.HasPrefix(c.ACMECA, "https://") {
		return fmt.Errorf("--acme-ca: %q must be an https:// ACME directory URL or 'staging'", c.ACMECA)
	}
	if c.ACMECARoot != "" {
		if _, err := os.Stat(c.ACMECARoot); err != nil {
			return fmt.Errorf("--acme-ca-root: %w", err)
		}
	}
	if c.ACMEEmail != "" && (!strings.Contains(c.ACMEEmail, "@") || strings.ContainsAny(c.ACMEEmail, " <>")) {
		return fmt.Errorf("--acme-email: %q is not an email address", c.ACMEEmail)
	}
	if c.DNSResolver != "" {
		if _, port, err := net.SplitHostPort(c.DNSResolver); err != nil || port == "" {
			return fmt.Errorf("--dns-resolver: %q is not host:port (like 127.0.0.1:53)", c.DNSResolver)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level: %q must be debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format: %q must be text or json", c.LogFormat)
	}
	switch c.RestoreIfMissing {
	case "", "true", "false":
	default:
		return fmt.Errorf("--restore-if-missing: %q must be true or false", c.RestoreIfMissing)
	}
	if c.DataDir == "" {
		return errors.New("--data-dir: must not be empty")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	c.DataDir = abs
	if c.BackupDir == DefaultBackupDir {
		c.BackupDir = c.DataDir + "-backups"
	}
	if c.BackupDir != "" {
		if c.BackupDir, err = filepath.Abs(c.BackupDir); err != nil {
			return fmt.Errorf("--backup-dir: %w", err)
		}
		if c.BackupDir == c.DataDir {
			return errors.New("--backup-dir: must not be the data directory")
		}
	}
	return nil
}

// DBPath and KVPath are the two database files in the data directory.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, "orengen.db") }
func (c *Config) KVPath() string { return filepath.Join(c.DataDir, "redka.db") }

// loadOrCreateKey returns key if set, or reads (creating if missing) a
// 32-byte key file in the data directory with mode 0600 (development).
func loadOrCreateKey(key []byte, path string) ([]byte, error) {
	if len(key) == 32 {
		return key, nil
	}
	b, err := os.ReadFile(path)
	if err == nil {
		k, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(k) != 32 {
			return nil, fmt.Errorf("%s: not base64 of 32 bytes; delete it to generate a new one", path)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, 32)
	if _, err := randRead(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}
