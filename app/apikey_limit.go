package app

import (
	"context"
	"sync"
	"time"
)

// DefaultAPIRateLimit is the requests a key may make a minute when
// neither the key nor --api-rate-limit says otherwise.
const DefaultAPIRateLimit = 600

// MaxAPIRateLimit bounds a key's rate limit.
const MaxAPIRateLimit = 1_000_000

// RateDecision is the answer to one request of a key: whether it may go,
// and what the RateLimit-* headers say (IETF draft
// draft-ietf-httpapi-ratelimit-headers: limit, remaining, seconds to the
// window's reset).
type RateDecision struct {
	OK        bool
	Limit     int
	Remaining int
	Reset     time.Duration
}

// KeyUsage is one key's requests on one UTC day (limited: refused with
// 429).
type KeyUsage struct {
	KeyID    int64
	Day      string // 2006-01-02
	Requests int64
	Limited  int64
}

// KeyLimiter counts each key's requests in fixed one-minute windows, in
// memory (one process serves every request; a restart starts the windows
// afresh), and keeps the day's counts until FlushUsage writes them.
type KeyLimiter struct {
	// Default is the limit of keys without their own (0:
	// DefaultAPIRateLimit).
	Default int
	Now     func() time.Time

	mu      sync.Mutex
	windows map[int64]*keyWindow
	pending map[usageKey]*KeyUsage
}

type keyWindow struct {
	start time.Time
	n     int
}

type usageKey struct {
	key int64
	day string
}

func (l *KeyLimiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// LimitOf is a key's requests a minute.
func (l *KeyLimiter) LimitOf(k *APIKey) int {
	if k.RateLimit > 0 {
		return k.RateLimit
	}
	if l.Default > 0 {
		return l.Default
	}
	return DefaultAPIRateLimit
}

// Take counts one request of k and says whether it may go.
func (l *KeyLimiter) Take(k *APIKey) RateDecision {
	now := l.now()
	start := now.Truncate(time.Minute)
	limit := l.LimitOf(k)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows, l.pending = map[int64]*keyWindow{}, map[usageKey]*KeyUsage{}
	}
	w := l.windows[k.ID]
	if w == nil || !w.start.Equal(start) {
		w = &keyWindow{start: start}
		l.windows[k.ID] = w
	}
	d := RateDecision{Limit: limit, Reset: start.Add(time.Minute).Sub(now)}
	uk := usageKey{k.ID, now.UTC().Format("2006-01-02")}
	u := l.pending[uk]
	if u == nil {
		u = &KeyUsage{KeyID: k.ID, Day: uk.day}
		l.pending[uk] = u
	}
	if w.n >= limit {
		u.Limited++
		return d
	}
	w.n++
	u.Requests++
	d.OK, d.Remaining = true, limit-w.n
	return d
}

// Pending returns the counts not yet written and forgets them.
func (l *KeyLimiter) Pending() []KeyUsage {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]KeyUsage, 0, len(l.pending))
	for k, u := range l.pending {
		out = append(out, *u)
		delete(l.pending, k)
	}
	// Windows of keys idle for a minute go too.
	cut := l.now().Truncate(time.Minute)
	for id, w := range l.windows {
		if w.start.Before(cut) {
			delete(l.windows, id)
		}
	}
	return out
}

// Unflushed returns the counts not yet written without forgetting them.
func (l *KeyLimiter) Unflushed() []KeyUsage {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]KeyUsage, 0, len(l.pending))
	for _, u := range l.pending {
		out = append(out, *u)
	}
	return out
}

// putBack returns counts a failed write did not store.
func (l *KeyLimiter) putBack(us []KeyUsage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil {
		l.windows, l.pending = map[int64]*keyWindow{}, map[usageKey]*KeyUsage{}
	}
	for _, u := range us {
		k := usageKey{u.KeyID, u.Day}
		p := l.pending[k]
		if p == nil {
			p = &KeyUsage{KeyID: u.KeyID, Day: u.Day}
			l.pending[k] = p
		}
		p.Requests += u.Requests
		p.Limited += u.Limited
	}
}

// DefaultUsageFlush is how often counted requests are written.
const DefaultUsageFlush = 10 * time.Second

// Allow counts one request of k against its rate limit.
func (s *APIKeyService) Allow(k *APIKey) RateDecision {
	return s.limiter().Take(k)
}

func (s *APIKeyService) limiter() *KeyLimiter {
	s.limiterOnce.Do(func() {
		if s.Limiter == nil {
			s.Limiter = &KeyLimiter{Now: s.Now}
		}
	})
	return s.Limiter
}

// FlushUsage writes the counted requests. On failure they stay counted
// for the next flush.
func (s *APIKeyService) FlushUsage(ctx context.Context) error {
	us := s.limiter().Pending()
	if len(us) == 0 {
		return nil
	}
	if err := s.store.AddAPIKeyUsage(ctx, us); err != nil {
		s.limiter().putBack(us)
		return err
	}
	return nil
}

// RunUsageFlusher writes counted requests every interval until ctx is
// done, then once more.
func (s *APIKeyService) RunUsageFlusher(ctx context.Context, every time.Duration, logf func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.FlushUsage(context.WithoutCancel(ctx)); err != nil && logf != nil {
				logf(err)
			}
			return
		case <-t.C:
			if err := s.FlushUsage(ctx); err != nil && logf != nil {
				logf(err)
			}
		}
	}
}

// withUsage adds the counts not yet written to listed keys.
func (s *APIKeyService) withUsage(ks []*APIKey) []*APIKey {
	today := s.now().UTC().Format("2006-01-02")
	byID := map[int64]*APIKey{}
	for _, k := range ks {
		byID[k.ID] = k
	}
	for _, u := range s.limiter().Unflushed() {
		if k := byID[u.KeyID]; k != nil {
			k.Requests30d += u.Requests
			k.Limited30d += u.Limited
			if u.Day == today {
				k.RequestsToday += u.Requests
			}
		}
	}
	return ks
}

// SetTenantKeyLimit sets a key's rate limit (requests a minute; 0: the
// default) for the tenant in ctx. Returns EINVALID naming rate_limit,
// EFORBIDDEN for a member, ENOTFOUND for another tenant's key.
func (s *APIKeyService) SetTenantKeyLimit(ctx context.Context, id int64, perMinute int) error {
	if u := UserFromContext(ctx); u != nil && u.Role != UserRoleOwner {
		return Errorf(EFORBIDDEN, "Only the account owner can change API keys.")
	}
	tid, err := TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	if err := validLimit(perMinute); err != nil {
		return err
	}
	if err := s.store.SetAPIKeyRateLimit(ctx, id, tid, perMinute); err != nil {
		return err
	}
	s.Audit.Record(ctx, "apikey.rate_limit", "apikey:"+itoa64(id), itoa64(int64(perMinute))+"/min")
	return nil
}

// SetAdminKeyLimit sets an admin key's rate limit. Returns EFORBIDDEN
// for non-owners, EINVALID, ENOTFOUND.
func (s *APIKeyService) SetAdminKeyLimit(ctx context.Context, id int64, perMinute int) error {
	if a := AdminFromContext(ctx); a == nil || a.Role != RoleOwner {
		return Errorf(EFORBIDDEN, "Only Nexus owners can change admin API keys.")
	}
	if err := validLimit(perMinute); err != nil {
		return err
	}
	if err := s.store.SetAPIKeyRateLimit(ctx, id, 0, perMinute); err != nil {
		return err
	}
	s.Audit.Record(ctx, "apikey.rate_limit_admin", "apikey:"+itoa64(id), itoa64(int64(perMinute))+"/min")
	return nil
}

func validLimit(n int) error {
	if n < 0 || n > MaxAPIRateLimit {
		return FieldErrorf("rate_limit", "The rate limit is 1 to %d requests a minute (0 for the default).", MaxAPIRateLimit)
	}
	return nil
}
