package agents

import (
	"context"
	"fmt"
	"strings"
	"time"

	"orengen/app"
)

// TaskBooker books without a calendar: a free slot is a start inside the
// business hours not already requested, and a booking is a CRM task at
// the requested time on the contact, titled so nobody mistakes it for a
// confirmed appointment. The calendar module replaces it (Service.Booker).
type TaskBooker struct {
	Service *Service
	Hours   Hours
	Loc     *time.Location
}

// TaskTitlePrefix starts the title of every requested-appointment task.
const TaskTitlePrefix = "Appointment request (confirm it; no calendar connected): "

// FreeSlots lists starts every 30 minutes inside the hours, after now,
// not overlapping a requested appointment.
func (b TaskBooker) FreeSlots(ctx context.Context, tenantID int64, from, to time.Time, d time.Duration) ([]app.Slot, error) {
	now := b.Service.now()
	taken, err := b.requested(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out []app.Slot
	step := 30 * time.Minute
	start := from.In(b.Loc).Truncate(time.Minute)
	for t := start; t.Before(to) && len(out) < 48; t = t.Add(step) {
		end := t.Add(d)
		if !t.After(now.Add(30*time.Minute)) || !b.inHours(t, end) {
			continue
		}
		free := true
		for _, x := range taken {
			if t.Before(x.End) && x.Start.Before(end) {
				free = false
				break
			}
		}
		if free {
			out = append(out, app.Slot{Start: t, End: end})
		}
	}
	return out, nil
}

// inHours reports whether [t, end) lies inside one span of t's day.
func (b TaskBooker) inHours(t, end time.Time) bool {
	if b.Hours.Always() {
		return true
	}
	lt, le := t.In(b.Loc), end.In(b.Loc)
	if lt.YearDay() != le.YearDay() && le.Format("15:04") != "00:00" {
		return false
	}
	s, e := lt.Format("15:04"), le.Format("15:04")
	if e == "00:00" {
		e = "24:00"
	}
	for _, span := range b.Hours.Days[lt.Weekday()] {
		if s >= span[:5] && e <= span[6:] {
			return true
		}
	}
	return false
}

func (b TaskBooker) requested(ctx context.Context, tenantID int64) ([]app.Slot, error) {
	ts := b.Service.CRM
	if ts == nil {
		return nil, nil
	}
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
	done := false
	q := "Appointment request"
	tasks, _, err := ts.FindTasks(ctx, app.TaskFilter{ListOptions: app.ListOptions{Limit: app.MaxPageSize, Q: q}, Done: &done})
	if err != nil {
		return nil, err
	}
	var out []app.Slot
	for _, t := range tasks {
		if t.Due == nil || !strings.HasPrefix(t.Title, TaskTitlePrefix) {
			continue
		}
		mins := 30
		fmt.Sscanf(t.Title[strings.LastIndex(t.Title, "(")+1:], "%d min", &mins)
		out = append(out, app.Slot{Start: *t.Due, End: t.Due.Add(time.Duration(mins) * time.Minute)})
	}
	return out, nil
}

// Book checks the time and records the request as a task on the person.
func (b TaskBooker) Book(ctx context.Context, tenantID int64, req app.BookingRequest) (*app.Booking, error) {
	now := b.Service.now()
	if req.Duration <= 0 {
		req.Duration = 30 * time.Minute
	}
	if !req.Start.After(now) {
		return nil, app.FieldErrorf("start", "That time is in the past.")
	}
	if !b.inHours(req.Start, req.Start.Add(req.Duration)) {
		return nil, app.FieldErrorf("start", "That time is outside the business hours (%s).", b.Hours.Describe())
	}
	taken, err := b.requested(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	end := req.Start.Add(req.Duration)
	for _, x := range taken {
		if req.Start.Before(x.End) && x.Start.Before(end) {
			return nil, app.Errorf(app.ECONFLICT, "That time was just requested by someone else; check availability again.")
		}
	}
	topic := strings.TrimSpace(req.Title)
	if topic == "" {
		topic = "appointment"
	}
	due := req.Start.UTC()
	t := &app.Task{Title: truncateRunes(fmt.Sprintf("%s%s at %s (%d min)", TaskTitlePrefix, topic, req.Start.In(b.Loc).Format("Mon 2 Jan 15:04 MST"), int(req.Duration.Minutes())), 300),
		Due: &due, RecordType: app.RecordPerson, RecordID: req.PersonID}
	if err := b.Service.CRM.CreateTask(app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID}), t); err != nil {
		return nil, err
	}
	return &app.Booking{ID: t.ID, Start: req.Start, End: end, Confirmed: false,
		Label: fmt.Sprintf("Appointment request (task #%d): not on a calendar yet; the team confirms it", t.ID)}, nil
}
