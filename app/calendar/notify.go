package calendar

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// Notice kinds: emails (and workflow triggers) a booking's changes cause.
// They are written in the booking's transaction (an outbox) and sent by
// RunNotices, so a crash between the commit and the email loses nothing.
const (
	NoticeBooked      = "booked"
	NoticeRescheduled = "rescheduled"
	NoticeCancelled   = "cancelled"
	NoticeConfirmed   = "confirmed"
	NoticeReminder    = "reminder" // Minutes before the start
)

// Reminders are sent this many minutes before a booking starts.
var Reminders = []int{24 * 60, 60}

// Notice is one queued notification of a booking.
type Notice struct {
	ID        int64
	TenantID  int64
	BookingID int64
	Kind      string
	Minutes   int // reminders: minutes before the start
	DueAt     time.Time
	Attempts  int
}

// NoticeStore queues and claims notices (across tenants: the worker
// serves all of them).
type NoticeStore interface {
	// ClaimNotices marks up to limit due pending notices as sending and
	// returns them; a notice left sending past the lease is claimed again.
	ClaimNotices(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Notice, error)
	// FinishNotice records the outcome: "" sent; else the error, retried
	// later (retryAt) until attempts run out.
	FinishNotice(ctx context.Context, id int64, errText string, retryAt *time.Time) error
}

// NoticesFor returns the notices a booking change queues: the change
// itself and, for an active booking, the reminders still ahead
// (RemindersFor).
func NoticesFor(kind string, b *Booking, now time.Time, extra ...int) []Notice {
	return append([]Notice{{Kind: kind, DueAt: now}}, RemindersFor(b, now, extra...)...)
}

// RemindersFor returns a confirmed booking's reminders still ahead at
// now: the calendar's own (Reminders, emailed) and the extra minutes the
// tenant's "starts in N minutes" workflows ask for (a trigger only).
func RemindersFor(b *Booking, now time.Time, extra ...int) []Notice {
	if b.Status != StatusConfirmed {
		return nil
	}
	all := slices.Clone(Reminders)
	for _, m := range extra {
		if m > 0 && !slices.Contains(all, m) {
			all = append(all, m)
		}
	}
	var out []Notice
	for _, m := range all {
		due := b.Start.Add(-time.Duration(m) * time.Minute)
		if due.After(now) {
			out = append(out, Notice{Kind: NoticeReminder, Minutes: m, DueAt: due})
		}
	}
	return out
}

// Token is the signed secret of a booking's cancel and reschedule links:
// tenant, booking and sequence, so a link stops working once the booking
// is rescheduled (a newer email has the newer link).
func (s *Service) Token(b *Booking) string {
	payload := fmt.Sprintf("%d.%d.%d", b.TenantID, b.ID, b.Sequence)
	p := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return p + "." + s.tokenMAC(p)
}

func (s *Service) tokenMAC(p string) string {
	m := hmac.New(sha256.New, s.TokenKey)
	m.Write([]byte("calendar booking|" + p))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// ParseToken checks a booking link's token. Returns ENOTFOUND for a
// forged or malformed one.
func (s *Service) ParseToken(tok string) (tenantID, bookingID int64, seq int, err error) {
	bad := app.Errorf(app.ENOTFOUND, "This booking link is not valid.")
	p, mac, ok := strings.Cut(tok, ".")
	if !ok || len(s.TokenKey) == 0 || !hmac.Equal([]byte(mac), []byte(s.tokenMAC(p))) {
		return 0, 0, 0, bad
	}
	raw, derr := base64.RawURLEncoding.DecodeString(p)
	parts := strings.Split(string(raw), ".")
	if derr != nil || len(parts) != 3 {
		return 0, 0, 0, bad
	}
	tenantID, e1 := strconv.ParseInt(parts[0], 10, 64)
	bookingID, e2 := strconv.ParseInt(parts[1], 10, 64)
	seq, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil {
		return 0, 0, 0, bad
	}
	return tenantID, bookingID, seq, nil
}

// Invite is what an .ics attachment describes.
type Invite struct {
	Method         string // REQUEST or CANCEL
	Booking        *Booking
	OrganizerName  string
	OrganizerEmail string
	Attendees      []string // emails
	Description    string
	URL            string
}

// ICS encodes iCalendar data (package caldav implements it).
type ICS interface {
	// Invite returns a VCALENDAR with one VEVENT for the booking.
	Invite(inv *Invite) ([]byte, error)
	// Feed returns a VCALENDAR of the events (a calendar's private feed).
	Feed(name string, events []FeedEvent) ([]byte, error)
}

// FeedEvent is an event of a private ICS feed.
type FeedEvent struct {
	UID      string
	Start    time.Time
	End      time.Time
	Summary  string
	Location string
	Sequence int
	Status   string // CONFIRMED, TENTATIVE or CANCELLED
	// Description and URL are optional (a community event's text and
	// page).
	Description string
	URL         string
}

// Contact is who a host calendar belongs to, for the host's email.
type Contact struct {
	Name  string
	Email string
}

// Notifier sends a notice's emails. The service's RunNotices uses it.
type Notifier struct {
	Service *Service
	Notices NoticeStore
	ICS     ICS
	// Mailer returns the tenant's mailer (its SMTP, else the default).
	Mailer func(ctx context.Context, tenantID int64) (app.Mailer, error)
	// Host returns the owner of a host calendar ("" email: no host mail).
	Host func(ctx context.Context, c *Calendar) (Contact, error)
	// Brand is the tenant's name shown as the sender (white label).
	Brand func(ctx context.Context, tenantID int64) string
	// ManageURL is the guest's page to cancel or reschedule (token).
	ManageURL func(ctx context.Context, tenantID int64, token string) string
	// HostPage is the hosts' bookings page behind their sign-in (Nexus
	// for the house tenant, else the portal), where a booking awaiting
	// confirmation is confirmed or declined (nil: the email names none).
	HostPage func(ctx context.Context, tenantID int64) string
	// Trigger starts the tenant's workflows on a booking event (nil: none).
	Trigger func(ctx context.Context, tenantID int64, trigger string, payload []byte) (int, error)
}

// MaxNoticeAttempts bounds retries of one notice.
const MaxNoticeAttempts = 8

// Send sends one notice: to the guest and to each host, with an .ics
// invitation (a cancellation for a cancelled booking). A reminder of a
// booking that was cancelled or moved since is dropped.
func (n *Notifier) Send(ctx context.Context, no *Notice) error {
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: no.TenantID})
	s := n.Service
	b, err := s.store.FindBooking(ctx, no.BookingID)
	if err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil
		}
		return err
	}
	if no.Kind == NoticeReminder {
		// A change of the booking dropped its older reminders (in its
		// transaction), so a reminder still queued is for this time.
		if b.Status != StatusConfirmed || !b.Start.After(n.Service.now()) {
			return nil
		}
	}
	if n.Trigger != nil {
		if err := n.trigger(ctx, no, b); err != nil {
			return err
		}
	}
	if no.Kind == NoticeReminder && !slices.Contains(Reminders, no.Minutes) {
		return nil // a workflow's "starts in N minutes": its trigger only
	}
	brand := "Bookings"
	if n.Brand != nil {
		brand = n.Brand(ctx, no.TenantID)
	}
	var hosts []Contact
	for _, id := range b.Hosts {
		c, err := s.store.FindCalendar(ctx, id)
		if err != nil {
			continue
		}
		if n.Host != nil {
			h, err := n.Host(ctx, c)
			if err != nil {
				return err
			}
			if h.Email != "" {
				hosts = append(hosts, h)
			}
		}
	}
	method := "REQUEST"
	if b.Status == StatusCancelled {
		method = "CANCEL"
	}
	inv := &Invite{Method: method, Booking: b, OrganizerName: brand, Attendees: []string{b.Email}}
	if len(hosts) > 0 {
		inv.OrganizerName, inv.OrganizerEmail = hosts[0].Name, hosts[0].Email
		for _, h := range hosts {
			inv.Attendees = append(inv.Attendees, h.Email)
		}
	}
	manage := ""
	if n.ManageURL != nil {
		manage = n.ManageURL(ctx, no.TenantID, s.Token(b))
	}
	inv.URL = manage
	hostPage := ""
	if n.HostPage != nil {
		hostPage = n.HostPage(ctx, no.TenantID)
	}
	inv.Description = b.Location
	ics, err := n.ICS.Invite(inv)
	if err != nil {
		return fmt.Errorf("booking invite: %w", err)
	}
	m, err := n.Mailer(ctx, no.TenantID)
	if err != nil {
		return err
	}
	guestZone, _ := time.LoadLocation(b.TimeZone)
	if guestZone == nil {
		guestZone = time.UTC
	}
	send := func(to string, loc *time.Location, forHost bool) error {
		subj, text := noticeText(no, b, loc, brand, manage, forHost)
		if forHost && b.Status == StatusPending && hostPage != "" {
			text = "It waits for your confirmation: confirm or decline it at " + hostPage + "\n\n" + text
		}
		return m.Send(ctx, &app.Message{TenantID: no.TenantID, FromName: brand, To: to, Subject: subj, Text: text,
			Attachments: []app.Attachment{{Name: "invite.ics", ContentType: "text/calendar; charset=utf-8; method=" + method, Data: ics}}})
	}
	if err := send(b.Email, guestZone, false); err != nil {
		return err
	}
	if no.Kind == NoticeReminder && no.Minutes < 24*60 {
		// The hosts' own calendars remind them of the hour; the day-ahead
		// reminder goes to both.
		return nil
	}
	for _, h := range hosts {
		loc := time.UTC
		for _, id := range b.Hosts {
			if c, err := s.store.FindCalendar(ctx, id); err == nil {
				loc = c.Location()
				break
			}
		}
		if err := send(h.Email, loc, true); err != nil {
			return err
		}
	}
	return nil
}

// noticeText is a notice's subject and body, times in loc.
func noticeText(no *Notice, b *Booking, loc *time.Location, brand, manage string, forHost bool) (string, string) {
	when := b.Start.In(loc).Format("Monday 2 January 2006, 15:04") + " to " + b.End.In(loc).Format("15:04 MST")
	var subj, lead string
	switch no.Kind {
	case NoticeBooked:
		subj, lead = "Booked: "+b.Title, "Your appointment is booked."
		if b.Status == StatusPending {
			subj, lead = "Requested: "+b.Title, "Your appointment is requested; you will get an email once it is confirmed."
		}
		if forHost {
			lead = b.Name + " <" + b.Email + "> booked " + b.Title + "."
		}
	case NoticeConfirmed:
		subj, lead = "Confirmed: "+b.Title, "Your appointment is confirmed."
	case NoticeRescheduled:
		subj, lead = "Rescheduled: "+b.Title, "Your appointment has a new time."
	case NoticeCancelled:
		subj, lead = "Cancelled: "+b.Title, "Your appointment is cancelled."
		if b.CancelReason != "" {
			lead += " Reason: " + b.CancelReason
		}
	default:
		subj = fmt.Sprintf("Reminder: %s in %s", b.Title, humanMinutes(no.Minutes))
		lead = "A reminder of your appointment."
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\n%s\nWhen: %s\n", lead, b.Title, when)
	if b.Location != "" {
		fmt.Fprintf(&sb, "Where: %s\n", b.Location)
	}
	if forHost {
		fmt.Fprintf(&sb, "Guest: %s <%s>", b.Name, b.Email)
		if b.Phone != "" {
			sb.WriteString(", " + b.Phone)
		}
		sb.WriteString("\n")
		for k, v := range b.Answers {
			fmt.Fprintf(&sb, "%s: %s\n", k, v)
		}
		if b.Notes != "" {
			sb.WriteString("Notes: " + b.Notes + "\n")
		}
	}
	if manage != "" && b.Status != StatusCancelled {
		fmt.Fprintf(&sb, "\nTo cancel or reschedule: %s\n", manage)
	}
	fmt.Fprintf(&sb, "\n%s\n", brand)
	return subj, sb.String()
}

func humanMinutes(m int) string {
	switch {
	case m%(24*60) == 0:
		if m == 24*60 {
			return "24 hours"
		}
		return fmt.Sprintf("%d days", m/(24*60))
	case m%60 == 0:
		if m == 60 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", m/60)
	}
	return fmt.Sprintf("%d minutes", m)
}

// Workflow triggers of booking events.
const (
	TriggerBooked      = app.TriggerAppointmentBooked
	TriggerCancelled   = app.TriggerAppointmentCancelled
	TriggerRescheduled = app.TriggerAppointmentRescheduled
	TriggerStartsSoon  = app.TriggerAppointmentStartsSoon
)

func (n *Notifier) trigger(ctx context.Context, no *Notice, b *Booking) error {
	name := map[string]string{NoticeBooked: TriggerBooked, NoticeCancelled: TriggerCancelled, NoticeRescheduled: TriggerRescheduled, NoticeReminder: TriggerStartsSoon}[no.Kind]
	if name == "" {
		return nil
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	payload, _ := json.Marshal(map[string]string{"booking_id": i64(b.ID), "event_type_id": i64(b.EventTypeID), "person_id": i64(b.PersonID),
		"title": b.Title, "name": b.Name, "email": b.Email, "phone": b.Phone, "start": b.Start.UTC().Format(time.RFC3339),
		"end": b.End.UTC().Format(time.RFC3339), "location": b.Location, "minutes_before": strconv.Itoa(no.Minutes),
		"default_reminder": strconv.FormatBool(no.Kind == NoticeReminder && slices.Contains(Reminders, no.Minutes))})
	_, err := n.Trigger(ctx, no.TenantID, name, []byte(payload))
	return err
}

// DefaultNoticeLease is how long a claimed notice may take before it is
// claimed again.
const DefaultNoticeLease = 2 * time.Minute

// Run sends due notices until ctx ends, polling every interval.
func (n *Notifier) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	app.Every(ctx, interval, func(ctx context.Context) { n.RunOnce(ctx) })
}

// RunOnce sends the notices due now; it returns how many it handled.
func (n *Notifier) RunOnce(ctx context.Context) int {
	now := n.Service.now()
	ns, err := n.Notices.ClaimNotices(ctx, now, DefaultNoticeLease, 50)
	if err != nil {
		n.log("calendar notices: claim", err)
		return 0
	}
	for _, no := range ns {
		err := n.Send(ctx, no)
		var retry *time.Time
		msg := ""
		if err != nil {
			msg = app.ErrorMessage(err)
			if app.ErrorCode(err) == app.EINTERNAL {
				msg = err.Error()
			}
			if no.Attempts+1 < MaxNoticeAttempts {
				t := now.Add(time.Duration(1<<no.Attempts) * time.Minute)
				retry = &t
			}
			n.log("calendar notice "+no.Kind, err)
		}
		if ferr := n.Notices.FinishNotice(context.WithoutCancel(ctx), no.ID, msg, retry); ferr != nil {
			n.log("calendar notices: finish", ferr)
		}
	}
	return len(ns)
}

func (n *Notifier) log(msg string, err error) {
	if n.Service.Logger != nil {
		n.Service.Logger.Error(msg, "err", err)
	}
}
