package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"orengen/app"
	"orengen/app/calendar"
)

var _ calendar.NoticeStore = (*CalendarStore)(nil)

// queueNotices replaces a booking's pending reminders with the notices of
// its change (calendar.NoticesFor), in the change's transaction.
func queueNotices(ctx context.Context, tx *Tx, kind string, b *calendar.Booking) error {
	if _, err := tx.ExecContext(ctx, `UPDATE calendar_notices SET status = 'dropped' WHERE booking_id = ? AND kind = ? AND status IN ('pending', 'sending')`,
		b.ID, calendar.NoticeReminder); err != nil {
		return err
	}
	// The tenant's "starts in N minutes" workflows get their own reminders.
	extra, err := startsSoonMinutes(ctx, tx, b.TenantID)
	if err != nil {
		return err
	}
	for _, n := range calendar.NoticesFor(kind, b, tx.now, extra...) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_notices (tenant_id, booking_id, kind, minutes, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			b.TenantID, b.ID, n.Kind, n.Minutes, FormatTime(n.DueAt), FormatTime(tx.now)); err != nil {
			return fmt.Errorf("queue notice: %w", err)
		}
	}
	// The hosts' CalDAV targets get the change at the syncer's next tick.
	if _, err := tx.ExecContext(ctx, `UPDATE calendar_sources SET next_sync_at = ? WHERE tenant_id = ? AND kind = 'caldav' AND next_sync_at > ?
		AND calendar_id IN (SELECT calendar_id FROM calendar_booking_hosts WHERE booking_id = ?)`,
		FormatTime(tx.now), b.TenantID, FormatTime(tx.now), b.ID); err != nil {
		return fmt.Errorf("mark sources due: %w", err)
	}
	return nil
}

// startsSoonMinutes returns the minutes of the tenant's enabled "starts in
// N minutes" workflows that name their N.
func startsSoonMinutes(ctx context.Context, tx *Tx, tenantID int64) ([]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT CAST(json_extract(v.definition, '$.when.minutes') AS INTEGER)
		FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version
		WHERE w.tenant_id = ? AND w.trigger = ? AND w.enabled = 1 AND coalesce(json_extract(v.definition, '$.when.minutes'), 0) > 0`,
		tenantID, app.TriggerAppointmentStartsSoon)
	if err != nil {
		return nil, fmt.Errorf("starts-soon workflows: %w", err)
	}
	return scanAll(rows, func(r scanner) (int, error) {
		var m int
		return m, r.Scan(&m)
	})
}

// syncStartsSoon makes the pending reminders of the tenant's upcoming
// confirmed bookings match its enabled "starts in N minutes" workflows,
// in the transaction that saved, enabled or disabled one of them: a new
// N gets its reminders for the bookings made before the workflow (those
// still ahead), and the pending reminders of an N no workflow asks for
// any more are dropped.
func syncStartsSoon(ctx context.Context, tx *Tx, tenantID int64) error {
	extra, err := startsSoonMinutes(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	type key struct {
		booking int64
		minutes int
	}
	type pending struct {
		id int64
		key
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, booking_id, minutes FROM calendar_notices WHERE tenant_id = ? AND kind = ? AND status IN ('pending', 'sending')`,
		tenantID, calendar.NoticeReminder)
	if err != nil {
		return fmt.Errorf("pending reminders: %w", err)
	}
	ps, err := scanAll(rows, func(r scanner) (pending, error) {
		var p pending
		return p, r.Scan(&p.id, &p.booking, &p.minutes)
	})
	if err != nil {
		return err
	}
	have := make(map[key]bool, len(ps))
	for _, p := range ps {
		if slices.Contains(calendar.Reminders, p.minutes) || slices.Contains(extra, p.minutes) {
			have[p.key] = true
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE calendar_notices SET status = 'dropped' WHERE id = ? AND status = 'pending'`, p.id); err != nil {
			return fmt.Errorf("drop reminder: %w", err)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	rows, err = tx.QueryContext(ctx, `SELECT id, start_at FROM calendar_bookings WHERE tenant_id = ? AND status = ? AND start_at > ?`,
		tenantID, calendar.StatusConfirmed, FormatTime(tx.now))
	if err != nil {
		return fmt.Errorf("upcoming bookings: %w", err)
	}
	bs, err := scanAll(rows, func(r scanner) (*calendar.Booking, error) {
		b := &calendar.Booking{Status: calendar.StatusConfirmed}
		return b, r.Scan(&b.ID, Time{&b.Start})
	})
	if err != nil {
		return err
	}
	for _, b := range bs {
		for _, n := range calendar.RemindersFor(b, tx.now, extra...) {
			if have[key{b.ID, n.Minutes}] || slices.Contains(calendar.Reminders, n.Minutes) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_notices (tenant_id, booking_id, kind, minutes, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				tenantID, b.ID, n.Kind, n.Minutes, FormatTime(n.DueAt), FormatTime(tx.now)); err != nil {
				return fmt.Errorf("queue reminder: %w", err)
			}
		}
	}
	return nil
}

// ClaimNotices implements calendar.NoticeStore.
func (s *CalendarStore) ClaimNotices(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*calendar.Notice, error) {
	var out []*calendar.Notice
	err := s.db.Update(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, tenant_id, booking_id, kind, minutes, due_at, attempts FROM calendar_notices
			WHERE status IN ('pending', 'sending') AND due_at <= ? ORDER BY due_at, id LIMIT ?`, FormatTime(now), limit)
		if err != nil {
			return err
		}
		ns, err := scanAll(rows, func(r scanner) (*calendar.Notice, error) {
			var n calendar.Notice
			err := r.Scan(&n.ID, &n.TenantID, &n.BookingID, &n.Kind, &n.Minutes, Time{&n.DueAt}, &n.Attempts)
			return &n, err
		})
		if err != nil {
			return err
		}
		for _, n := range ns {
			// A claim moves due_at past the lease: a worker that dies
			// mid-send leaves it to be claimed again then.
			if _, err := tx.ExecContext(ctx, `UPDATE calendar_notices SET status = 'sending', due_at = ? WHERE id = ?`,
				FormatTime(now.Add(lease)), n.ID); err != nil {
				return err
			}
		}
		out = ns
		return nil
	})
	return out, err
}

// FinishNotice implements calendar.NoticeStore.
func (s *CalendarStore) FinishNotice(ctx context.Context, id int64, errText string, retryAt *time.Time) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var err error
		switch {
		case errText == "":
			_, err = tx.ExecContext(ctx, `UPDATE calendar_notices SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, FormatTime(tx.now), id)
		case retryAt != nil:
			_, err = tx.ExecContext(ctx, `UPDATE calendar_notices SET status = 'pending', due_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?`,
				FormatTime(*retryAt), errText, id)
		default:
			_, err = tx.ExecContext(ctx, `UPDATE calendar_notices SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`, errText, id)
		}
		return err
	})
}
