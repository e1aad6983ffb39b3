package billing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"orengen/app"
)

var _ app.UsageMeter = (*Service)(nil)

// TwilioStatus implements app.UsageMeter: a message's status callback
// (sent, delivered or undelivered: the states Twilio bills) records its
// segments (MMS when it carried media), a completed call's its minutes,
// each once per MessageSid or CallSid. Twilio's own price is used when
// the callback carries one in US dollars.
func (s *Service) TwilioStatus(ctx context.Context, tenantID int64, p map[string]string) error {
	e := twilioStatusEvent(tenantID, p)
	if e == nil {
		return nil
	}
	_, err := s.Record(ctx, e)
	return err
}

// twilioStatusEvent is the usage a status callback reports (nil: none).
func twilioStatusEvent(tenantID int64, p map[string]string) *Event {
	var e *Event
	if sid := p["MessageSid"]; sid != "" {
		switch p["MessageStatus"] {
		case "sent", "delivered", "undelivered":
		default:
			return nil
		}
		e = &Event{TenantID: tenantID, Category: SMS, Source: SourceTwilio, SourceID: sid, Quantity: 1, Detail: p["MessageStatus"]}
		if n, err := strconv.ParseInt(p["NumSegments"], 10, 64); err == nil && n > 0 && n < 100 {
			e.Quantity = n
		}
		if n, _ := strconv.Atoi(p["NumMedia"]); n > 0 {
			e.Category, e.Quantity = MMS, 1
		}
	} else if sid := p["CallSid"]; sid != "" {
		if p["CallStatus"] != "completed" {
			return nil
		}
		secs, err := strconv.ParseInt(p["CallDuration"], 10, 64)
		if err != nil || secs < 0 {
			return nil
		}
		e = &Event{TenantID: tenantID, Category: VoiceMinutes, Source: SourceTwilio, SourceID: sid,
			Quantity: (secs + 59) / 60, Detail: strconv.FormatInt(secs, 10) + "s"}
	} else {
		return nil
	}
	// Twilio reports a price (negative: a charge) on some callbacks; a
	// currency other than dollars is left to the price table.
	if v := p["Price"]; v != "" && strings.EqualFold(p["PriceUnit"], "USD") {
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && math.Abs(f) < 1e6 {
			e.CostMicros, e.CostSource = int64(math.Round(math.Abs(f)*1e6)), CostProvider
		}
	}
	return e
}

// Telephony implements app.UsageMeter: texts sent through the returned
// client are recorded under their MessageSid (so the status callbacks
// that follow add nothing).
func (s *Service) Telephony(tenantID int64, t app.Telephony) app.Telephony {
	return &meteredTelephony{Telephony: t, s: s, tenantID: tenantID}
}

type meteredTelephony struct {
	app.Telephony
	s        *Service
	tenantID int64
}

func (m *meteredTelephony) SendSMS(ctx context.Context, msg app.SMS) (string, error) {
	if err := m.s.Allow(ctx, m.tenantID, SMS); err != nil {
		return "", err
	}
	sid, err := m.Telephony.SendSMS(ctx, msg)
	if err != nil || sid == "" {
		return sid, err
	}
	e := &Event{TenantID: m.tenantID, Category: SMS, Source: SourceTwilio, SourceID: sid, Quantity: int64(Segments(msg.Body)), Detail: "sent"}
	if _, rerr := m.s.Record(context.WithoutCancel(ctx), e); rerr != nil {
		// The text went out: the status callback records it later.
		m.s.logger().Warn("billing: meter a text", "tenant_id", m.tenantID, "err", rerr)
	}
	return sid, nil
}

func (m *meteredTelephony) PlaceCall(ctx context.Context, c app.Call) (string, error) {
	if err := m.s.Allow(ctx, m.tenantID, VoiceMinutes); err != nil {
		return "", err
	}
	return m.Telephony.PlaceCall(ctx, c) // minutes come with the status callback
}

// Ping forwards the wrapped mailer's connection test (nothing metered);
// the metered Telephony forwards its own through the embedded client.
func (m *meteredMailer) Ping(ctx context.Context) error { return m.next.Ping(ctx) }

// Mailer implements app.UsageMeter.
func (s *Service) Mailer(tenantID int64, m app.Mailer) app.Mailer {
	return &meteredMailer{next: m, s: s, tenantID: tenantID}
}

type meteredMailer struct {
	next     app.Mailer
	s        *Service
	tenantID int64
}

func (m *meteredMailer) Send(ctx context.Context, msg *app.Message) error {
	if err := m.s.Allow(ctx, m.tenantID, Email); err != nil {
		return err
	}
	if err := m.next.Send(ctx, msg); err != nil {
		return err
	}
	id := msg.MessageID
	if id == "" {
		id = randomID()
	}
	e := &Event{TenantID: m.tenantID, Category: Email, Source: SourceMail, SourceID: id, Quantity: 1}
	if _, err := m.s.Record(context.WithoutCancel(ctx), e); err != nil {
		m.s.logger().Warn("billing: meter an email", "tenant_id", m.tenantID, "err", err)
	}
	return nil
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// gsm7 is the GSM 03.38 basic character set (and, escaped, its extension
// characters, which take two septets).
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext   = "^{}\\[~]|€\f"
)

// Segments is how many SMS segments body takes: GSM-7 text 160 septets in
// one segment, 153 each when split; anything else is UCS-2, 70 UTF-16
// units in one, 67 each when split.
func Segments(body string) int {
	septets, gsm := 0, true
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsm7Basic, r):
			septets++
		case strings.ContainsRune(gsm7Ext, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		if septets <= 160 {
			return 1
		}
		return (septets + 152) / 153
	}
	units := len(utf16.Encode([]rune(body)))
	if units <= 70 {
		return 1
	}
	return (units + 66) / 67
}
