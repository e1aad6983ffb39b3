package calendar

import (
	"context"
	"fmt"
	"time"

	"orengen/app"
)

// Booker is app.Booker on the calendar: Agent Studio's check_availability
// and book_appointment tools book the tenant's event type that offers the
// asked duration (the one with slug "agent" first), for the conversation's
// CRM person. A tenant without an enabled event type answers
// app.ErrNoCalendar, so the agent falls back to requesting the time.
type Booker struct {
	Service *Service
	// Person returns a CRM person's name, email and phone.
	Person func(ctx context.Context, tenantID, id int64) (name, email, phone string, err error)
}

var _ app.Booker = (*Booker)(nil)

func (b *Booker) eventType(ctx context.Context, d time.Duration) (*EventType, error) {
	ets, err := b.Service.store.FindEventTypes(ctx)
	if err != nil {
		return nil, err
	}
	mins := int(d.Minutes())
	var best *EventType
	any := false
	for _, e := range ets {
		if !e.Enabled {
			continue
		}
		any = true
		if _, err := e.Duration(mins); err != nil {
			continue
		}
		if best == nil || e.Slug == "agent" {
			best = e
		}
	}
	if !any {
		return nil, app.ErrNoCalendar
	}
	if best == nil {
		return nil, app.FieldErrorf("minutes", "No meeting of %d minutes can be booked; ask for another length.", mins)
	}
	return best, nil
}

// FreeSlots implements app.Booker.
func (b *Booker) FreeSlots(ctx context.Context, tenantID int64, from, to time.Time, d time.Duration) ([]app.Slot, error) {
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
	e, err := b.eventType(ctx, d)
	if err != nil {
		return nil, err
	}
	slots, err := b.Service.FreeSlots(ctx, e, int(d.Minutes()), from, to)
	if err != nil {
		return nil, err
	}
	out := make([]app.Slot, len(slots))
	for i, s := range slots {
		out[i] = app.Slot{Start: s.Start, End: s.End}
	}
	return out, nil
}

// Book implements app.Booker.
func (b *Booker) Book(ctx context.Context, tenantID int64, req app.BookingRequest) (*app.Booking, error) {
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
	if req.Duration <= 0 {
		req.Duration = 30 * time.Minute
	}
	e, err := b.eventType(ctx, req.Duration)
	if err != nil {
		return nil, err
	}
	name, email, phone, err := b.Person(ctx, tenantID, req.PersonID)
	if err != nil {
		return nil, err
	}
	if email == "" {
		return nil, app.FieldErrorf("email", "The contact has no email address for the invitation; ask for one first.")
	}
	bk, err := b.Service.Book(ctx, &BookRequest{EventTypeID: e.ID, Start: req.Start, Minutes: int(req.Duration.Minutes()), Name: name, Email: email,
		Phone: phone, TimeZone: "UTC", Notes: req.Notes, Source: req.Source})
	if err != nil {
		return nil, err
	}
	label := fmt.Sprintf("%s booked (booking #%d); the invitation is emailed", e.Title, bk.ID)
	if bk.Status == StatusPending {
		label = fmt.Sprintf("%s requested (booking #%d); the team confirms it", e.Title, bk.ID)
	}
	return &app.Booking{ID: bk.ID, Start: bk.Start, End: bk.End, Confirmed: bk.Status == StatusConfirmed, Label: label}, nil
}
