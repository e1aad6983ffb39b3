package billing

import (
	"context"
	"fmt"
	"time"
)

// SourceMeter is the daily meter's source of usage events (storage,
// active contacts).
const SourceMeter = "meter"

// BytesPerMB is a megabyte of storage (decimal, as disks are sold).
const BytesPerMB = 1_000_000

// MeterStore measures what the daily meter records.
type MeterStore interface {
	// UnmeteredTenants returns the client tenants whose day is not
	// metered yet.
	UnmeteredTenants(ctx context.Context, day string) ([]int64, error)
	// StorageBytes sums the bytes of every file the tenant keeps.
	StorageBytes(ctx context.Context, tenantID int64) (int64, error)
	// MarkActiveContacts marks the tenant's CRM people active on day
	// once per calendar month and returns how many have day as their
	// first active day of the month (the same on every call for a day).
	MarkActiveContacts(ctx context.Context, tenantID int64, day string) (int64, error)
}

// MeterDay records each client tenant's storage and active contacts of
// the UTC day of d, once: the events' source ids are
// "storage:TENANT:DAY" and "contacts:TENANT:DAY", so a second run (a
// restart, the next tick) counts nothing twice. Storage is the tenant's
// files at the time of the run, in MB rounded up, so a period's storage
// is in MB-days; active contacts are the people whose first activity
// this calendar month was that day, so a month's events add up to its
// distinct active contacts. Both are priced like every other category
// (price table, plan). It returns how many tenants it metered.
func (s *Service) MeterDay(ctx context.Context, d time.Time) (int, error) {
	ms := s.store
	d = d.UTC()
	dayStr := day(d)
	at := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, time.UTC) // the event's day is d
	ids, err := ms.UnmeteredTenants(ctx, dayStr)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		b, err := ms.StorageBytes(ctx, id)
		if err != nil {
			return n, err
		}
		if _, err := s.Record(ctx, &Event{TenantID: id, Category: Storage, Source: SourceMeter, SourceID: fmt.Sprintf("storage:%d:%s", id, dayStr),
			Detail: fmt.Sprintf("%d bytes", b), Quantity: (b + BytesPerMB - 1) / BytesPerMB, CreatedAt: at}); err != nil {
			return n, fmt.Errorf("meter storage of tenant %d: %w", id, err)
		}
		c, err := ms.MarkActiveContacts(ctx, id, dayStr)
		if err != nil {
			return n, err
		}
		if _, err := s.Record(ctx, &Event{TenantID: id, Category: Contacts, Source: SourceMeter, SourceID: fmt.Sprintf("contacts:%d:%s", id, dayStr),
			Quantity: c, CreatedAt: at}); err != nil {
			return n, fmt.Errorf("meter contacts of tenant %d: %w", id, err)
		}
		n++
	}
	return n, nil
}
