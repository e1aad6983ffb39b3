package platform

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// SecretSpec is one credential an integration reads: its vault name and,
// when the server's configuration can supply it instead, the environment
// variable (or flag) that does.
type SecretSpec struct {
	Vault string
	// Env names the environment variable read when the vault has none
	// ("" : the vault only); EnvSet reports whether it is set.
	Env    string
	EnvSet bool
	// Optional secrets do not make the integration unconfigured.
	Optional bool
}

// Integration is one outside service the product talks to, as the hub
// shows it. Test makes a harmless real call: a read that sends nothing,
// runs no model and bills nothing (nil: the integration has no test).
type Integration struct {
	Key   string // URL segment: twilio, model, smtp, sam, grants...
	Name  string
	About string
	// Tenant: a client may configure its own (its portal lists it);
	// otherwise the integration is the agency's alone.
	Tenant  bool
	Secrets []SecretSpec
	// Settings are the non-secret settings shown as they are (base URL,
	// model): name -> value.
	Settings func(ctx context.Context, tenantID int64) [][2]string
	// Configured overrides the rule "every required secret is set"
	// (an integration without secrets, a default mailer).
	Configured func(ctx context.Context, tenantID int64) bool
	// Test is the connection test; its detail (like "3 models") is shown
	// on success. Errors must not hold a secret.
	Test     func(ctx context.Context, tenantID int64) (string, error)
	TestNote string // what the test costs, if anything
	// Page links the integration's own settings page ("" : none).
	Page string
	// Fields are the settings an admin may change in Nexus (or with an
	// admin key) without a restart, with their values as saved ("" : the
	// flag's default, shown in Help); Save stores them (EINVALID naming
	// the field). Nil: the settings are the flags'.
	Fields func(ctx context.Context) []Field
	Save   func(ctx context.Context, values map[string]string) error
}

// Field is one editable setting of an integration.
type Field struct {
	Name  string // form and JSON name: base_url, model
	Label string
	Help  string
	Value string
}

// Check is the outcome of the latest connection tests.
type Check struct {
	LastSuccessAt *time.Time
	LastDetail    string
	LastError     string
	LastErrorAt   *time.Time
}

// Passed reports whether the latest test passed (false before any).
func (c Check) Passed() bool {
	return c.LastSuccessAt != nil && (c.LastErrorAt == nil || !c.LastSuccessAt.Before(*c.LastErrorAt))
}

// CheckStore keeps each scope's latest test outcomes. The scope is the
// tenant of ctx, or the agency's (global) configuration without one.
type CheckStore interface {
	FindChecks(ctx context.Context) (map[string]*Check, error)
	RecordCheck(ctx context.Context, key string, ok bool, detail string, at time.Time) error
}

// SecretNames lists the names of the secrets a vault scope holds (never
// a value).
type SecretNames func(ctx context.Context, scope app.VaultScope) ([]string, error)

// SecretSource says where one secret comes from.
type SecretSource struct {
	Name string
	// From: "vault (this client's own)", "vault (the agency's, shared)",
	// "vault (global)", "environment ORENGEN_X" or "not set".
	From     string
	Set      bool
	Optional bool
}

// IntegrationStatus is an integration as one scope sees it.
type IntegrationStatus struct {
	*Integration
	Configured bool
	Sources    []SecretSource
	Settings   [][2]string
	// Fields: the editable settings (Nexus only).
	Fields []Field
	Check
}

// Hub lists the integrations with where their secrets come from and their
// latest tests, and runs a test on demand.
type Hub struct {
	Integrations []*Integration
	Secrets      SecretNames
	Checks       CheckStore
	Audit        *app.AuditService // nil: tests are not audited
	Now          func() time.Time
	// TestTimeout bounds one connection test (0: DefaultTestTimeout).
	TestTimeout time.Duration

	mu sync.Mutex // one test at a time per process: they are cheap, but not free
}

// DefaultTestTimeout bounds one connection test.
const DefaultTestTimeout = 15 * time.Second

func (h *Hub) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// scope is the tenant of ctx (a client's portal) or 0 (Nexus: the
// agency's configuration).
func scope(ctx context.Context) (tenantID int64, portal bool) {
	if t := app.TenantFromContext(ctx); t != nil && (app.UserFromContext(ctx) != nil || app.APIKeyFromContext(ctx) != nil) {
		return t.ID, true
	}
	return 0, false
}

// system is ctx without its principal: the hub reads the global vault
// scope a client's integration falls back to (names only) and runs the
// test as the background work that uses the integration would.
func system(ctx context.Context) (context.Context, context.CancelFunc) {
	sys, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	return sys, func() { stop(); cancel() }
}

// List returns the integrations the scope of ctx sees: every one in
// Nexus, the per-client ones in a portal.
func (h *Hub) List(ctx context.Context) ([]*IntegrationStatus, error) {
	tid, portal := scope(ctx)
	checks, err := h.Checks.FindChecks(ctx)
	if err != nil {
		return nil, err
	}
	sys, done := system(ctx)
	defer done()
	names := map[int64]map[string]bool{}
	has := func(scopeID int64, name string) (bool, error) {
		if names[scopeID] == nil {
			ns, err := h.Secrets(sys, app.TenantScope(scopeID))
			if err != nil {
				return false, err
			}
			names[scopeID] = map[string]bool{}
			for _, n := range ns {
				names[scopeID][n] = true
			}
		}
		return names[scopeID][name], nil
	}
	var out []*IntegrationStatus
	for _, in := range h.Integrations {
		if portal && !in.Tenant {
			continue
		}
		st := &IntegrationStatus{Integration: in, Configured: true}
		for _, sp := range in.Secrets {
			src := SecretSource{Name: sp.Vault, Optional: sp.Optional, From: "not set"}
			own, err := has(tid, sp.Vault)
			if err != nil {
				return nil, err
			}
			switch {
			case own && tid != 0:
				src.From, src.Set = "vault (this client's own)", true
			case own:
				src.From, src.Set = "vault (global)", true
			default:
				global := false
				if tid != 0 {
					if global, err = has(0, sp.Vault); err != nil {
						return nil, err
					}
				}
				switch {
				case global:
					src.From, src.Set = "vault (the agency's, shared)", true
				case sp.Env != "" && sp.EnvSet:
					src.From, src.Set = "environment "+sp.Env, true
				}
			}
			if !src.Set && !sp.Optional {
				st.Configured = false
			}
			st.Sources = append(st.Sources, src)
		}
		if in.Configured != nil {
			st.Configured = in.Configured(sys, tid)
		}
		if in.Settings != nil {
			st.Settings = in.Settings(sys, tid)
		}
		if in.Fields != nil && !portal {
			st.Fields = in.Fields(sys)
		}
		if c := checks[in.Key]; c != nil {
			st.Check = *c
		}
		out = append(out, st)
	}
	return out, nil
}

// Find returns one integration as the scope of ctx sees it. ENOTFOUND.
func (h *Hub) Find(ctx context.Context, key string) (*IntegrationStatus, error) {
	all, err := h.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, st := range all {
		if st.Key == key {
			return st, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "Integration not found.")
}

// Test runs the integration's connection test for the scope of ctx,
// records its outcome and returns the integration with it. ENOTFOUND for
// an unknown integration (or one a client cannot configure); EINVALID
// when it has no test. A failed test is no error: it is the outcome,
// recorded and shown.
func (h *Hub) Test(ctx context.Context, key string) (*IntegrationStatus, error) {
	st, err := h.Find(ctx, key)
	if err != nil {
		return nil, err
	}
	if st.Integration.Test == nil {
		return nil, app.Errorf(app.EINVALID, "%s has no connection test.", st.Name)
	}
	tid, _ := scope(ctx)
	timeout := h.TestTimeout
	if timeout == 0 {
		timeout = DefaultTestTimeout
	}
	h.mu.Lock()
	sys, done := system(ctx)
	tctx, cancel := context.WithTimeout(sys, timeout)
	detail, terr := st.Integration.Test(tctx, tid)
	if terr == nil && tctx.Err() != nil {
		terr = tctx.Err()
	}
	cancel()
	done()
	h.mu.Unlock()
	if errors.Is(terr, context.DeadlineExceeded) {
		terr = errors.New("no answer within " + timeout.String())
	}
	at := h.now().UTC()
	ok := terr == nil
	if !ok {
		detail = oneLine(terr.Error())
	}
	if err := h.Checks.RecordCheck(ctx, key, ok, detail, at); err != nil {
		return nil, err
	}
	if h.Audit != nil {
		outcome := "ok"
		if !ok {
			outcome = "failed"
		}
		h.Audit.Record(ctx, "integration.test", "integration:"+key, outcome)
	}
	return h.Find(ctx, key)
}

// SaveSettings changes an integration's editable settings (Nexus or an
// admin key only; the change applies from the next request). values
// holds field names; one the integration does not have is EINVALID.
func (h *Hub) SaveSettings(ctx context.Context, key string, values map[string]string) (*IntegrationStatus, error) {
	if _, portal := scope(ctx); portal {
		return nil, app.Errorf(app.EFORBIDDEN, "Only the agency's admins change an integration's settings.")
	}
	st, err := h.Find(ctx, key)
	if err != nil {
		return nil, err
	}
	if st.Integration.Save == nil {
		return nil, app.Errorf(app.EINVALID, "%s has no settings to change here: they are the server's flags.", st.Name)
	}
	known := map[string]bool{}
	for _, f := range st.Fields {
		known[f.Name] = true
	}
	for name := range values {
		if !known[name] {
			return nil, app.FieldErrorf(name, "%s has no setting %q.", st.Name, name)
		}
	}
	if err := st.Integration.Save(ctx, values); err != nil {
		return nil, err
	}
	return h.Find(ctx, key)
}

// oneLine shortens an error for the page: one line, at most 300 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}
