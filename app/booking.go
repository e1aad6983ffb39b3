package app

import (
	"context"
	"errors"
	"time"
)

// ErrNoCalendar is a Booker's answer for a tenant with no bookable
// calendar: the caller falls back to requesting the time (a task).
var ErrNoCalendar = errors.New("no bookable calendar")

// Booker finds free times and books appointments for a tenant. Agent
// Studio's check_availability and book_appointment tools call it; the
// calendar module implements it with real calendars. Until one is wired,
// Agent Studio books by creating a clearly labelled CRM task at the
// requested time (agents.TaskBooker).
type Booker interface {
	// FreeSlots lists free starts of length d between from and to.
	FreeSlots(ctx context.Context, tenantID int64, from, to time.Time, d time.Duration) ([]Slot, error)
	// Book books req. Returns ECONFLICT when the time is no longer free
	// and EINVALID for a time outside availability or in the past.
	Book(ctx context.Context, tenantID int64, req BookingRequest) (*Booking, error)
}

// Slot is a free time.
type Slot struct {
	Start time.Time
	End   time.Time
}

// BookingRequest asks for an appointment for a CRM person.
type BookingRequest struct {
	PersonID int64
	Start    time.Time
	Duration time.Duration
	Title    string
	Notes    string
	// Source names who books ("agent:12").
	Source string
}

// Booking is a booked (or requested) appointment.
type Booking struct {
	ID    int64
	Start time.Time
	End   time.Time
	// Confirmed is false when the time is only requested (a task for the
	// team to confirm), true when it is on a calendar.
	Confirmed bool
	// Label says to people what was made, like "Appointment request
	// (task #12): not on a calendar yet".
	Label string
}
