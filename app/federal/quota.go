package federal

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// SAM.gov key types, named after the account table on the SAM.gov API pages
// (S4 in the notes). The daily limit depends on who owns the key.
const (
	KeyPersonal        = "personal"         // non-federal user without a SAM.gov role: 10/day
	KeyPersonalRole    = "personal-role"    // non-federal user with a role: 1,000/day
	KeyPersonalFederal = "personal-federal" // federal user: 1,000/day
	KeySystem          = "system"           // non-federal system account: 1,000/day
	KeySystemFederal   = "system-federal"   // federal system account: 10,000/day
)

// QuotaPolicy maps a key type to its daily request limit.
type QuotaPolicy map[string]int

// DefaultQuotaPolicy returns the documented default limits. Copy and edit it
// when SAM.gov grants a key a different limit.
func DefaultQuotaPolicy() QuotaPolicy {
	return QuotaPolicy{
		KeyPersonal:        10,
		KeyPersonalRole:    1000,
		KeyPersonalFederal: 1000,
		KeySystem:          1000,
		KeySystemFederal:   10000,
	}
}

// Limit returns the daily limit for keyType. Returns a *ValidationError
// (field "keyType") for a type the policy does not list.
func (p QuotaPolicy) Limit(keyType string) (int, error) {
	n, ok := p[keyType]
	if !ok {
		return 0, invalid("keyType", "unknown SAM.gov key type %q (known: personal, personal-role, personal-federal, system, system-federal)", keyType)
	}
	return n, nil
}

// QuotaCounter counts SAM.gov requests per key type and UTC day
// ("2006-01-02"). SAM.gov resets quotas at 00:00 UTC.
//
// Take atomically adds one request and returns the new count (it counts
// refused attempts too, so Used may exceed the limit). Used returns the count
// without changing it. SetUsed sets the count: the day is spent when
// SAM.gov answered 429 "quota exceeded" before the local count reached
// the limit, so later runs, even after a restart, send nothing.
//
// The production implementation is a redka string counter:
//
//	key:     "federal:sam:quota:<keyType>:<day>"   e.g. federal:sam:quota:personal:2026-11-24
//	Take:    INCR key, then EXPIREAT key <next 00:00 UTC> (set on every Take; idempotent)
//	Used:    GET key (missing = 0)
//	SetUsed: SET key with the same expiry
//
// so counts survive restarts and old days disappear by themselves.
type QuotaCounter interface {
	Take(ctx context.Context, keyType, day string) (used int, err error)
	Used(ctx context.Context, keyType, day string) (used int, err error)
	SetUsed(ctx context.Context, keyType, day string, used int) error
}

// QuotaKey returns the redka key QuotaCounter implementations use.
func QuotaKey(keyType, day string) string { return "federal:sam:quota:" + keyType + ":" + day }

// QuotaDay returns the quota day ("2006-01-02", UTC) for t.
func QuotaDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// QuotaResetAt returns the next 00:00 UTC after t: when SAM.gov resets daily
// quotas and when a redka counter for QuotaDay(t) should expire.
func QuotaResetAt(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
}

// MemoryQuota is an in-process QuotaCounter for tests and single-run tools.
// The zero value is ready to use; it is safe for concurrent use.
type MemoryQuota struct {
	mu     sync.Mutex
	counts map[string]int
}

var _ QuotaCounter = (*MemoryQuota)(nil)

// Take adds one request for keyType on day and returns the new count.
func (m *MemoryQuota) Take(ctx context.Context, keyType, day string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("quota take: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	k := QuotaKey(keyType, day)
	m.counts[k]++
	return m.counts[k], nil
}

// Used returns the count for keyType on day.
func (m *MemoryQuota) Used(ctx context.Context, keyType, day string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("quota used: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[QuotaKey(keyType, day)], nil
}

// SetUsed sets the count for keyType on day (SAM.gov said 429 before the
// local count reached the limit).
func (m *MemoryQuota) SetUsed(ctx context.Context, keyType, day string, used int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("quota set: %w", err)
	}
	m.Set(keyType, day, used)
	return nil
}

// Set sets the count for keyType on day (tests).
func (m *MemoryQuota) Set(keyType, day string, used int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[QuotaKey(keyType, day)] = used
}
