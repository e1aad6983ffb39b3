package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"orengen/app"
	"orengen/app/courses"
)

// Community events and RSVPs (#24). CourseStore implements
// courses.EventStore; every method is tenant-scoped. The calendar reads
// the events linked to a calendar beside its synced busy times
// (calendar_booking.go: FindBusy, HostStates, hostFree).

var _ courses.EventStore = (*CourseStore)(nil)

const eventCols = `e.id, e.tenant_id, e.space_id, COALESCE(e.calendar_id, 0), e.uid, e.title, e.description, e.start_at, e.end_at, e.time_zone,
	e.location, e.video_url, e.capacity, e.going, e.sequence, e.cancelled_at, e.created_at, e.updated_at`

func scanEvent(r scanner, extra ...any) (*courses.CommunityEvent, error) {
	var e courses.CommunityEvent
	var cancelled NullTime
	dst := append([]any{&e.ID, &e.TenantID, &e.SpaceID, &e.CalendarID, &e.UID, &e.Title, &e.Description, Time{&e.Start}, Time{&e.End}, &e.TimeZone,
		&e.Location, &e.VideoURL, &e.Capacity, &e.Going, &e.Sequence, &cancelled, Time{&e.CreatedAt}, Time{&e.UpdatedAt}}, extra...)
	if err := r.Scan(dst...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Event not found.")
		}
		return nil, err
	}
	e.CancelledAt = cancelled.T
	return &e, nil
}

// eventRefs checks, inside tx, that the event's space and calendar are the
// tenant's.
func eventRefs(ctx context.Context, tx *Tx, tid int64, e *courses.CommunityEvent) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM community_spaces WHERE id = ? AND tenant_id = ?`, e.SpaceID, tid).Scan(&n); err != nil {
		return err
	} else if n == 0 {
		return app.FieldErrorf("space_id", "Choose one of your spaces.")
	}
	if e.CalendarID == 0 {
		return nil
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM calendars WHERE id = ? AND tenant_id = ?`, e.CalendarID, tid).Scan(&n); err != nil {
		return err
	} else if n == 0 {
		return app.FieldErrorf("calendar_id", "Choose one of your calendars.")
	}
	return nil
}

// CreateEvent implements courses.EventStore.
func (s *CourseStore) CreateEvent(ctx context.Context, e *courses.CommunityEvent) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if err := eventRefs(ctx, tx, tid, e); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO community_events (tenant_id, space_id, calendar_id, uid, title, description, start_at, end_at, time_zone,
			location, video_url, capacity, cancelled_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tid, e.SpaceID, nullID(e.CalendarID), e.UID, e.Title, e.Description, FormatTime(e.Start), FormatTime(e.End), e.TimeZone,
			e.Location, e.VideoURL, e.Capacity, nullTime(e.CancelledAt), FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("create event: %w", err)
		}
		e.ID, _ = res.LastInsertId()
		e.TenantID, e.CreatedAt, e.UpdatedAt, e.Going, e.Sequence = tid, tx.now, tx.now, 0, 0
		return nil
	})
}

// UpdateEvent implements courses.EventStore.
func (s *CourseStore) UpdateEvent(ctx context.Context, e *courses.CommunityEvent) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if err := eventRefs(ctx, tx, tid, e); err != nil {
			return err
		}
		var going int
		if err := tx.QueryRowContext(ctx, `SELECT going FROM community_events WHERE id = ? AND tenant_id = ?`, e.ID, tid).Scan(&going); errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Event not found.")
		} else if err != nil {
			return err
		}
		if e.Capacity > 0 && going > e.Capacity {
			return app.FieldErrorf("capacity", "%d members are already going; the capacity cannot be lower than that.", going)
		}
		err := tx.QueryRowContext(ctx, `UPDATE community_events SET space_id = ?, calendar_id = ?, title = ?, description = ?, start_at = ?, end_at = ?,
			location = ?, video_url = ?, capacity = ?, cancelled_at = ?, sequence = sequence + 1, updated_at = ? WHERE id = ? AND tenant_id = ?
			RETURNING going, sequence`,
			e.SpaceID, nullID(e.CalendarID), e.Title, e.Description, FormatTime(e.Start), FormatTime(e.End),
			e.Location, e.VideoURL, e.Capacity, nullTime(e.CancelledAt), FormatTime(tx.now), e.ID, tid).Scan(&e.Going, &e.Sequence)
		if err != nil {
			return fmt.Errorf("update event: %w", err)
		}
		e.TenantID, e.UpdatedAt = tid, tx.now
		return nil
	})
}

// FindEvent implements courses.EventStore.
func (s *CourseStore) FindEvent(ctx context.Context, id int64) (*courses.CommunityEvent, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanEvent(s.db.read.QueryRowContext(ctx, `SELECT `+eventCols+` FROM community_events e WHERE e.id = ? AND e.tenant_id = ?`, id, tid))
}

// FindEvents implements courses.EventStore (soonest first).
func (s *CourseStore) FindEvents(ctx context.Context, f courses.EventFilter) ([]*courses.CommunityEvent, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	where, args := []string{"e.tenant_id = ?"}, []any{f.MemberID, tid}
	if f.ID != 0 {
		where, args = append(where, "e.id = ?"), append(args, f.ID)
	}
	if f.SpaceIDs != nil {
		if len(f.SpaceIDs) == 0 {
			return nil, nil
		}
		marks := make([]string, len(f.SpaceIDs))
		for i, id := range f.SpaceIDs {
			marks[i] = "?"
			args = append(args, id)
		}
		where = append(where, "e.space_id IN ("+strings.Join(marks, ",")+")")
	}
	if !f.From.IsZero() {
		where, args = append(where, "e.end_at > ?"), append(args, FormatTime(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "e.start_at < ?"), append(args, FormatTime(f.To))
	}
	if !f.WithCancelled {
		where = append(where, "e.cancelled_at IS NULL")
	}
	if f.Going {
		where = append(where, "r.status = 'going'")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+eventCols+`, COALESCE(r.status, '') FROM community_events e
		LEFT JOIN community_event_rsvps r ON r.event_id = e.id AND r.member_id = ? AND r.tenant_id = e.tenant_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY e.start_at, e.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	return scanAll(rows, func(r scanner) (*courses.CommunityEvent, error) {
		var mine string
		e, err := scanEvent(r, &mine)
		if err == nil {
			e.MyRSVP = mine
		}
		return e, err
	})
}

// SetRSVP implements courses.EventStore: the answer and the count of
// members going change in one transaction, and going takes a place only
// while one is free (a conditional update), so two members never both
// take the last place.
func (s *CourseStore) SetRSVP(ctx context.Context, eventID, memberID int64, status string) (*courses.CommunityEvent, error) {
	var out *courses.CommunityEvent
	err := s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM course_members WHERE id = ? AND tenant_id = ?`, memberID, tid).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return app.Errorf(app.ENOTFOUND, "Member not found.")
		}
		var old string
		err := tx.QueryRowContext(ctx, `SELECT status FROM community_event_rsvps WHERE event_id = ? AND member_id = ? AND tenant_id = ?`, eventID, memberID, tid).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		delta := 0
		switch {
		case status == courses.RSVPGoing && old != courses.RSVPGoing:
			delta = 1
		case status != courses.RSVPGoing && old == courses.RSVPGoing:
			delta = -1
		}
		res, err := tx.ExecContext(ctx, `UPDATE community_events SET going = going + ? WHERE id = ? AND tenant_id = ? AND (? <= 0 OR capacity = 0 OR going < capacity)`,
			delta, eventID, tid, delta)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventCols+` FROM community_events e WHERE e.id = ? AND e.tenant_id = ?`, eventID, tid)); err != nil {
				return err
			}
			return app.Errorf(app.ECONFLICT, "The event is full.")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO community_event_rsvps (tenant_id, event_id, member_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (event_id, member_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
			tid, eventID, memberID, status, FormatTime(tx.now), FormatTime(tx.now)); err != nil {
			return fmt.Errorf("rsvp: %w", err)
		}
		out, err = scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventCols+` FROM community_events e WHERE e.id = ? AND e.tenant_id = ?`, eventID, tid))
		if out != nil {
			out.MyRSVP = status
		}
		return err
	})
	return out, err
}

// FindRSVPs implements courses.EventStore (going first, then by name).
func (s *CourseStore) FindRSVPs(ctx context.Context, eventID int64) ([]*courses.RSVP, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT r.event_id, r.member_id, m.name, m.email, r.status, r.updated_at FROM community_event_rsvps r
		JOIN course_members m ON m.id = r.member_id AND m.tenant_id = r.tenant_id
		WHERE r.event_id = ? AND r.tenant_id = ? ORDER BY r.status, lower(COALESCE(NULLIF(m.name, ''), m.email)) LIMIT 5000`, eventID, tid)
	if err != nil {
		return nil, fmt.Errorf("find rsvps: %w", err)
	}
	return scanAll(rows, func(r scanner) (*courses.RSVP, error) {
		var v courses.RSVP
		err := r.Scan(&v.EventID, &v.MemberID, &v.MemberName, &v.Email, &v.Status, Time{&v.UpdatedAt})
		return &v, err
	})
}

// FindEventCalendars implements courses.EventStore.
func (s *CourseStore) FindEventCalendars(ctx context.Context) ([]*courses.EventCalendar, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, name, owner_kind FROM calendars WHERE tenant_id = ? ORDER BY owner_kind <> 'tenant', lower(name), id LIMIT 500`, tid)
	if err != nil {
		return nil, fmt.Errorf("event calendars: %w", err)
	}
	return scanAll(rows, func(r scanner) (*courses.EventCalendar, error) {
		var c courses.EventCalendar
		err := r.Scan(&c.ID, &c.Name, &c.OwnerKind)
		return &c, err
	})
}
