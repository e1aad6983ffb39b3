package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"orengen/app"
	"orengen/app/calendar"
)

var _ calendar.SyncStore = (*CalendarStore)(nil)

const sourceCols = `id, tenant_id, calendar_id, kind, url, username, remotes, last_sync_at, last_ok_at, last_error, next_sync_at, created_at, updated_at`

func scanSource(r scanner) (*calendar.Source, error) {
	var s calendar.Source
	var remotes string
	var last, ok NullTime
	if err := r.Scan(&s.ID, &s.TenantID, &s.CalendarID, &s.Kind, &s.URL, &s.Username, &remotes, &last, &ok,
		&s.LastError, Time{&s.NextSyncAt}, Time{&s.CreatedAt}, Time{&s.UpdatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Calendar connection not found.")
		}
		return nil, err
	}
	s.LastSyncAt, s.LastOKAt = last.T, ok.T
	if err := json.Unmarshal([]byte(remotes), &s.Remotes); err != nil {
		return nil, fmt.Errorf("source %d remotes: %w", s.ID, err)
	}
	return &s, nil
}

func remotesJSON(rs []calendar.Remote) string {
	if rs == nil {
		rs = []calendar.Remote{}
	}
	b, _ := json.Marshal(rs)
	return string(b)
}

// CreateSource implements calendar.SyncStore. Returns ENOTFOUND when the
// calendar is not the tenant's.
func (s *CalendarStore) CreateSource(ctx context.Context, src *calendar.Source) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM calendars WHERE id = ? AND tenant_id = ?`, src.CalendarID, tid).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return app.Errorf(app.ENOTFOUND, "Calendar not found.")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO calendar_sources (tenant_id, calendar_id, kind, url, username, remotes, next_sync_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, src.CalendarID, src.Kind, src.URL, src.Username, remotesJSON(src.Remotes),
			FormatTime(src.NextSyncAt), FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("create source: %w", err)
		}
		src.ID, _ = res.LastInsertId()
		src.TenantID, src.CreatedAt, src.UpdatedAt = tid, tx.now, tx.now
		return nil
	})
}

// UpdateSource implements calendar.SyncStore.
func (s *CalendarStore) UpdateSource(ctx context.Context, src *calendar.Source) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE calendar_sources SET remotes = ?, next_sync_at = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
			remotesJSON(src.Remotes), FormatTime(src.NextSyncAt), FormatTime(tx.now), src.ID, tid)
		if err != nil {
			return fmt.Errorf("update source: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Calendar connection not found.")
		}
		for _, r := range src.Remotes {
			if !r.Busy {
				if err := dropRemoteBusy(ctx, tx, src.ID, r.Path); err != nil {
					return err
				}
			}
		}
		src.UpdatedAt = tx.now
		return nil
	})
}

// dropRemoteBusy deletes the busy times read from the remote calendar at
// path (its resources' hrefs start with it).
func dropRemoteBusy(ctx context.Context, tx *Tx, sourceID int64, path string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM calendar_busy WHERE source_id = ? AND substr(href, 1, length(?)) = ?`, sourceID, path, path)
	return err
}

// DeleteSource implements calendar.SyncStore.
func (s *CalendarStore) DeleteSource(ctx context.Context, id int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calendar_sources WHERE id = ? AND tenant_id = ?`, id, tid)
		if err != nil {
			return fmt.Errorf("delete source: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Calendar connection not found.")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM calendar_busy WHERE source_id = ? AND tenant_id = ?`, id, tid)
		return err
	})
}

// FindSource implements calendar.SyncStore.
func (s *CalendarStore) FindSource(ctx context.Context, id int64) (*calendar.Source, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanSource(s.db.read.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM calendar_sources WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindSources implements calendar.SyncStore.
func (s *CalendarStore) FindSources(ctx context.Context, calendarID int64) ([]*calendar.Source, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+sourceCols+` FROM calendar_sources WHERE tenant_id = ? AND (? = 0 OR calendar_id = ?) ORDER BY calendar_id, id`,
		tid, calendarID, calendarID)
	if err != nil {
		return nil, fmt.Errorf("find sources: %w", err)
	}
	return scanAll(rows, scanSource)
}

// DueSources implements calendar.SyncStore (across tenants: the worker's).
func (s *CalendarStore) DueSources(ctx context.Context, now time.Time, limit int) ([]*calendar.Source, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+sourceCols+` FROM calendar_sources s
		WHERE next_sync_at <= ? AND EXISTS (SELECT 1 FROM tenants t WHERE t.id = s.tenant_id AND t.status <> ?) ORDER BY next_sync_at LIMIT ?`,
		FormatTime(now), app.TenantSuspended, limit)
	if err != nil {
		return nil, fmt.Errorf("due sources: %w", err)
	}
	return scanAll(rows, scanSource)
}

// insertBusy writes one outside event's busy time, split into pieces of
// at most MaxBusySpan (the overlap queries look back that far), unless
// its UID is one of the tenant's bookings: a booking read back from the
// CalDAV target is the booking itself, not something else taking time.
func insertBusy(ctx context.Context, tx *Tx, tid, calID, sourceID int64, href string, e calendar.BusyEvent) error {
	var own int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM calendar_bookings WHERE uid = ? AND tenant_id = ?`, e.UID, tid).Scan(&own); err != nil {
		return err
	}
	if own > 0 || !e.Start.Before(e.End) {
		return nil
	}
	summary := e.Summary
	if len(summary) > 300 {
		summary = summary[:300]
	}
	for s := e.Start; s.Before(e.End); s = s.Add(MaxBusySpan) {
		end := s.Add(MaxBusySpan)
		if e.End.Before(end) {
			end = e.End
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_busy (tenant_id, calendar_id, source_id, uid, href, summary, start_at, end_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			tid, calID, sourceID, e.UID, href, summary, FormatTime(s), FormatTime(end)); err != nil {
			return fmt.Errorf("insert busy: %w", err)
		}
	}
	return nil
}

// sourceTx loads the tenant's source inside tx.
func sourceTx(ctx context.Context, tx *Tx, tid, id int64) (*calendar.Source, error) {
	return scanSource(tx.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM calendar_sources WHERE id = ? AND tenant_id = ?`, id, tid))
}

// ApplyDelta implements calendar.SyncStore.
func (s *CalendarStore) ApplyDelta(ctx context.Context, sourceID int64, path string, d *calendar.Delta, fullAt time.Time) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		src, err := sourceTx(ctx, tx, tid, sourceID)
		if err != nil {
			return err
		}
		deleted := slices.Clone(d.Deleted)
		if d.Full {
			if err := dropRemoteBusy(ctx, tx, sourceID, path); err != nil {
				return err
			}
			// A full read lists every event: a booking's event missing
			// from it was deleted on the server.
			read := make(map[string]bool, len(d.Changed))
			for _, o := range d.Changed {
				read[o.Href] = true
			}
			rows, err := tx.QueryContext(ctx, `SELECT href FROM calendar_exports WHERE source_id = ? AND remote = ? AND etag <> ''`, sourceID, path)
			if err != nil {
				return err
			}
			hrefs, err := scanAll(rows, func(r scanner) (string, error) {
				var h string
				return h, r.Scan(&h)
			})
			if err != nil {
				return err
			}
			for _, h := range hrefs {
				if !read[h] {
					deleted = append(deleted, h)
				}
			}
		}
		for _, h := range deleted {
			if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_busy WHERE source_id = ? AND href = ?`, sourceID, h); err != nil {
				return err
			}
			// A booking's event deleted on the server: created again.
			if _, err := tx.ExecContext(ctx, `UPDATE calendar_exports SET etag = '', sequence = -1 WHERE source_id = ? AND href = ?`, sourceID, h); err != nil {
				return err
			}
		}
		for _, o := range d.Changed {
			if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_busy WHERE source_id = ? AND href = ?`, sourceID, o.Href); err != nil {
				return err
			}
			// A booking's event changed on the server: written back.
			if _, err := tx.ExecContext(ctx, `UPDATE calendar_exports SET sequence = -1 WHERE source_id = ? AND href = ? AND etag <> '' AND etag <> ?`,
				sourceID, o.Href, o.ETag); err != nil {
				return err
			}
			for _, e := range o.Events {
				if err := insertBusy(ctx, tx, tid, src.CalendarID, sourceID, o.Href, e); err != nil {
					return err
				}
			}
		}
		for i := range src.Remotes {
			if src.Remotes[i].Path == path {
				src.Remotes[i].SyncToken, src.Remotes[i].FullAt = d.Token, fullAt
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE calendar_sources SET remotes = ? WHERE id = ?`, remotesJSON(src.Remotes), sourceID)
		return err
	})
}

// ReplaceFeed implements calendar.SyncStore.
func (s *CalendarStore) ReplaceFeed(ctx context.Context, sourceID int64, events []calendar.BusyEvent) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		src, err := sourceTx(ctx, tx, tid, sourceID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_busy WHERE source_id = ?`, sourceID); err != nil {
			return err
		}
		for _, e := range events {
			if err := insertBusy(ctx, tx, tid, src.CalendarID, sourceID, "", e); err != nil {
				return err
			}
		}
		return nil
	})
}

// FinishSync implements calendar.SyncStore.
func (s *CalendarStore) FinishSync(ctx context.Context, id int64, at time.Time, errText string, next time.Time) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		ok := sql.NullString{}
		if errText == "" {
			ok = sql.NullString{String: FormatTime(at), Valid: true}
		}
		_, err := tx.ExecContext(ctx, `UPDATE calendar_sources SET last_sync_at = ?, last_ok_at = coalesce(?, last_ok_at), last_error = ?,
			next_sync_at = CASE WHEN next_sync_at > ? THEN ? ELSE next_sync_at END WHERE id = ? AND tenant_id = ?`,
			FormatTime(at), ok, errText, FormatTime(at), FormatTime(next), id, tid)
		return err
	})
}

const exportCols = `source_id, booking_id, remote, href, etag, sequence`

func scanExport(r scanner) (calendar.Export, error) {
	var e calendar.Export
	err := r.Scan(&e.SourceID, &e.BookingID, &e.Remote, &e.Href, &e.ETag, &e.Sequence)
	return e, err
}

// PendingExports implements calendar.SyncStore.
func (s *CalendarStore) PendingExports(ctx context.Context, src *calendar.Source, target string, since time.Time) ([]calendar.PendingPut, []calendar.Export, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	var put []calendar.PendingPut
	if target != "" {
		rows, err := s.db.read.QueryContext(ctx, `SELECT `+bookingCols+` FROM calendar_bookings WHERE tenant_id = ? AND status IN ('confirmed', 'pending') AND end_at > ?
			AND id IN (SELECT booking_id FROM calendar_booking_hosts WHERE calendar_id = ?)
			AND NOT EXISTS (SELECT 1 FROM calendar_exports x WHERE x.source_id = ? AND x.booking_id = calendar_bookings.id
				AND x.sequence = calendar_bookings.sequence AND x.remote = ?)
			ORDER BY start_at LIMIT 200`, tid, FormatTime(since), src.CalendarID, src.ID, target)
		if err != nil {
			return nil, nil, fmt.Errorf("pending exports: %w", err)
		}
		bs, err := scanAll(rows, scanBooking)
		if err != nil {
			return nil, nil, err
		}
		for _, b := range bs {
			p := calendar.PendingPut{Booking: b}
			e, err := scanExport(s.db.read.QueryRowContext(ctx, `SELECT `+exportCols+` FROM calendar_exports WHERE source_id = ? AND booking_id = ?`, src.ID, b.ID))
			switch {
			case err == nil:
				p.Prev = &e
			case !errors.Is(err, sql.ErrNoRows):
				return nil, nil, fmt.Errorf("pending export: %w", err)
			}
			put = append(put, p)
		}
	}
	// To delete: cancelled bookings, bookings moved to other hosts and,
	// with no target, the bookings still ahead.
	rows, err := s.db.read.QueryContext(ctx, `SELECT x.source_id, x.booking_id, x.remote, x.href, x.etag, x.sequence FROM calendar_exports x
		JOIN calendar_bookings b ON b.id = x.booking_id WHERE x.source_id = ? AND x.tenant_id = ?
		AND (b.status = 'cancelled' OR NOT EXISTS (SELECT 1 FROM calendar_booking_hosts h WHERE h.booking_id = b.id AND h.calendar_id = ?)
			OR (? = '' AND b.end_at > ?))
		LIMIT 200`, src.ID, tid, src.CalendarID, target, FormatTime(since))
	if err != nil {
		return nil, nil, fmt.Errorf("exports to delete: %w", err)
	}
	drop, err := scanAll(rows, scanExport)
	return put, drop, err
}

// SaveExport implements calendar.SyncStore.
func (s *CalendarStore) SaveExport(ctx context.Context, e calendar.Export) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO calendar_exports (source_id, booking_id, tenant_id, remote, href, etag, sequence) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source_id, booking_id) DO UPDATE SET remote = excluded.remote, href = excluded.href, etag = excluded.etag, sequence = excluded.sequence`,
			e.SourceID, e.BookingID, tid, e.Remote, e.Href, e.ETag, e.Sequence)
		return err
	})
}

// DropExport implements calendar.SyncStore.
func (s *CalendarStore) DropExport(ctx context.Context, sourceID, bookingID int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM calendar_exports WHERE source_id = ? AND booking_id = ? AND tenant_id = ?`, sourceID, bookingID, tid)
		return err
	})
}

// unreadable returns why a calendar's outside calendars could not be read
// at their last sync ("" when they could).
func (s *CalendarStore) unreadable(ctx context.Context, calID int64) (string, error) {
	var msg string
	err := s.db.read.QueryRowContext(ctx, `SELECT last_error FROM calendar_sources WHERE calendar_id = ? AND last_error <> '' ORDER BY id LIMIT 1`, calID).Scan(&msg)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return msg, err
}
