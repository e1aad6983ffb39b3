package calendar

import (
	"context"
	"time"

	"orengen/app"
)

// FeedStore rotates a calendar's feed secret.
type FeedStore interface {
	// SetFeedToken replaces the calendar's feed token. Returns ENOTFOUND.
	SetFeedToken(ctx context.Context, id int64, token string) error
}

// Feed range: a private feed carries the bookings from FeedPast ago to
// FeedAhead ahead.
const (
	FeedPast  = 30 * 24 * time.Hour
	FeedAhead = 400 * 24 * time.Hour
)

// Feed returns the private ICS feed of the calendar whose feed secret is
// token: its bookings (cancelled ones as CANCELLED, so subscribed
// programs remove them). Returns ENOTFOUND for an unknown or revoked
// token or a suspended tenant's calendar.
func (s *Service) Feed(ctx context.Context, token string) (*Calendar, []byte, error) {
	if s.ICS == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Calendar not found.")
	}
	c, err := s.store.FindCalendarByFeedToken(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: c.TenantID})
	now := s.now()
	bs, err := s.store.FindBookings(ctx, BookingFilter{From: now.Add(-FeedPast), To: now.Add(FeedAhead), CalendarIDs: []int64{c.ID}, Limit: 5000})
	if err != nil {
		return nil, nil, err
	}
	evs := make([]FeedEvent, 0, len(bs))
	for _, b := range bs {
		st := "CONFIRMED"
		switch b.Status {
		case StatusPending:
			st = "TENTATIVE"
		case StatusCancelled:
			st = "CANCELLED"
		}
		evs = append(evs, FeedEvent{UID: b.UID, Start: b.Start, End: b.End, Summary: b.Title + ": " + b.Name, Location: b.Location, Sequence: b.Sequence, Status: st})
	}
	data, err := s.ICS.Feed(c.Name, evs)
	return c, data, err
}

// RotateFeedToken gives the calendar a new feed secret: the old feed URL
// stops working at once. Returns ENOTFOUND.
func (s *Service) RotateFeedToken(ctx context.Context, id int64) (*Calendar, error) {
	if err := s.feeds.SetFeedToken(ctx, id, NewToken()); err != nil {
		return nil, err
	}
	return s.store.FindCalendar(ctx, id)
}
