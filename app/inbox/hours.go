package inbox

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"orengen/app"
)

// Hours are a tenant's business hours and the reply a customer's text or
// email gets outside them (the out-of-hours reply), at most once per
// conversation in AwayEvery.
type Hours struct {
	TenantID int64
	Enabled  bool
	Days     []int  // open weekdays: 0 Sunday .. 6 Saturday
	Open     string // HH:MM, the tenant's timezone
	Close    string // HH:MM, after Open
	AwayText string
}

// AwayEvery is how long an out-of-hours reply keeps a thread from
// another one.
const AwayEvery = 12 * time.Hour

// AwayActor is the author of out-of-hours replies.
const AwayActor = "system:out-of-hours"

// DefaultHours are a tenant's hours before it sets any.
func DefaultHours(tenantID int64) *Hours {
	return &Hours{TenantID: tenantID, Days: []int{1, 2, 3, 4, 5}, Open: "09:00", Close: "17:00"}
}

func clock(s string) (int, bool) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Validate checks hours. Returns EINVALID naming the field (days, open,
// close, away_text).
func (h *Hours) Validate() error {
	h.Open, h.Close, h.AwayText = strings.TrimSpace(h.Open), strings.TrimSpace(h.Close), strings.TrimSpace(h.AwayText)
	o, ok := clock(h.Open)
	if !ok {
		return app.FieldErrorf("open", "Opening time like 09:00.")
	}
	c, ok := clock(h.Close)
	if !ok {
		return app.FieldErrorf("close", "Closing time like 17:30.")
	}
	if c <= o {
		return app.FieldErrorf("close", "Closing time must be after the opening time.")
	}
	ds := []int{}
	for _, d := range h.Days {
		if d < 0 || d > 6 {
			return app.FieldErrorf("days", "Days are 0 (Sunday) to 6 (Saturday).")
		}
		if !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
	}
	slices.Sort(ds)
	h.Days = ds
	if h.Enabled && len(ds) == 0 {
		return app.FieldErrorf("days", "Choose the days you are open.")
	}
	if h.Enabled && h.AwayText == "" {
		return app.FieldErrorf("away_text", "Write the reply sent outside business hours.")
	}
	if utf8.RuneCountInString(h.AwayText) > MaxReply {
		return app.FieldErrorf("away_text", "The reply is at most %d characters (one text).", MaxReply)
	}
	return nil
}

// IsOpen reports whether t (in the tenant's location) is within the hours.
func (h *Hours) IsOpen(t time.Time) bool {
	if !slices.Contains(h.Days, int(t.Weekday())) {
		return false
	}
	o, _ := clock(h.Open)
	c, _ := clock(h.Close)
	m := t.Hour()*60 + t.Minute()
	return m >= o && m < c
}

// HoursSettings returns the caller's tenant's hours (a Nexus admin's: of
// tenantID), the defaults when none are saved.
func (s *Service) HoursSettings(ctx context.Context, tenantID int64) (*Hours, error) {
	tid, all, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	if all {
		tid = tenantID
	}
	if tid <= 0 {
		return nil, app.FieldErrorf("tenant_id", "Choose the tenant.")
	}
	h, err := s.store.FindHours(ctx, tid)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return DefaultHours(tid), nil
	}
	return h, err
}

// SaveHours stores the caller's tenant's hours (a Nexus admin's:
// h.TenantID). Returns EINVALID naming the field.
func (s *Service) SaveHours(ctx context.Context, h *Hours) error {
	tid, all, err := scope(ctx)
	if err != nil {
		return err
	}
	if !all {
		h.TenantID = tid
	}
	if h.TenantID <= 0 {
		return app.FieldErrorf("tenant_id", "Choose the tenant.")
	}
	if err := h.Validate(); err != nil {
		return err
	}
	return s.store.SaveHours(ctx, h)
}

// awayReply answers a customer's message outside the tenant's business
// hours with its out-of-hours reply, once per conversation in AwayEvery;
// a failure is logged (the message is stored either way).
func (s *Service) awayReply(ctx context.Context, c *Conversation) {
	if c.Unrouted || (c.Channel != ChannelSMS && c.Channel != ChannelEmail) {
		return
	}
	ctx = appliance(ctx)
	h, err := s.store.FindHours(ctx, c.TenantID)
	if err != nil || !h.Enabled || h.AwayText == "" {
		return
	}
	loc := time.UTC
	if s.Tenants != nil {
		if t, err := s.Tenants.FindTenantByID(ctx, c.TenantID); err == nil {
			if l, err := time.LoadLocation(t.Timezone); err == nil {
				loc = l
			}
		}
	}
	now := s.now()
	if h.IsOpen(now.In(loc)) {
		return
	}
	ms, err := s.store.FindMessages(ctx, c.TenantID, c.ID)
	if err != nil {
		return
	}
	for _, m := range ms {
		if m.Direction == DirOut && m.Author == AwayActor && now.Sub(m.CreatedAt) < AwayEvery {
			return
		}
	}
	actx := app.NewContextWithActor(app.NewContextWithTenant(ctx, &app.Tenant{ID: c.TenantID}), AwayActor)
	if _, err := s.reply(actx, c, h.AwayText, ""); err != nil {
		s.logger().Warn("inbox: out-of-hours reply", "conversation_id", c.ID, "err", err)
	}
}
