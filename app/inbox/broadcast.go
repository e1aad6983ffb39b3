package inbox

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"orengen/app"
)

// Broadcasts (issue #18): a text or an email to the people of a saved
// CRM view. Creating one writes a row per person of the view: queued, or
// skipped with the reason (no phone, no consent, texted STOP,
// unsubscribed, an address another recipient has). A background sender
// works through the queued rows at the channel's rate (per tenant and
// channel, so two broadcasts share the number's rate): it records the
// message in the person's thread and marks the row "sending" in one
// transaction before it hands the message to the provider, and "sent" or
// "failed" after. A restart resumes with the queued rows; a row a crash
// left "sending" is marked failed and never sent again, so nobody gets a
// broadcast twice. Delivery (Twilio's status callbacks), replies and
// opt-outs are read from the thread and the person for the report.

// Broadcast statuses.
const (
	BroadcastSending   = "sending"
	BroadcastDone      = "done"
	BroadcastCancelled = "cancelled"
)

// Recipient statuses.
const (
	RecipientQueued    = "queued"
	RecipientSending   = "sending"
	RecipientSent      = "sent"
	RecipientFailed    = "failed"
	RecipientSkipped   = "skipped"
	RecipientCancelled = "cancelled"
)

// Reasons a person is skipped or a send failed.
const (
	ReasonNoPhone        = "no phone number"
	ReasonNoEmail        = "no email address"
	ReasonTextedStop     = "texted STOP"
	ReasonNoSMSConsent   = "no SMS consent"
	ReasonUnsubscribed   = "unsubscribed from email"
	ReasonNoEmailConsent = "no email consent"
	ReasonDuplicate      = "same address as another recipient"
	ReasonInterrupted    = "interrupted while sending (restart): not sent again, so nobody gets it twice"
)

// EmailOptOutTag marks a person who unsubscribed from broadcast email.
const EmailOptOutTag = "email-unsubscribed"

// Rates and limits.
const (
	// DefaultSMSRate is Twilio's rate for a long code: one text a second.
	DefaultSMSRate = 1.0
	// DefaultEmailRate keeps a tenant's SMTP server (and its sending
	// reputation) from a burst: five a second.
	DefaultEmailRate = 5.0
	MaxBroadcastRate = 100.0
	MaxRecipients    = 20000
	MaxSubject       = 200
)

// BroadcastActor prefixes the author of a broadcast's messages.
const BroadcastActor = "broadcast:"

// Broadcast is a text or an email to a saved view's people.
type Broadcast struct {
	ID         int64
	TenantID   int64
	ViewID     int64
	ViewName   string
	Channel    string // sms or email
	Subject    string // email only
	Body       string // with {{first_name}}-style fields
	Rate       float64
	Status     string
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
	Report     BroadcastReport
}

// BroadcastReport counts a broadcast's recipients. Sent is every message
// the provider took (Delivered those it confirmed delivered); Failed the
// sends refused or interrupted and the texts the carrier reported
// undelivered; Replies the recipients who wrote in the thread after the
// send; OptedOut the recipients who since opted out of the channel.
type BroadcastReport struct {
	Total, Queued, Sent, Delivered, Failed, Skipped, Cancelled, Replies, OptedOut int
	Reasons                                                                       []ReasonCount
}

// Done is the share of recipients no longer queued, 0 to 100.
func (r BroadcastReport) Done() int {
	if r.Total == 0 {
		return 100
	}
	return 100 * (r.Total - r.Queued) / r.Total
}

// ReasonCount is how many recipients were skipped or failed (Status) for
// a reason.
type ReasonCount struct {
	Status string
	Reason string
	Count  int
}

// Recipient is one person of a broadcast.
type Recipient struct {
	ID             int64
	TenantID       int64
	BroadcastID    int64
	PersonID       int64
	Name           string
	Address        string
	Status         string
	Reason         string
	ConversationID int64
	MessageID      int64
	Delivery       string // the thread message's delivery status
	SentAt         *time.Time
}

// Thread says where a broadcast's message goes: the conversation with
// the person on the channel (found by ThreadKey, created when new).
type Thread struct {
	ThreadKey    string
	Address      string
	LocalAddress string
	ContactName  string
	Subject      string
}

// BroadcastStore keeps broadcasts and their recipients, every method
// scoped to the tenant (the sender's ActiveBroadcasts and
// FailInterrupted span tenants: they run as the appliance).
type BroadcastStore interface {
	// CreateBroadcast stores b and its recipients in one transaction.
	CreateBroadcast(ctx context.Context, b *Broadcast, rs []*Recipient) error
	// FindBroadcast returns a broadcast with its report. ENOTFOUND.
	FindBroadcast(ctx context.Context, tenantID, id int64) (*Broadcast, error)
	// FindBroadcasts lists the tenant's broadcasts, newest first, with
	// their reports.
	FindBroadcasts(ctx context.Context, tenantID int64, limit int) ([]*Broadcast, error)
	// FindRecipients lists a broadcast's recipients (of a status: "" all)
	// in order.
	FindRecipients(ctx context.Context, tenantID, broadcastID int64, status string, limit int) ([]*Recipient, error)
	// ActiveBroadcasts lists every tenant's broadcasts still sending,
	// oldest first.
	ActiveBroadcasts(ctx context.Context) ([]*Broadcast, error)
	// NextRecipient returns the broadcast's first queued recipient;
	// ENOTFOUND when none is left (the broadcast is then marked done).
	NextRecipient(ctx context.Context, tenantID, broadcastID int64) (*Recipient, error)
	// StartRecipient records m in the recipient's thread (created when
	// new, on the person's timeline) and marks the recipient sending, in
	// one transaction; ECONFLICT when the recipient is no longer queued
	// (the broadcast was cancelled).
	StartRecipient(ctx context.Context, r *Recipient, channel string, th Thread, m *Message) (*Conversation, error)
	// FinishRecipient records the outcome of a send (or a skip at send
	// time): the recipient's status and reason, and the message's
	// provider ID and delivery status.
	FinishRecipient(ctx context.Context, r *Recipient, status, reason, providerID string) error
	// CancelBroadcast stops a sending broadcast: its queued recipients
	// become cancelled. ENOTFOUND; ECONFLICT when it is not sending.
	CancelBroadcast(ctx context.Context, tenantID, id int64) error
	// UnsubscribeEmail records the person's email opt-out (EmailOptOutTag,
	// email consent off, a timeline line); a second time changes nothing.
	// ENOTFOUND.
	UnsubscribeEmail(ctx context.Context, tenantID, personID int64) error
	// FailInterrupted marks failed every recipient left sending (by a
	// crash or a restart): their message may have gone out.
	FailInterrupted(ctx context.Context) (int, error)
}

// Audience is the CRM as broadcasts read it: a saved view and its people
// (tenant in ctx). CRMService implements it.
type Audience interface {
	FindViews(ctx context.Context, object string) ([]*app.View, error)
	FindView(ctx context.Context, id int64) (*app.View, error)
	FindPeople(ctx context.Context, f app.PersonFilter) ([]*app.Person, string, error)
}

// BroadcastInput is a new broadcast.
type BroadcastInput struct {
	TenantID int64 // a Nexus admin's (or admin key's) choice; ignored for a tenant
	ViewID   int64
	Channel  string
	Subject  string
	Body     string
	Rate     float64 // messages a second; 0: the channel's default
}

// BroadcastPreview is who a broadcast would reach.
type BroadcastPreview struct {
	ViewName string
	Total    int
	Send     int
	Skipped  []ReasonCount
	// Sample is the text the first recipient would get, fields filled.
	Sample string
}

// DefaultRate is a channel's default rate.
func DefaultRate(channel string) float64 {
	if channel == ChannelEmail {
		return DefaultEmailRate
	}
	return DefaultSMSRate
}

// check validates in. Returns EINVALID naming the field.
func (in *BroadcastInput) check() error {
	in.Subject = strings.TrimSpace(strings.ToValidUTF8(in.Subject, ""))
	in.Body = strings.TrimSpace(strings.ToValidUTF8(in.Body, ""))
	if in.ViewID <= 0 {
		return app.FieldErrorf("view_id", "Choose a saved view of people.")
	}
	switch in.Channel {
	case ChannelSMS:
		if utf8.RuneCountInString(in.Body) > MaxReply {
			return app.FieldErrorf("body", "A text is at most %d characters.", MaxReply)
		}
		if in.Subject != "" {
			return app.FieldErrorf("subject", "A text has no subject.")
		}
	case ChannelEmail:
		if in.Subject == "" || utf8.RuneCountInString(in.Subject) > MaxSubject || strings.ContainsAny(in.Subject, "\r\n") {
			return app.FieldErrorf("subject", "Subject required (one line, at most %d characters).", MaxSubject)
		}
		if utf8.RuneCountInString(in.Body) > MaxBody {
			return app.FieldErrorf("body", "An email is at most %d characters.", MaxBody)
		}
	default:
		return app.FieldErrorf("channel", "Channel must be sms or email.")
	}
	if in.Body == "" {
		return app.FieldErrorf("body", "Write the message.")
	}
	if in.Rate == 0 {
		in.Rate = DefaultRate(in.Channel)
	}
	if math.IsNaN(in.Rate) || in.Rate < 0.01 || in.Rate > MaxBroadcastRate {
		return app.FieldErrorf("rate", "Rate is 0.01 to %g messages a second.", MaxBroadcastRate)
	}
	return nil
}

// broadcastTenant is the caller's tenant, or tenantID for a Nexus admin.
func broadcastTenant(ctx context.Context, tenantID int64) (int64, error) {
	tid, all, err := scope(ctx)
	if err != nil {
		return 0, err
	}
	if all {
		tid = tenantID
	}
	if tid <= 0 {
		return 0, app.FieldErrorf("tenant_id", "Choose the tenant.")
	}
	return tid, nil
}

// audience reads the view's people (at most MaxRecipients) and decides
// for each whether they get the broadcast: one recipient per person,
// queued or skipped with the reason.
func (s *Service) audience(ctx context.Context, tid int64, in *BroadcastInput) (*app.View, []*Recipient, []*app.Person, error) {
	if s.Audience == nil || s.Broadcasts == nil {
		return nil, nil, nil, app.Errorf(app.EINVALID, "Broadcasts are not configured.")
	}
	tctx := app.NewContextWithTenant(appliance(ctx), &app.Tenant{ID: tid})
	v, err := s.Audience.FindView(tctx, in.ViewID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, nil, nil, app.FieldErrorf("view_id", "No saved view %d.", in.ViewID)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if v.Object != app.RecordPerson {
		return nil, nil, nil, app.FieldErrorf("view_id", "Choose a saved view of people (view %q lists %ss).", v.Name, v.Object)
	}
	var people []*app.Person
	cursor := ""
	for {
		ps, next, err := s.Audience.FindPeople(tctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: app.MaxPageSize, Cursor: cursor, Where: v.Where, Sort: "created_at"}})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("broadcast audience: %w", err)
		}
		people = append(people, ps...)
		if len(people) > MaxRecipients {
			return nil, nil, nil, app.FieldErrorf("view_id", "A broadcast goes to at most %d people; the view %q has more. Narrow it.", MaxRecipients, v.Name)
		}
		if next == "" || len(ps) == 0 {
			break
		}
		cursor = next
	}
	seen := map[string]bool{}
	rs := make([]*Recipient, 0, len(people))
	for _, p := range people {
		r := &Recipient{TenantID: tid, PersonID: p.ID, Name: p.Name(), Status: RecipientQueued}
		r.Address, r.Reason = eligible(in.Channel, p)
		if r.Reason == "" && seen[r.Address] {
			r.Reason = ReasonDuplicate
		}
		if r.Reason != "" {
			r.Status = RecipientSkipped
		} else {
			seen[r.Address] = true
		}
		rs = append(rs, r)
	}
	return v, rs, people, nil
}

// eligible returns the person's address on the channel, or why they get
// no broadcast: a text needs a phone, recorded SMS consent and no STOP;
// an email needs an address, recorded email consent and no unsubscribe.
func eligible(channel string, p *app.Person) (addr, reason string) {
	if channel == ChannelSMS {
		switch {
		case len(p.Phones) == 0:
			return "", ReasonNoPhone
		case slices.Contains(p.Tags, OptOutTag):
			return p.Phones[0], ReasonTextedStop
		case !p.Consent.SMS:
			return p.Phones[0], ReasonNoSMSConsent
		}
		return p.Phones[0], ""
	}
	switch {
	case len(p.Emails) == 0:
		return "", ReasonNoEmail
	case slices.Contains(p.Tags, EmailOptOutTag):
		return p.Emails[0], ReasonUnsubscribed
	case !p.Consent.Email:
		return p.Emails[0], ReasonNoEmailConsent
	}
	return p.Emails[0], ""
}

// PreviewBroadcast says who in would reach, without sending or storing
// anything. Returns EINVALID naming the field.
func (s *Service) PreviewBroadcast(ctx context.Context, in BroadcastInput) (*BroadcastPreview, error) {
	tid, err := broadcastTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	v, rs, people, err := s.audience(ctx, tid, &in)
	if err != nil {
		return nil, err
	}
	pv := &BroadcastPreview{ViewName: v.Name, Total: len(rs)}
	pv.Send, pv.Skipped = countRecipients(rs)
	for i, r := range rs {
		if r.Status == RecipientQueued {
			pv.Sample = FillCanned(in.Body, &Conversation{Channel: in.Channel, Address: r.Address, ContactName: r.Name}, people[i])
			break
		}
	}
	return pv, nil
}

// countRecipients counts the queued recipients and the skipped ones by
// reason.
func countRecipients(rs []*Recipient) (int, []ReasonCount) {
	send := 0
	var skipped []ReasonCount
	for _, r := range rs {
		if r.Status == RecipientQueued {
			send++
			continue
		}
		i := slices.IndexFunc(skipped, func(c ReasonCount) bool { return c.Reason == r.Reason })
		if i < 0 {
			skipped = append(skipped, ReasonCount{Status: RecipientSkipped, Reason: r.Reason})
			i = len(skipped) - 1
		}
		skipped[i].Count++
	}
	return send, skipped
}

// CreateBroadcast queues a broadcast to the view's people; the sender
// starts at once. Returns EINVALID naming the field (view_id, channel,
// subject, body, rate), also when nobody in the view can receive it.
func (s *Service) CreateBroadcast(ctx context.Context, in BroadcastInput) (*Broadcast, error) {
	tid, err := broadcastTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	v, rs, _, err := s.audience(ctx, tid, &in)
	if err != nil {
		return nil, err
	}
	if send, skipped := countRecipients(rs); send == 0 {
		why := make([]string, len(skipped))
		for i, c := range skipped {
			why[i] = fmt.Sprintf("%d %s", c.Count, c.Reason)
		}
		msg := fmt.Sprintf("Nobody in the view %q can receive it", v.Name)
		if len(why) > 0 {
			msg += " (" + strings.Join(why, ", ") + ")"
		}
		return nil, app.FieldErrorf("view_id", "%s.", msg)
	}
	b := &Broadcast{TenantID: tid, ViewID: v.ID, ViewName: v.Name, Channel: in.Channel, Subject: in.Subject, Body: in.Body, Rate: in.Rate,
		Status: BroadcastSending, CreatedBy: app.ActorFromContext(ctx)}
	if err := s.Broadcasts.CreateBroadcast(ctx, b, rs); err != nil {
		return nil, err
	}
	s.wakeSender()
	return s.Broadcasts.FindBroadcast(ctx, tid, b.ID)
}

// BroadcastViews lists the saved views of people a broadcast can go to.
func (s *Service) BroadcastViews(ctx context.Context, tenantID int64) ([]*app.View, error) {
	tid, err := broadcastTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if s.Audience == nil {
		return []*app.View{}, nil
	}
	return s.Audience.FindViews(app.NewContextWithTenant(appliance(ctx), &app.Tenant{ID: tid}), app.RecordPerson)
}

// BroadcastList lists the caller's tenant's broadcasts with their reports
// (a Nexus admin's: of tenantID).
func (s *Service) BroadcastList(ctx context.Context, tenantID int64) ([]*Broadcast, error) {
	tid, err := broadcastTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if s.Broadcasts == nil {
		return []*Broadcast{}, nil
	}
	return s.Broadcasts.FindBroadcasts(ctx, tid, 100)
}

// Broadcast returns a broadcast with its report. ENOTFOUND for another
// tenant's.
func (s *Service) Broadcast(ctx context.Context, tenantID, id int64) (*Broadcast, error) {
	tid, err := broadcastTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if s.Broadcasts == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Broadcast not found.")
	}
	return s.Broadcasts.FindBroadcast(ctx, tid, id)
}

// BroadcastRecipients lists a broadcast's recipients (of status: ""
// every one), at most 500.
func (s *Service) BroadcastRecipients(ctx context.Context, tenantID, id int64, status string) ([]*Recipient, error) {
	b, err := s.Broadcast(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if status != "" && !slices.Contains([]string{RecipientQueued, RecipientSending, RecipientSent, RecipientFailed, RecipientSkipped, RecipientCancelled}, status) {
		return nil, app.FieldErrorf("status", "Status must be queued, sending, sent, failed, skipped or cancelled.")
	}
	return s.Broadcasts.FindRecipients(ctx, b.TenantID, b.ID, status, 500)
}

// CancelBroadcast stops a broadcast: nobody still queued gets it.
// ENOTFOUND for another tenant's; ECONFLICT when it is not sending.
func (s *Service) CancelBroadcast(ctx context.Context, tenantID, id int64) (*Broadcast, error) {
	b, err := s.Broadcast(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if err := s.Broadcasts.CancelBroadcast(ctx, b.TenantID, b.ID); err != nil {
		return nil, err
	}
	return s.Broadcasts.FindBroadcast(ctx, b.TenantID, b.ID)
}

// sendTimeout bounds one broadcast message's send.
const sendTimeout = time.Minute

// broadcastIdle is how often the sender looks for work when woken by
// nothing (a broadcast created by another process, a resumed one).
const broadcastIdle = 2 * time.Second

// sender is the background sender's wake-up channel.
type sender struct {
	once sync.Once
	wake chan struct{}
}

func (s *Service) wakeSender() {
	s.bcast.once.Do(func() { s.bcast.wake = make(chan struct{}, 1) })
	select {
	case s.bcast.wake <- struct{}{}:
	default:
	}
}

// RunBroadcasts sends queued broadcast messages until ctx ends, each
// tenant and channel at its broadcast's rate. It first marks failed the
// recipients a previous run left sending (never sent twice).
func (s *Service) RunBroadcasts(ctx context.Context) {
	if s.Broadcasts == nil {
		return
	}
	s.bcast.once.Do(func() { s.bcast.wake = make(chan struct{}, 1) })
	if n, err := s.Broadcasts.FailInterrupted(ctx); err != nil {
		if ctx.Err() != nil {
			return // stopped before the first step: a stop, not a fault
		}
		s.logger().Error("inbox: could not mark failed the broadcast messages a restart interrupted", "err", err)
	} else if n > 0 {
		s.logger().Warn("inbox: broadcast messages interrupted by a restart marked failed (not sent again)", "count", n)
	}
	next := map[string]time.Time{} // tenant/channel: earliest next send
	for ctx.Err() == nil {
		wait := broadcastIdle
		bs, err := s.Broadcasts.ActiveBroadcasts(ctx)
		if err != nil && ctx.Err() == nil {
			s.logger().Error("inbox: list broadcasts", "err", err)
		}
		for _, b := range bs {
			key := fmt.Sprintf("%d/%s", b.TenantID, b.Channel)
			if d := time.Until(next[key]); d > 0 {
				wait = min(wait, d)
				continue
			}
			// The rate is kept from each send's start, so the time a
			// send takes is part of its gap, not added to it (at
			// Twilio's one text a second, a 300 ms API call would
			// otherwise cut the rate by a quarter).
			start := time.Now()
			sent, more := s.sendNext(ctx, b)
			gap := time.Duration(float64(time.Second) / b.Rate)
			if sent {
				next[key] = start.Add(gap)
				wait = min(wait, time.Until(next[key]))
			} else if more {
				wait = 0 // a skip at send time costs no rate
			}
		}
		if wait <= 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-s.bcast.wake:
		}
		t.Stop()
	}
}

// sendNext sends the broadcast's next queued message. sent says a
// message went to the provider (or was tried); more that recipients may
// be left.
func (s *Service) sendNext(ctx context.Context, b *Broadcast) (sent, more bool) {
	r, err := s.Broadcasts.NextRecipient(ctx, b.TenantID, b.ID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		s.Hub().Publish(Event{Type: EventUpdated, TenantID: b.TenantID})
		return false, false
	}
	if err != nil {
		if ctx.Err() == nil {
			s.logger().Error("inbox: next broadcast recipient", "broadcast_id", b.ID, "err", err)
		}
		return false, false
	}
	// A send once begun is finished even when ctx ends (a graceful
	// shutdown): only a crash leaves a recipient "sending".
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	tctx := app.NewContextWithActor(app.NewContextWithTenant(appliance(ctx), &app.Tenant{ID: b.TenantID}), fmt.Sprintf("%s%d", BroadcastActor, b.ID))
	finish := func(status, reason, pid string) {
		if err := s.Broadcasts.FinishRecipient(ctx, r, status, reason, pid); err != nil {
			s.logger().Error("inbox: record a broadcast send", "broadcast_id", b.ID, "recipient_id", r.ID, "err", err)
		}
	}
	// Consent is read again at send time: a person may have texted STOP
	// or unsubscribed since the broadcast was queued.
	p, err := s.people.FindPerson(tctx, r.PersonID)
	if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		s.logger().Error("inbox: broadcast recipient", "broadcast_id", b.ID, "err", err)
		return false, false
	}
	if p == nil {
		finish(RecipientSkipped, "person deleted", "")
		return false, true
	}
	addr, reason := eligible(b.Channel, p)
	if reason != "" {
		finish(RecipientSkipped, reason, "")
		return false, true
	}
	text := FillCanned(b.Body, &Conversation{Channel: b.Channel, Address: addr, ContactName: r.Name}, p)
	r.Address = addr
	switch b.Channel {
	case ChannelSMS:
		s.broadcastSMS(tctx, b, r, text, finish)
	case ChannelEmail:
		s.broadcastEmail(tctx, b, r, p, text, finish)
	}
	return true, true
}

// broadcastSMS texts one recipient from the tenant's number.
func (s *Service) broadcastSMS(ctx context.Context, b *Broadcast, r *Recipient, text string, finish func(status, reason, pid string)) {
	if s.Telephony == nil {
		finish(RecipientFailed, "texting is not configured", "")
		return
	}
	tel, err := s.Telephony(appliance(ctx), b.TenantID)
	if err != nil {
		finish(RecipientFailed, "texting is not configured for this account", "")
		return
	}
	from := tel.From()
	th := Thread{ThreadKey: r.Address + "|" + app.PhoneDigits(from), Address: r.Address, LocalAddress: from, ContactName: r.Name}
	m := &Message{Direction: DirOut, Author: app.ActorFromContext(ctx), Body: text, Status: DeliveryQueued}
	c, err := s.Broadcasts.StartRecipient(ctx, r, ChannelSMS, th, m)
	if err != nil {
		if app.ErrorCode(err) != app.ECONFLICT {
			s.logger().Error("inbox: record a broadcast text", "broadcast_id", b.ID, "err", err)
		}
		return
	}
	sid, err := tel.SendSMS(ctx, app.SMS{From: from, To: r.Address, Body: text, IdempotencyKey: fmt.Sprintf("inbox-%d", m.ID)})
	if err != nil {
		s.logger().Warn("inbox: broadcast text failed", "broadcast_id", b.ID, "err", err)
		finish(RecipientFailed, truncate(err.Error(), 300), "")
	} else {
		finish(RecipientSent, "", sid)
	}
	s.Hub().Publish(Event{Type: EventMessage, TenantID: b.TenantID, ConversationID: c.ID, MessageID: m.ID})
}

// broadcastEmail emails one recipient over the tenant's SMTP, in a new
// thread whose Message-ID a reply refers to.
func (s *Service) broadcastEmail(ctx context.Context, b *Broadcast, r *Recipient, p *app.Person, text string, finish func(status, reason, pid string)) {
	if s.Mail == nil || s.Mail.Mailer == nil {
		finish(RecipientFailed, "email is not configured", "")
		return
	}
	mailer, err := s.Mail.Mailer(appliance(ctx), b.TenantID)
	if err != nil {
		finish(RecipientFailed, "email is not configured for this account", "")
		return
	}
	local := ""
	if s.Mail.Mailboxes != nil {
		if mb, err := s.Mail.Mailboxes.FindMailbox(ctx, b.TenantID); err == nil {
			local = mb.Address
		}
	}
	domain := "orengen.local"
	if i := strings.LastIndex(local, "@"); i >= 0 {
		domain = local[i+1:]
	}
	subject := FillCanned(b.Subject, &Conversation{Channel: ChannelEmail, Address: r.Address, ContactName: r.Name}, p)
	pid := fmt.Sprintf("broadcast-%d-%d-%s@%s", b.ID, r.ID, app.RandomToken(8), domain)
	th := Thread{ThreadKey: pid, Address: r.Address, LocalAddress: local, ContactName: r.Name, Subject: subject}
	msg := &app.Message{TenantID: b.TenantID, To: r.Address, Subject: subject, Text: text, MessageID: "<" + pid + ">"}
	if s.Tenants != nil {
		if t, err := s.Tenants.FindTenantByID(ctx, b.TenantID); err == nil {
			msg.FromName = t.BrandName()
		}
	}
	if err := s.unsubscribeFooter(ctx, b.TenantID, r.PersonID, msg); err != nil {
		// No broadcast email goes out without a way to leave the list.
		s.logger().Error("inbox: broadcast unsubscribe link", "broadcast_id", b.ID, "err", err)
		finish(RecipientFailed, "no unsubscribe link could be made", "")
		return
	}
	m := &Message{Direction: DirOut, Author: app.ActorFromContext(ctx), Subject: subject, Body: msg.Text, Status: DeliveryQueued, ProviderID: pid}
	c, err := s.Broadcasts.StartRecipient(ctx, r, ChannelEmail, th, m)
	if err != nil {
		if app.ErrorCode(err) != app.ECONFLICT {
			s.logger().Error("inbox: record a broadcast email", "broadcast_id", b.ID, "err", err)
		}
		return
	}
	if err := mailer.Send(ctx, msg); err != nil {
		s.logger().Warn("inbox: broadcast email failed", "broadcast_id", b.ID, "err", err)
		finish(RecipientFailed, truncate(err.Error(), 300), "")
	} else {
		finish(RecipientSent, "", "")
	}
	s.Hub().Publish(Event{Type: EventMessage, TenantID: b.TenantID, ConversationID: c.ID, MessageID: m.ID})
}
