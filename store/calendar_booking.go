package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/calendar"
)

// Longest spans the overlap queries look back for: a booking lasts at
// most 12 hours; synced events are clipped to MaxBusySpan when stored.
const (
	maxBookingSpan = 13 * time.Hour
	// MaxBusySpan bounds one stored busy time (a longer synced event is
	// stored as several).
	MaxBusySpan = 7 * 24 * time.Hour
)

// TimelineAppointment is the timeline kind of a booking's entries.
const TimelineAppointment = "appointment"

// HostStates implements calendar.Store.
func (s *CalendarStore) HostStates(ctx context.Context, cals []*calendar.Calendar, eventTypeID int64, from, to time.Time) ([]calendar.Host, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]calendar.Host, 0, len(cals))
	f, t := FormatTime(from), FormatTime(to)
	for _, c := range cals {
		if c.TenantID != tid {
			return nil, app.Errorf(app.ENOTFOUND, "Calendar not found.")
		}
		h := calendar.Host{Calendar: c}
		rows, err := s.db.read.QueryContext(ctx, `SELECT start_at, end_at, event_type_id FROM calendar_booking_hosts
			WHERE calendar_id = ? AND active = 1 AND start_at >= ? AND start_at < ? AND end_at > ?`, c.ID, FormatTime(from.Add(-maxBookingSpan)), t, f)
		if err != nil {
			return nil, fmt.Errorf("host bookings: %w", err)
		}
		for rows.Next() {
			var iv calendar.Interval
			var et int64
			if err := rows.Scan(Time{&iv.Start}, Time{&iv.End}, &et); err != nil {
				rows.Close()
				return nil, err
			}
			h.Busy = append(h.Busy, iv)
			if et == eventTypeID {
				h.Booked = append(h.Booked, iv.Start)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		// The synced busy times come as one row, their epoch seconds
		// joined: stepping and scanning a row per event (thousands for a
		// month of a busy calendar) was most of a free-slot computation.
		var joined sql.NullString
		// Community events on the calendar take its time too.
		if err := s.db.read.QueryRowContext(ctx, `SELECT group_concat(s || ' ' || e, ' ') FROM (
			SELECT unixepoch(start_at) AS s, unixepoch(end_at) AS e FROM calendar_busy WHERE calendar_id = ? AND start_at >= ? AND start_at < ? AND end_at > ?
			UNION ALL SELECT unixepoch(start_at), unixepoch(end_at) FROM community_events
			WHERE calendar_id = ? AND cancelled_at IS NULL AND start_at >= ? AND start_at < ? AND end_at > ?)`,
			c.ID, FormatTime(from.Add(-MaxBusySpan)), t, f, c.ID, FormatTime(from.Add(-MaxBusySpan)), t, f).Scan(&joined); err != nil {
			return nil, fmt.Errorf("host busy: %w", err)
		}
		if h.Busy, err = appendEpochPairs(h.Busy, joined.String); err != nil {
			return nil, fmt.Errorf("host busy: %w", err)
		}
		if h.Unreadable, err = s.unreadable(ctx, c.ID); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// appendEpochPairs appends the intervals of "start end start end ..."
// (Unix seconds) to out.
func appendEpochPairs(out []calendar.Interval, s string) ([]calendar.Interval, error) {
	f := strings.Fields(s)
	if len(f)%2 != 0 {
		return nil, fmt.Errorf("time list: odd count %d", len(f))
	}
	for i := 0; i < len(f); i += 2 {
		start, err1 := strconv.ParseInt(f[i], 10, 64)
		end, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("time list: %w", err)
		}
		out = append(out, calendar.Interval{Start: time.Unix(start, 0).UTC(), End: time.Unix(end, 0).UTC()})
	}
	return out, nil
}

// hostFree reports whether calendar cal has nothing active or busy
// overlapping [s, e), ignoring booking skip, and fewer than limit of the
// event type's bookings in day (limit 0: no limit).
func hostFree(ctx context.Context, tx *Tx, cal, skip, eventTypeID int64, s, e time.Time, limit int, day calendar.Interval) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM calendar_booking_hosts WHERE calendar_id = ? AND active = 1 AND booking_id <> ?
			AND start_at >= ? AND start_at < ? AND end_at > ?)
		+ (SELECT count(*) FROM calendar_busy WHERE calendar_id = ? AND start_at >= ? AND start_at < ? AND end_at > ?)
		+ (SELECT count(*) FROM community_events WHERE calendar_id = ? AND cancelled_at IS NULL AND start_at >= ? AND start_at < ? AND end_at > ?)`,
		cal, skip, FormatTime(s.Add(-maxBookingSpan)), FormatTime(e), FormatTime(s),
		cal, FormatTime(s.Add(-MaxBusySpan)), FormatTime(e), FormatTime(s),
		cal, FormatTime(s.Add(-MaxBusySpan)), FormatTime(e), FormatTime(s)).Scan(&n)
	if err != nil || n > 0 {
		return false, err
	}
	if limit > 0 {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM calendar_booking_hosts WHERE calendar_id = ? AND active = 1 AND booking_id <> ?
			AND event_type_id = ? AND start_at >= ? AND start_at < ?`, cal, skip, eventTypeID, FormatTime(day.Start), FormatTime(day.End)).Scan(&n); err != nil {
			return false, err
		}
		if n >= limit {
			return false, nil
		}
	}
	return true, nil
}

// pickHosts chooses, inside tx, the hosts of a booking from candidates:
// all of them (collective) or the free one with the fewest active
// bookings of the event type, then the lowest ID (round robin, single).
func pickHosts(ctx context.Context, tx *Tx, candidates []int64, collective bool, skip, eventTypeID int64, s, e time.Time,
	before, after time.Duration, limit int, days map[int64]calendar.Interval) ([]int64, error) {
	var free []int64
	for _, c := range candidates {
		ok, err := hostFree(ctx, tx, c, skip, eventTypeID, s.Add(-before), e.Add(after), limit, days[c])
		if err != nil {
			return nil, err
		}
		if ok {
			free = append(free, c)
		} else if collective {
			return nil, app.Errorf(app.ECONFLICT, calendar.MsgTaken)
		}
	}
	if len(free) == 0 {
		return nil, app.Errorf(app.ECONFLICT, calendar.MsgTaken)
	}
	if collective {
		return free, nil
	}
	best, bestN := int64(0), -1
	for _, c := range free {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM calendar_booking_hosts WHERE calendar_id = ? AND event_type_id = ? AND active = 1`,
			c, eventTypeID).Scan(&n); err != nil {
			return nil, err
		}
		if bestN < 0 || n < bestN {
			best, bestN = c, n
		}
	}
	return []int64{best}, nil
}

// Book implements calendar.Store. The check and the insert run in one
// write transaction on the single write connection (BEGIN IMMEDIATE), so
// two requests for one slot are serialised and the second sees the first
// booking: exactly one wins. Concurrent bookings share commits (Group): a
// batch in which one loses runs again with each in its own savepoint, in
// the same order, so the same one wins and the loser leaves nothing.
func (s *CalendarStore) Book(ctx context.Context, in *calendar.BookInput) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	b := in.Booking
	return s.db.Group(ctx, func(ctx context.Context, tx *Tx) error {
		hosts, err := pickHosts(ctx, tx, in.Candidates, in.Collective, 0, b.EventTypeID, b.Start, b.End, in.BufferBefore, in.BufferAfter, in.DailyLimit, in.DayBounds)
		if err != nil {
			return err
		}
		b.Hosts, b.TenantID = hosts, tid
		if in.Contact != nil {
			c := *in.Contact
			c.TenantID = tid
			if b.PersonID, _, err = upsertPerson(ctx, tx, &c); err != nil {
				return err
			}
		}
		if in.Deal != nil && b.PersonID != 0 {
			d := *in.Deal
			d.PersonIDs = []int64{b.PersonID}
			if in.DealPipeline != "" {
				if err := tx.QueryRowContext(ctx, `SELECT id FROM crm_pipelines WHERE tenant_id = ? AND lower(name) = lower(?)`, tid, in.DealPipeline).Scan(&d.PipelineID); err != nil {
					if errors.Is(err, sql.ErrNoRows) {
						return app.FieldErrorf("deal_pipeline", "Unknown pipeline %q.", in.DealPipeline)
					}
					return err
				}
			}
			if err := d.Validate(); err != nil {
				return err
			}
			if err := insertDeal(ctx, tx, tid, &d); err != nil {
				return err
			}
			b.DealID = d.ID
		}
		answers, _ := json.Marshal(b.Answers)
		res, err := tx.ExecContext(ctx, `INSERT INTO calendar_bookings (tenant_id, event_type_id, start_at, end_at, status, title, name, email, phone, time_zone,
			notes, answers, location, person_id, deal_id, uid, sequence, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
			tid, b.EventTypeID, FormatTime(b.Start), FormatTime(b.End), b.Status, b.Title, b.Name, b.Email, b.Phone, b.TimeZone,
			b.Notes, string(answers), b.Location, nullID(b.PersonID), nullID(b.DealID), b.UID, FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return FormatError(err, "Booking already exists.")
		}
		if b.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		b.CreatedAt, b.UpdatedAt = tx.now, tx.now
		if err := writeBookingHosts(ctx, tx, b); err != nil {
			return err
		}
		if err := queueNotices(ctx, tx, calendar.NoticeBooked, b); err != nil {
			return err
		}
		if b.PersonID != 0 {
			e := timeline(ctx, tx, tid, app.RecordPerson, b.PersonID, TimelineAppointment)
			e.Body = bookingSummary("Booked", b)
			e.RefType, e.RefID = "booking", b.ID
			if err := AddTimelineEntryTx(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeBookingHosts(ctx context.Context, tx *Tx, b *calendar.Booking) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_booking_hosts WHERE booking_id = ?`, b.ID); err != nil {
		return err
	}
	for _, h := range b.Hosts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_booking_hosts (booking_id, calendar_id, tenant_id, event_type_id, start_at, end_at, active)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, b.ID, h, b.TenantID, b.EventTypeID, FormatTime(b.Start), FormatTime(b.End), b.Active()); err != nil {
			return err
		}
	}
	return nil
}

// bookingSummary is a booking's timeline text.
func bookingSummary(verb string, b *calendar.Booking) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %s, %s to %s UTC", verb, b.Title, b.Start.UTC().Format("Mon 2 Jan 2006 15:04"), b.End.UTC().Format("15:04"))
	if b.Status == calendar.StatusPending {
		sb.WriteString(" (awaiting confirmation)")
	}
	if b.Location != "" {
		sb.WriteString("\nLocation: " + b.Location)
	}
	keys := make([]string, 0, len(b.Answers))
	for k := range b.Answers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&sb, "\n%s: %s", k, b.Answers[k])
	}
	if b.Notes != "" {
		sb.WriteString("\nNotes: " + b.Notes)
	}
	return sb.String()
}

const bookingCols = `id, tenant_id, event_type_id, start_at, end_at, status, title, name, email, phone, time_zone, notes, answers, location,
	coalesce(person_id, 0), coalesce(deal_id, 0), uid, sequence, no_show, cancel_reason, created_at, updated_at,
	(SELECT coalesce(json_group_array(calendar_id), '[]') FROM (SELECT calendar_id FROM calendar_booking_hosts h WHERE h.booking_id = calendar_bookings.id ORDER BY calendar_id))`

func scanBooking(r scanner) (*calendar.Booking, error) {
	var b calendar.Booking
	var answers, hosts string
	if err := r.Scan(&b.ID, &b.TenantID, &b.EventTypeID, Time{&b.Start}, Time{&b.End}, &b.Status, &b.Title, &b.Name, &b.Email, &b.Phone, &b.TimeZone,
		&b.Notes, &answers, &b.Location, &b.PersonID, &b.DealID, &b.UID, &b.Sequence, &b.NoShow, &b.CancelReason, Time{&b.CreatedAt}, Time{&b.UpdatedAt}, &hosts); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Booking not found.")
		}
		return nil, err
	}
	if err := json.Unmarshal([]byte(answers), &b.Answers); err != nil {
		return nil, fmt.Errorf("booking %d answers: %w", b.ID, err)
	}
	if err := json.Unmarshal([]byte(hosts), &b.Hosts); err != nil {
		return nil, fmt.Errorf("booking %d hosts: %w", b.ID, err)
	}
	return &b, nil
}

// FindBooking implements calendar.Store.
func (s *CalendarStore) FindBooking(ctx context.Context, id int64) (*calendar.Booking, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanBooking(s.db.read.QueryRowContext(ctx, `SELECT `+bookingCols+` FROM calendar_bookings WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindBookings implements calendar.Store: newest start last.
func (s *CalendarStore) FindBookings(ctx context.Context, f calendar.BookingFilter) ([]*calendar.Booking, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	where, args := []string{"tenant_id = ?"}, []any{tid}
	if !f.From.IsZero() {
		where, args = append(where, "start_at >= ? AND end_at > ?"), append(args, FormatTime(f.From.Add(-maxBookingSpan)), FormatTime(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "start_at < ?"), append(args, FormatTime(f.To))
	}
	if f.EventTypeID != 0 {
		where, args = append(where, "event_type_id = ?"), append(args, f.EventTypeID)
	}
	if f.PersonID != 0 {
		where, args = append(where, "person_id = ?"), append(args, f.PersonID)
	}
	if f.Active {
		where = append(where, "status <> 'cancelled'")
	}
	if len(f.CalendarIDs) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(f.CalendarIDs)), ",")
		where = append(where, "id IN (SELECT booking_id FROM calendar_booking_hosts WHERE calendar_id IN ("+ph+"))")
		for _, c := range f.CalendarIDs {
			args = append(args, c)
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 2000 {
		limit = 2000
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+bookingCols+` FROM calendar_bookings WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY start_at, id LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("find bookings: %w", err)
	}
	return scanAll(rows, scanBooking)
}

// Reschedule implements calendar.Store.
func (s *CalendarStore) Reschedule(ctx context.Context, in *calendar.RescheduleInput) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		b, err := scanBooking(tx.QueryRowContext(ctx, `SELECT `+bookingCols+` FROM calendar_bookings WHERE id = ? AND tenant_id = ?`, in.ID, tid))
		if err != nil {
			return err
		}
		if !b.Active() {
			return app.Errorf(app.ECONFLICT, "This booking was cancelled.")
		}
		if in.Sequence >= 0 && b.Sequence != in.Sequence {
			return app.Errorf(app.ECONFLICT, "This booking was changed since this link was sent; use the newest email.")
		}
		for _, h := range b.Hosts {
			ok, err := hostFree(ctx, tx, h, b.ID, b.EventTypeID, in.Start.Add(-in.BufferBefore), in.End.Add(in.BufferAfter), in.DailyLimit, in.DayBounds[h])
			if err != nil {
				return err
			}
			if !ok {
				return app.Errorf(app.ECONFLICT, calendar.MsgTaken)
			}
		}
		old := *b
		b.Start, b.End, b.Sequence, b.UpdatedAt = in.Start.UTC(), in.End.UTC(), b.Sequence+1, tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE calendar_bookings SET start_at = ?, end_at = ?, sequence = ?, updated_at = ? WHERE id = ?`,
			FormatTime(b.Start), FormatTime(b.End), b.Sequence, FormatTime(tx.now), b.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE calendar_booking_hosts SET start_at = ?, end_at = ? WHERE booking_id = ?`,
			FormatTime(b.Start), FormatTime(b.End), b.ID); err != nil {
			return err
		}
		if err := queueNotices(ctx, tx, calendar.NoticeRescheduled, b); err != nil {
			return err
		}
		if b.PersonID != 0 {
			e := timeline(ctx, tx, tid, app.RecordPerson, b.PersonID, TimelineAppointment)
			e.Body = bookingSummary("Rescheduled", b)
			e.Field, e.Old, e.New = "start", FormatTime(old.Start), FormatTime(b.Start)
			e.RefType, e.RefID = "booking", b.ID
			if err := AddTimelineEntryTx(ctx, tx, e); err != nil {
				return err
			}
		}
		in.Booking = b
		return nil
	})
}

// SetBookingStatus implements calendar.Store.
func (s *CalendarStore) SetBookingStatus(ctx context.Context, in *calendar.StatusChange) (*calendar.Booking, error) {
	var out *calendar.Booking
	err := s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if in.Actor != "" {
			ctx = app.NewContextWithActor(ctx, in.Actor)
		}
		b, err := scanBooking(tx.QueryRowContext(ctx, `SELECT `+bookingCols+` FROM calendar_bookings WHERE id = ? AND tenant_id = ?`, in.ID, tid))
		if err != nil {
			return err
		}
		if in.Sequence >= 0 && b.Sequence != in.Sequence {
			return app.Errorf(app.ECONFLICT, "This booking was changed since this link was sent; use the newest email.")
		}
		verb := ""
		switch in.Status {
		case "":
		case calendar.StatusCancelled:
			if !b.Active() {
				return app.Errorf(app.ECONFLICT, "This booking is already cancelled.")
			}
			b.Status, b.CancelReason, verb = in.Status, in.Reason, "Cancelled"
		case calendar.StatusConfirmed:
			if b.Status != calendar.StatusPending {
				return app.Errorf(app.ECONFLICT, "Only a booking awaiting confirmation can be confirmed.")
			}
			b.Status, verb = in.Status, "Confirmed"
		default:
			return app.FieldErrorf("status", "Status must be cancelled or confirmed.")
		}
		if in.NoShow != nil && *in.NoShow != b.NoShow {
			b.NoShow = *in.NoShow
			if verb == "" {
				verb = "Marked no-show"
				if !b.NoShow {
					verb = "No-show mark removed"
				}
			}
		}
		if verb == "" {
			out = b
			return nil
		}
		b.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE calendar_bookings SET status = ?, cancel_reason = ?, no_show = ?, updated_at = ? WHERE id = ?`,
			b.Status, b.CancelReason, b.NoShow, FormatTime(tx.now), b.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE calendar_booking_hosts SET active = ? WHERE booking_id = ?`, b.Active(), b.ID); err != nil {
			return err
		}
		if in.Status != "" {
			if err := queueNotices(ctx, tx, in.Status, b); err != nil { // cancelled, confirmed: notice kinds too
				return err
			}
		}
		if b.PersonID != 0 {
			e := timeline(ctx, tx, tid, app.RecordPerson, b.PersonID, TimelineAppointment)
			e.Body = bookingSummary(verb, b)
			if in.Reason != "" {
				e.Body += "\nReason: " + in.Reason
			}
			e.RefType, e.RefID = "booking", b.ID
			if err := AddTimelineEntryTx(ctx, tx, e); err != nil {
				return err
			}
		}
		out = b
		return nil
	})
	return out, err
}

// FindBusy implements calendar.Store.
func (s *CalendarStore) FindBusy(ctx context.Context, from, to time.Time) ([]calendar.Busy, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	// The community events linked to the tenant's calendars show beside
	// the synced times (course_event.go).
	f, t := FormatTime(from.Add(-MaxBusySpan)), FormatTime(to)
	rows, err := s.db.read.QueryContext(ctx, `SELECT calendar_id, start_at, end_at, summary, 0 FROM calendar_busy
		WHERE tenant_id = ? AND start_at >= ? AND start_at < ? AND end_at > ?
		UNION ALL SELECT calendar_id, start_at, end_at, title, id FROM community_events
		WHERE tenant_id = ? AND calendar_id IS NOT NULL AND cancelled_at IS NULL AND start_at >= ? AND start_at < ? AND end_at > ?
		ORDER BY 2, 5 LIMIT 5000`,
		tid, f, t, FormatTime(from), tid, f, t, FormatTime(from))
	if err != nil {
		return nil, fmt.Errorf("find busy: %w", err)
	}
	return scanAll(rows, func(r scanner) (calendar.Busy, error) {
		var b calendar.Busy
		err := r.Scan(&b.CalendarID, Time{&b.Start}, Time{&b.End}, &b.Summary, &b.EventID)
		return b, err
	})
}
