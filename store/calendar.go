package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"orengen/app"
	"orengen/app/calendar"
)

// CalendarStore implements calendar.Store on SQLite. Every method takes
// the tenant from ctx.
type CalendarStore struct {
	db *DB
}

var _ calendar.Store = (*CalendarStore)(nil)

// NewCalendarStore returns a CalendarStore on db.
func NewCalendarStore(db *DB) *CalendarStore { return &CalendarStore{db: db} }

const calendarCols = `id, tenant_id, owner_kind, owner_id, name, time_zone, availability, feed_token, created_at, updated_at`

func scanCalendar(r scanner) (*calendar.Calendar, error) {
	var c calendar.Calendar
	var avail string
	if err := r.Scan(&c.ID, &c.TenantID, &c.OwnerKind, &c.OwnerID, &c.Name, &c.TimeZone, &avail, &c.FeedToken, Time{&c.CreatedAt}, Time{&c.UpdatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Calendar not found.")
		}
		return nil, err
	}
	if err := json.Unmarshal([]byte(avail), &c.Availability); err != nil {
		return nil, fmt.Errorf("calendar %d availability: %w", c.ID, err)
	}
	return &c, nil
}

func availabilityJSON(a calendar.Availability) string {
	for i := range a.Weekly {
		if a.Weekly[i] == nil {
			a.Weekly[i] = []calendar.Span{}
		}
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// CreateCalendar implements calendar.Store.
func (s *CalendarStore) CreateCalendar(ctx context.Context, c *calendar.Calendar) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO calendars (tenant_id, owner_kind, owner_id, name, time_zone, availability, feed_token, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, c.OwnerKind, c.OwnerID, c.Name, c.TimeZone, availabilityJSON(c.Availability), c.FeedToken,
			FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return FormatError(err, "Calendar already exists.")
		}
		c.ID, _ = res.LastInsertId()
		c.TenantID, c.CreatedAt, c.UpdatedAt = tid, tx.now, tx.now
		return nil
	})
}

// UpdateCalendar implements calendar.Store.
func (s *CalendarStore) UpdateCalendar(ctx context.Context, c *calendar.Calendar) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE calendars SET name = ?, time_zone = ?, availability = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
			c.Name, c.TimeZone, availabilityJSON(c.Availability), FormatTime(tx.now), c.ID, tid)
		if err != nil {
			return fmt.Errorf("update calendar: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Calendar not found.")
		}
		c.UpdatedAt = tx.now
		return nil
	})
}

// FindCalendar implements calendar.Store.
func (s *CalendarStore) FindCalendar(ctx context.Context, id int64) (*calendar.Calendar, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanCalendar(s.db.read.QueryRowContext(ctx, `SELECT `+calendarCols+` FROM calendars WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindCalendars implements calendar.Store.
func (s *CalendarStore) FindCalendars(ctx context.Context) ([]*calendar.Calendar, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+calendarCols+` FROM calendars WHERE tenant_id = ? ORDER BY owner_kind <> 'tenant', lower(name), id`, tid)
	if err != nil {
		return nil, fmt.Errorf("find calendars: %w", err)
	}
	return scanAll(rows, scanCalendar)
}

// FindCalendarByFeedToken implements calendar.Store.
func (s *CalendarStore) FindCalendarByFeedToken(ctx context.Context, token string) (*calendar.Calendar, error) {
	if len(token) < 20 {
		return nil, app.Errorf(app.ENOTFOUND, "Calendar not found.")
	}
	return scanCalendar(s.db.read.QueryRowContext(ctx, `SELECT `+calendarCols+` FROM calendars WHERE feed_token = ?
		AND tenant_id IN (SELECT id FROM tenants WHERE status <> ?)`, token, app.TenantSuspended))
}

// SetFeedToken implements calendar.FeedStore.
func (s *CalendarStore) SetFeedToken(ctx context.Context, id int64, token string) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE calendars SET feed_token = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`, token, FormatTime(tx.now), id, tid)
		if err != nil {
			return fmt.Errorf("set feed token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Calendar not found.")
		}
		return nil
	})
}

// eventSettings is the JSON of an event type's settings column.
type eventSettings struct {
	Durations            []int               `json:"durations"`
	LocationKind         string              `json:"location_kind"`
	Location             string              `json:"location"`
	BufferBefore         int                 `json:"buffer_before"`
	BufferAfter          int                 `json:"buffer_after"`
	MinNotice            int                 `json:"min_notice"`
	WindowDays           int                 `json:"window_days"`
	DailyLimit           int                 `json:"daily_limit"`
	SlotStep             int                 `json:"slot_step"`
	Questions            []calendar.Question `json:"questions"`
	RequiresConfirmation bool                `json:"requires_confirmation"`
	Assignment           string              `json:"assignment"`
	CreateDeal           bool                `json:"create_deal"`
	DealPipeline         string              `json:"deal_pipeline"`
}

func settingsOf(e *calendar.EventType) string {
	b, _ := json.Marshal(eventSettings{e.Durations, e.LocationKind, e.Location, e.BufferBefore, e.BufferAfter, e.MinNotice, e.WindowDays,
		e.DailyLimit, e.SlotStep, e.Questions, e.RequiresConfirmation, e.Assignment, e.CreateDeal, e.DealPipeline})
	return string(b)
}

const eventTypeCols = `id, tenant_id, slug, title, description, settings, enabled, created_at, updated_at,
	(SELECT coalesce(json_group_array(calendar_id), '[]') FROM (SELECT calendar_id FROM calendar_event_type_hosts h WHERE h.event_type_id = calendar_event_types.id ORDER BY calendar_id))`

func scanEventType(r scanner) (*calendar.EventType, error) {
	var e calendar.EventType
	var settings, hosts string
	if err := r.Scan(&e.ID, &e.TenantID, &e.Slug, &e.Title, &e.Description, &settings, &e.Enabled, Time{&e.CreatedAt}, Time{&e.UpdatedAt}, &hosts); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Event type not found.")
		}
		return nil, err
	}
	var st eventSettings
	if err := json.Unmarshal([]byte(settings), &st); err != nil {
		return nil, fmt.Errorf("event type %d settings: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(hosts), &e.Hosts); err != nil {
		return nil, fmt.Errorf("event type %d hosts: %w", e.ID, err)
	}
	e.Durations, e.LocationKind, e.Location, e.BufferBefore, e.BufferAfter = st.Durations, st.LocationKind, st.Location, st.BufferBefore, st.BufferAfter
	e.MinNotice, e.WindowDays, e.DailyLimit, e.SlotStep, e.Questions = st.MinNotice, st.WindowDays, st.DailyLimit, st.SlotStep, st.Questions
	e.RequiresConfirmation, e.Assignment, e.CreateDeal, e.DealPipeline = st.RequiresConfirmation, st.Assignment, st.CreateDeal, st.DealPipeline
	return &e, nil
}

// writeHosts replaces an event type's hosts, each one the tenant's
// calendar (EINVALID naming "hosts" otherwise).
func writeHosts(ctx context.Context, tx *Tx, tid int64, e *calendar.EventType) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_event_type_hosts WHERE event_type_id = ?`, e.ID); err != nil {
		return err
	}
	for _, h := range e.Hosts {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM calendars WHERE id = ? AND tenant_id = ?`, h, tid).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return app.FieldErrorf("hosts", "Calendar %d is not one of this account's calendars.", h)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_event_type_hosts (event_type_id, calendar_id) VALUES (?, ?)`, e.ID, h); err != nil {
			return err
		}
	}
	return nil
}

// CreateEventType implements calendar.Store.
func (s *CalendarStore) CreateEventType(ctx context.Context, e *calendar.EventType) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO calendar_event_types (tenant_id, slug, title, description, settings, enabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tid, e.Slug, e.Title, e.Description, settingsOf(e), e.Enabled, FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return FormatError(err, "An event type with this slug already exists.")
		}
		e.ID, _ = res.LastInsertId()
		e.TenantID, e.CreatedAt, e.UpdatedAt = tid, tx.now, tx.now
		return writeHosts(ctx, tx, tid, e)
	})
}

// UpdateEventType implements calendar.Store.
func (s *CalendarStore) UpdateEventType(ctx context.Context, e *calendar.EventType) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE calendar_event_types SET slug = ?, title = ?, description = ?, settings = ?, enabled = ?, updated_at = ?
			WHERE id = ? AND tenant_id = ?`, e.Slug, e.Title, e.Description, settingsOf(e), e.Enabled, FormatTime(tx.now), e.ID, tid)
		if err != nil {
			return FormatError(err, "An event type with this slug already exists.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Event type not found.")
		}
		e.TenantID, e.UpdatedAt = tid, tx.now
		return writeHosts(ctx, tx, tid, e)
	})
}

// DeleteEventType implements calendar.Store: an event type with bookings
// is disabled instead (its bookings keep pointing at it).
func (s *CalendarStore) DeleteEventType(ctx context.Context, id int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM calendar_bookings WHERE event_type_id = ? AND tenant_id = ?`, id, tid).Scan(&n); err != nil {
			return err
		}
		q := `DELETE FROM calendar_event_types WHERE id = ? AND tenant_id = ?`
		if n > 0 {
			q = `UPDATE calendar_event_types SET enabled = 0, slug = slug || '-deleted-' || id WHERE id = ? AND tenant_id = ?`
		}
		res, err := tx.ExecContext(ctx, q, id, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Event type not found.")
		}
		return nil
	})
}

// FindEventType implements calendar.Store.
func (s *CalendarStore) FindEventType(ctx context.Context, id int64) (*calendar.EventType, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanEventType(s.db.read.QueryRowContext(ctx, `SELECT `+eventTypeCols+` FROM calendar_event_types WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindEventTypeBySlug implements calendar.Store.
func (s *CalendarStore) FindEventTypeBySlug(ctx context.Context, slug string) (*calendar.EventType, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanEventType(s.db.read.QueryRowContext(ctx, `SELECT `+eventTypeCols+` FROM calendar_event_types WHERE slug = ? AND tenant_id = ?`, strings.ToLower(slug), tid))
}

// FindEventTypes implements calendar.Store.
func (s *CalendarStore) FindEventTypes(ctx context.Context) ([]*calendar.EventType, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+eventTypeCols+` FROM calendar_event_types WHERE tenant_id = ? AND slug NOT LIKE '%-deleted-%' ORDER BY lower(title), id`, tid)
	if err != nil {
		return nil, fmt.Errorf("find event types: %w", err)
	}
	return scanAll(rows, scanEventType)
}
