package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nalgeon/redka"

	"orengen/app/federal"
)

// SAMQuota implements federal.QuotaCounter on redka: one string counter per
// key type and UTC day (federal.QuotaKey), expiring at the next 00:00 UTC,
// so a restart keeps the day's count and old days disappear by themselves.
type SAMQuota struct{ kv *KV }

var _ federal.QuotaCounter = (*SAMQuota)(nil)

// NewSAMQuota returns a SAMQuota on kv.
func NewSAMQuota(kv *KV) *SAMQuota { return &SAMQuota{kv: kv} }

func quotaExpiry(day string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return time.Time{}, fmt.Errorf("quota day %q: %w", day, err)
	}
	return federal.QuotaResetAt(d), nil
}

// Take counts one request for keyType on day and returns the new count.
func (q *SAMQuota) Take(ctx context.Context, keyType, day string) (int, error) {
	exp, err := quotaExpiry(day)
	if err != nil {
		return 0, err
	}
	key := federal.QuotaKey(keyType, day)
	var n int
	err = q.kv.rdb.UpdateContext(ctx, func(tx *redka.Tx) error {
		var err error
		if n, err = tx.Str().Incr(key, 1); err != nil {
			return err
		}
		return tx.Key().ExpireAt(key, exp)
	})
	if err != nil {
		return 0, fmt.Errorf("sam quota take: %w", err)
	}
	return n, nil
}

// SetUsed sets the count for keyType on day (SAM.gov said 429 before the
// local count reached the limit).
func (q *SAMQuota) SetUsed(ctx context.Context, keyType, day string, used int) error {
	exp, err := quotaExpiry(day)
	if err != nil {
		return err
	}
	key := federal.QuotaKey(keyType, day)
	if err := q.kv.rdb.Str().SetExpire(key, used, time.Until(exp)); err != nil {
		return fmt.Errorf("sam quota set: %w", err)
	}
	return nil
}

// Used returns the count for keyType on day (0 when none).
func (q *SAMQuota) Used(ctx context.Context, keyType, day string) (int, error) {
	v, err := q.kv.rdb.Str().Get(federal.QuotaKey(keyType, day))
	if errors.Is(err, redka.ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("sam quota used: %w", err)
	}
	n, err := strconv.Atoi(v.String())
	if err != nil {
		return 0, fmt.Errorf("sam quota counter %q: %w", keyType, err)
	}
	return n, nil
}

// Expiry returns when the counter for keyType on day expires (zero when
// there is none): tests and the Federal page use it.
func (q *SAMQuota) Expiry(ctx context.Context, keyType, day string) (time.Time, error) {
	k, err := q.kv.rdb.Key().Get(federal.QuotaKey(keyType, day))
	if errors.Is(err, redka.ErrNotFound) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, err
	}
	if k.ETime == nil {
		return time.Time{}, nil
	}
	return time.UnixMilli(*k.ETime).UTC(), nil
}
