// Package caldav is the calendar's outside technologies: iCalendar
// (RFC 5545) encoding and parsing with github.com/emersion/go-ical,
// recurrence expansion with github.com/teambition/rrule-go, and CalDAV
// (RFC 4791, with RFC 6578 sync tokens) with github.com/emersion/go-webdav.
// It implements interfaces of app/calendar and imports no other project
// package but app.
package caldav

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"orengen/app/calendar"
)

// ProdID names the appliance in the iCalendar data it writes.
const ProdID = "-//orengen//calendar//EN"

// ICS implements calendar.ICS.
type ICS struct{}

var _ calendar.ICS = ICS{}

func newCal(method string) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, ProdID)
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	if method != "" {
		cal.Props.SetText(ical.PropMethod, method)
	}
	return cal
}

func encode(cal *ical.Calendar) ([]byte, error) {
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("encode ics: %w", err)
	}
	return buf.Bytes(), nil
}

func mailto(email string) string { return "mailto:" + strings.TrimSpace(email) }

// Invite implements calendar.ICS: METHOD:REQUEST (or CANCEL) with the
// booking's UID and SEQUENCE, so calendar programs update the one event
// on a reschedule and remove it on a cancellation.
func (ICS) Invite(inv *calendar.Invite) ([]byte, error) {
	b := inv.Booking
	cal := newCal(inv.Method)
	ev := bookingEvent(b, time.Now())
	if inv.OrganizerEmail != "" {
		p := ical.NewProp(ical.PropOrganizer)
		p.Value = mailto(inv.OrganizerEmail)
		if inv.OrganizerName != "" {
			p.Params.Set(ical.ParamCommonName, inv.OrganizerName)
		}
		ev.Props.Set(p)
	}
	for _, a := range inv.Attendees {
		p := ical.NewProp(ical.PropAttendee)
		p.Value = mailto(a)
		p.Params.Set(ical.ParamRole, "REQ-PARTICIPANT")
		if a == b.Email && b.Name != "" {
			p.Params.Set(ical.ParamCommonName, b.Name)
		}
		ev.Props.Add(p)
	}
	desc := inv.Description
	if inv.URL != "" {
		desc = strings.TrimSpace(desc + "\n\nCancel or reschedule: " + inv.URL)
		ev.Props.SetText(ical.PropURL, inv.URL)
	}
	if desc != "" {
		ev.Props.SetText(ical.PropDescription, desc)
	}
	cal.Children = append(cal.Children, ev.Component)
	return encode(cal)
}

// bookingEvent is a booking as a VEVENT (times in UTC).
func bookingEvent(b *calendar.Booking, stamp time.Time) *ical.Event {
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, b.UID)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp.UTC().Truncate(time.Second))
	ev.Props.SetDateTime(ical.PropDateTimeStart, b.Start.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeEnd, b.End.UTC())
	ev.Props.SetText(ical.PropSummary, b.Title+": "+b.Name)
	seq := ical.NewProp(ical.PropSequence)
	seq.Value = fmt.Sprint(b.Sequence)
	ev.Props.Set(seq)
	if b.Location != "" {
		ev.Props.SetText(ical.PropLocation, b.Location)
	}
	switch b.Status {
	case calendar.StatusCancelled:
		ev.SetStatus(ical.EventCancelled)
	case calendar.StatusPending:
		ev.SetStatus(ical.EventTentative)
	default:
		ev.SetStatus(ical.EventConfirmed)
	}
	return ev
}

// Feed implements calendar.ICS.
func (ICS) Feed(name string, events []calendar.FeedEvent) ([]byte, error) {
	cal := newCal("PUBLISH")
	cal.Props.SetText("X-WR-CALNAME", name)
	now := time.Now().UTC().Truncate(time.Second)
	for _, e := range events {
		ev := ical.NewEvent()
		ev.Props.SetText(ical.PropUID, e.UID)
		ev.Props.SetDateTime(ical.PropDateTimeStamp, now)
		ev.Props.SetDateTime(ical.PropDateTimeStart, e.Start.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, e.End.UTC())
		ev.Props.SetText(ical.PropSummary, e.Summary)
		seq := ical.NewProp(ical.PropSequence)
		seq.Value = fmt.Sprint(e.Sequence)
		ev.Props.Set(seq)
		if e.Location != "" {
			ev.Props.SetText(ical.PropLocation, e.Location)
		}
		if e.Status != "" {
			ev.SetStatus(ical.EventStatus(e.Status))
		}
		if e.Description != "" {
			ev.Props.SetText(ical.PropDescription, e.Description)
		}
		if e.URL != "" {
			ev.Props.SetText(ical.PropURL, e.URL)
		}
		cal.Children = append(cal.Children, ev.Component)
	}
	return encode(cal)
}
