package inbox

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// SMS keywords (CTIA): opt out, opt back in, help.
var (
	stopWords  = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
	startWords = []string{"START", "UNSTOP", "YES", "OPTIN"}
	helpWords  = []string{"HELP", "INFO"}
)

// Keyword returns STOP, START or HELP for a text that is one of their
// words ("" otherwise). YES counts as START only for a sender who opted
// out, so the caller passes optedOut.
func Keyword(body string, optedOut bool) string {
	w := strings.ToUpper(strings.Trim(strings.TrimSpace(body), ".!"))
	switch {
	case slices.Contains(stopWords, w):
		return "STOP"
	case w == "YES" && !optedOut:
		return ""
	case slices.Contains(startWords, w):
		return "START"
	case slices.Contains(helpWords, w):
		return "HELP"
	}
	return ""
}

// InboundSMS records a verified Twilio text (webhook parameters p) in the
// tenant's inbox. routed is false when no tenant owns the number written
// to (the text then lands in the house inbox, marked unrouted, and is
// logged); agent is true when an Agent Studio agent answers the number
// (it records consent and answers; the inbox keeps the thread). A
// MessageSid already stored is a no-op. STOP and START are recorded as
// the person's SMS consent; HELP is answered with the help message when
// no agent answers.
func (s *Service) InboundSMS(ctx context.Context, tenantID int64, p map[string]string, routed, agent bool) error {
	from, to, sid := strings.TrimSpace(p["From"]), strings.TrimSpace(p["To"]), strings.TrimSpace(p["MessageSid"])
	if sid == "" {
		sid = strings.TrimSpace(p["SmsSid"])
	}
	if from == "" {
		return app.FieldErrorf("From", "From required.")
	}
	unrouted := false
	if !routed && tenantID == app.HouseTenantID && s.Telephony != nil {
		// The house tenant's own number is routed; any other number no
		// tenant owns is kept here and marked.
		if tel, err := s.Telephony(appliance(ctx), tenantID); err != nil || app.PhoneDigits(tel.From()) != app.PhoneDigits(to) {
			unrouted = true
			s.logger().Warn("inbox: text to a number no tenant owns, kept in the house inbox", "to", to, "sid", sid)
		}
	}
	phone, err := app.NormalizePhone("From", from)
	if err != nil {
		phone = "" // a short code or an alphanumeric sender: no CRM match
	}
	addr := phone
	if addr == "" {
		addr = from
	}
	in := &Inbound{TenantID: tenantID, Channel: ChannelSMS, ThreadKey: addr + "|" + app.PhoneDigits(to), Address: addr, LocalAddress: to,
		Phone: phone, Unrouted: unrouted, Source: "SMS",
		Message: Message{Direction: DirIn, Body: p["Body"], ProviderID: sid, Status: DeliveryReceived}}
	if n, _ := strconv.Atoi(p["NumMedia"]); n > 0 {
		in.Message.Attachments = s.mmsMedia(ctx, tenantID, p, min(n, 10))
	}
	kw := ""
	if !agent {
		optedOut := false
		if phone != "" {
			// The person's current consent decides what YES means.
			if optedOut, err = s.store.SMSOptedOut(ctx, tenantID, phone); err != nil {
				return err
			}
		}
		kw = Keyword(in.Message.Body, optedOut)
		switch kw {
		case "STOP":
			f := false
			in.Consent = &f
		case "START":
			t := true
			in.Consent = &t
		}
	}
	c, m, dup, err := s.store.Receive(ctx, in)
	if err != nil || dup {
		return err
	}
	if agent && !slices.Contains(c.Labels, "ai agent") {
		ls := append(slices.Clone(c.Labels), "ai agent")
		if c2, err := s.store.UpdateConversation(ctx, c.TenantID, c.ID, Update{Labels: &ls}); err == nil {
			c = c2
		}
	}
	s.Hub().Publish(Event{Type: EventMessage, TenantID: c.TenantID, ConversationID: c.ID, MessageID: m.ID, Direction: DirIn})
	if kw == "HELP" && !unrouted {
		s.sendHelp(ctx, c)
	}
	if kw == "" && !agent {
		s.awayReply(ctx, c)
	}
	return nil
}

// sendHelp answers HELP with the tenant's name and support address.
func (s *Service) sendHelp(ctx context.Context, c *Conversation) {
	brand, contact := "", ""
	if s.Tenants != nil {
		if t, err := s.Tenants.FindTenantByID(ctx, c.TenantID); err == nil {
			brand, contact = t.BrandName(), t.SupportEmail
		}
	}
	help := brand + ": reply STOP to opt out of texts."
	if contact != "" {
		help += " Help: " + contact
	}
	sys := app.NewContextWithActor(ctx, "system")
	if _, err := s.replySMS(sys, c, help, ""); err != nil {
		s.logger().Warn("inbox: answer HELP", "conversation_id", c.ID, "err", err)
	}
}

// SMSStatus records a Twilio status callback of a text sent from the
// inbox (a text it did not send is ignored).
func (s *Service) SMSStatus(ctx context.Context, tenantID int64, p map[string]string) error {
	sid, status := p["MessageSid"], p["MessageStatus"]
	if sid == "" || status == "" {
		return nil
	}
	errText := ""
	if code := p["ErrorCode"]; code != "" {
		errText = "Twilio error " + code
	}
	ok, err := s.store.SetDeliveryByProvider(ctx, tenantID, sid, truncate(status, 40), errText)
	if err != nil || !ok {
		return err
	}
	s.Hub().Publish(Event{Type: EventUpdated, TenantID: tenantID})
	return nil
}

// MediaFetcher downloads an inbound MMS's media from the provider
// (twilio.Client implements it).
type MediaFetcher interface {
	FetchMedia(ctx context.Context, mediaURL string, limit int64) (data []byte, ctype string, size int64, err error)
}

// mmsMedia stores the media of an inbound MMS as the message's
// attachments (within MaxAttachment, never a program, like an email's);
// a file that cannot be fetched is listed with its Twilio link and why,
// so nothing is lost.
func (s *Service) mmsMedia(ctx context.Context, tenantID int64, p map[string]string, n int) []Attachment {
	var mf MediaFetcher
	if f, ok := s.twilioFiles(ctx, tenantID); ok {
		mf = f
	}
	var out []Attachment
	for i := 0; i < n; i++ {
		u, ct := strings.TrimSpace(p[fmt.Sprintf("MediaUrl%d", i)]), strings.TrimSpace(p[fmt.Sprintf("MediaContentType%d", i)])
		name := fmt.Sprintf("media-%d", i+1)
		if _, ext, ok := strings.Cut(ct, "/"); ok && ext != "" && len(ext) < 10 && !strings.ContainsAny(ext, "/;+ ") {
			name += "." + ext
		}
		if mf == nil {
			out = append(out, Attachment{Name: name, Type: ct, Note: "MMS media stays at Twilio: " + u})
			continue
		}
		fctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		data, got, size, err := mf.FetchMedia(fctx, u, MaxAttachment)
		cancel()
		if err != nil {
			s.logger().Warn("inbox: fetch MMS media", "tenant_id", tenantID, "err", err)
			out = append(out, Attachment{Name: name, Type: ct, Note: "could not be fetched from Twilio (" + truncate(err.Error(), 120) + "): " + u})
			continue
		}
		if got == "" {
			got = ct
		}
		a := KeepAttachment(name, got, size, data)
		if !a.Stored {
			a.Note += ": " + u
		}
		out = append(out, a)
	}
	return out
}
