package app

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Actor kinds in the audit log.
const (
	ActorAdmin     = "admin"
	ActorUser      = "user"
	ActorAPIKey    = "apikey"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// DefaultAuditRetention is how long audit entries are kept.
const DefaultAuditRetention = 365 * 24 * time.Hour

// AuditEntry records who did what, when and from where.
type AuditEntry struct {
	ID        int64
	At        time.Time
	ActorKind string
	ActorID   int64
	Actor     string // email or key prefix, as it was at the time
	TenantID  int64  // 0: not about one tenant
	Action    string // "login", "login.failed", "apikey.create", ...
	Target    string
	Detail    string // never a secret
	IP        string
	UserAgent string
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	Action   string // prefix match: "login" matches login and login.failed
	Actor    string // substring of the actor
	TenantID *int64
	Since    *time.Time
	Until    *time.Time
	Limit    int
	Offset   int
}

// AuditStore persists the audit log.
type AuditStore interface {
	CreateAuditEntry(ctx context.Context, e *AuditEntry) error
	// FindAuditEntries returns matching entries newest first, and the
	// number that match.
	FindAuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error)
	// PruneAudit deletes entries older than before and returns how many.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// AuditService records security events and admin actions. A nil
// *AuditService records nothing, so services work without one in tests.
type AuditService struct {
	store     AuditStore
	Retention time.Duration // DefaultAuditRetention when zero
	Logger    *slog.Logger
	Now       func() time.Time

	mu        sync.Mutex
	lastPrune time.Time
}

// NewAuditService returns the service of the audit log on its store; the
// wiring sets the other fields. The store stays private: callers go
// through the service.
func NewAuditService(st AuditStore) *AuditService { return &AuditService{store: st} }

// Record writes an entry for the principal in ctx (admin, tenant user or
// API key) with the request's IP and user agent. An audit failure is
// logged, not returned: it must not undo the action it describes.
func (s *AuditService) Record(ctx context.Context, action, target, detail string) {
	if s == nil || s.store == nil {
		return
	}
	e := &AuditEntry{Action: action, Target: target, Detail: detail, ActorKind: ActorAnonymous}
	FillActor(ctx, e)
	s.write(ctx, e)
}

// RecordAs writes an entry with an explicit actor (for failed logins,
// where nobody is signed in yet).
func (s *AuditService) RecordAs(ctx context.Context, e *AuditEntry) {
	if s == nil || s.store == nil {
		return
	}
	r := RequestFromContext(ctx)
	if e.IP == "" {
		e.IP = r.IP
	}
	if e.UserAgent == "" {
		e.UserAgent = r.UserAgent
	}
	s.write(ctx, e)
}

// FillActor sets the actor fields of e from the principal in ctx.
func FillActor(ctx context.Context, e *AuditEntry) {
	r := RequestFromContext(ctx)
	e.IP, e.UserAgent = r.IP, r.UserAgent
	if t := TenantFromContext(ctx); t != nil && e.TenantID == 0 {
		e.TenantID = t.ID
	}
	switch {
	case UserFromContext(ctx) != nil:
		u := UserFromContext(ctx)
		e.ActorKind, e.ActorID, e.Actor = ActorUser, u.ID, u.Email
	case APIKeyFromContext(ctx) != nil:
		k := APIKeyFromContext(ctx)
		e.ActorKind, e.ActorID, e.Actor = ActorAPIKey, k.ID, k.Prefix
	case AdminFromContext(ctx) != nil:
		a := AdminFromContext(ctx)
		e.ActorKind, e.ActorID, e.Actor = ActorAdmin, a.ID, a.Email
	case r.IP == "":
		e.ActorKind = ActorSystem
	}
}

func (s *AuditService) write(ctx context.Context, e *AuditEntry) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	e.At = now.UTC()
	if len(e.UserAgent) > 300 {
		e.UserAgent = e.UserAgent[:300]
	}
	// Audit the action even if the request's context is cancelled.
	wctx := context.WithoutCancel(ctx)
	if err := s.store.CreateAuditEntry(wctx, e); err != nil {
		s.log().Error("audit write failed", "action", e.Action, "err", err)
		return
	}
	s.pruneMaybe(wctx, now)
}

// pruneMaybe deletes expired entries at most once an hour (prune on write).
func (s *AuditService) pruneMaybe(ctx context.Context, now time.Time) {
	s.mu.Lock()
	due := now.Sub(s.lastPrune) > time.Hour
	if due {
		s.lastPrune = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	keep := s.Retention
	if keep <= 0 {
		keep = DefaultAuditRetention
	}
	if n, err := s.store.PruneAudit(ctx, now.Add(-keep)); err != nil {
		s.log().Error("audit prune failed", "err", err)
	} else if n > 0 {
		s.log().Info("audit log pruned", "deleted", n)
	}
}

// Find lists audit entries (Nexus only). Returns EFORBIDDEN for anyone
// but an admin.
func (s *AuditService) Find(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error) {
	if AdminFromContext(ctx) == nil {
		return nil, 0, Errorf(EFORBIDDEN, "Only Nexus admins can read the audit log.")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return s.store.FindAuditEntries(ctx, f)
}

func (s *AuditService) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
