// Package integrations holds the clients of outside services that
// automations call: Twilio (SMS, calls), SMTP (go-mail) and plain HTTP.
// It imports app only.
package integrations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"

	"orengen/app"
)

// DefaultTwilioAPI is Twilio's REST base URL.
const DefaultTwilioAPI = "https://api.twilio.com"

// TwilioConfig is one account's credentials.
type TwilioConfig struct {
	AccountSID string
	AuthToken  string
	From       string // the sending number, E.164
	// APIURL replaces https://api.twilio.com (tests, proxies); "" keeps it.
	APIURL string
	// StatusCallback returns the URL Twilio reports delivery to for an
	// idempotency key ("" for none).
	StatusCallback func(key string) string
	Timeout        time.Duration
	// Meter counts SMS and calls handed to Twilio (nil: not counted).
	Meter app.Meter
}

// Twilio implements app.Telephony with twilio-go.
type Twilio struct {
	cfg TwilioConfig
	rc  *twilio.RestClient
}

var _ app.Telephony = (*Twilio)(nil)

// NewTwilio returns a client. twilio-go's base URLs are unexported
// constants, so a custom APIURL is applied by rewriting each request's
// scheme and host at the HTTP transport.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if cfg.AccountSID == "" || cfg.AuthToken == "" || cfg.From == "" {
		return nil, errors.New("twilio: account SID, auth token and from number are all required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	var rt http.RoundTripper = http.DefaultTransport
	if cfg.APIURL != "" && cfg.APIURL != DefaultTwilioAPI {
		u, err := url.Parse(cfg.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("twilio API URL %q must be an http(s) URL", cfg.APIURL)
		}
		rt = rewriteTransport{scheme: u.Scheme, host: u.Host, next: http.DefaultTransport}
	}
	base := &twclient.Client{Credentials: twclient.NewCredentials(cfg.AccountSID, cfg.AuthToken),
		HTTPClient: &http.Client{Timeout: cfg.Timeout, Transport: rt}}
	base.SetAccountSid(cfg.AccountSID)
	return &Twilio{cfg: cfg, rc: twilio.NewRestClientWithParams(twilio.ClientParams{Client: base})}, nil
}

type rewriteTransport struct {
	scheme, host string
	next         http.RoundTripper
}

func (t rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.scheme, t.host, ""
	return t.next.RoundTrip(r)
}

// From implements app.Telephony.
func (t *Twilio) From() string { return t.cfg.From }

// twilioErr marks Twilio's 4xx answers (bad number, unverified caller)
// as permanent: nothing was sent, and retrying will not change that.
func twilioErr(op string, err error) error {
	var re *twclient.TwilioRestError
	if errors.As(err, &re) && re.Status >= 400 && re.Status < 500 && re.Status != 429 {
		return &app.PermanentError{Err: fmt.Errorf("twilio %s: %d %s", op, re.Status, re.Message)}
	}
	return fmt.Errorf("twilio %s: %w", op, err)
}

func (t *Twilio) callback(key string) string {
	if t.cfg.StatusCallback == nil || key == "" {
		return ""
	}
	return t.cfg.StatusCallback(key)
}

// SendSMS implements app.Telephony.
func (t *Twilio) SendSMS(ctx context.Context, m app.SMS) (string, error) {
	sid, err := t.sendSMS(m)
	return sid, app.MeterSend(t.cfg.Meter, "sms", err)
}

func (t *Twilio) sendSMS(m app.SMS) (string, error) {
	p := &twapi.CreateMessageParams{}
	p.SetTo(m.To).SetFrom(m.From).SetBody(m.Body)
	if cb := t.callback(m.IdempotencyKey); cb != "" {
		p.SetStatusCallback(cb)
	}
	msg, err := t.rc.Api.CreateMessage(p)
	if err != nil {
		return "", twilioErr("send SMS", err)
	}
	if msg.Sid == nil {
		return "", errors.New("twilio send SMS: answer without a sid")
	}
	return *msg.Sid, nil
}

// PlaceCall implements app.Telephony.
func (t *Twilio) PlaceCall(ctx context.Context, c app.Call) (string, error) {
	sid, err := t.placeCall(c)
	return sid, app.MeterSend(t.cfg.Meter, "call", err)
}

func (t *Twilio) placeCall(c app.Call) (string, error) {
	p := &twapi.CreateCallParams{}
	p.SetTo(c.To).SetFrom(c.From).SetTwiml(c.TwiML)
	if cb := t.callback(c.IdempotencyKey); cb != "" {
		p.SetStatusCallback(cb)
	}
	call, err := t.rc.Api.CreateCall(p)
	if err != nil {
		return "", twilioErr("place call", err)
	}
	if call.Sid == nil {
		return "", errors.New("twilio place call: answer without a sid")
	}
	return *call.Sid, nil
}

// FindSent implements app.Telephony: it lists the messages (or calls)
// from From to to since the day of since (Twilio filters by date), and
// returns the newest created at or after since (and for SMS with the same
// body).
func (t *Twilio) FindSent(ctx context.Context, kind, from, to, body string, since time.Time) (string, error) {
	after := func(s *string) bool {
		if s == nil {
			return true
		}
		for _, layout := range []string{time.RFC1123Z, time.RFC3339} {
			if d, err := time.Parse(layout, *s); err == nil {
				return !d.Before(since.Truncate(time.Second))
			}
		}
		return true
	}
	if kind == app.StepSMS {
		p := &twapi.ListMessageParams{}
		p.SetTo(to).SetFrom(from).SetDateSentAfter(since.UTC()).SetPageSize(50).SetLimit(50)
		msgs, err := t.rc.Api.ListMessage(p)
		if err != nil {
			return "", twilioErr("list messages", err)
		}
		for _, m := range msgs {
			if m.Sid != nil && m.Body != nil && strings.TrimSpace(*m.Body) == strings.TrimSpace(body) && after(m.DateCreated) {
				return *m.Sid, nil
			}
		}
		return "", nil
	}
	p := &twapi.ListCallParams{}
	p.SetTo(to).SetFrom(from).SetPageSize(50).SetLimit(50) // start_time is empty until dialled: filter on date_created
	calls, err := t.rc.Api.ListCall(p)
	if err != nil {
		return "", twilioErr("list calls", err)
	}
	for _, c := range calls {
		if c.Sid != nil && after(c.DateCreated) {
			return *c.Sid, nil
		}
	}
	return "", nil
}

// ValidTwilioSignature checks X-Twilio-Signature of a form POST to
// publicURL (the URL Twilio was given, with its query) with params.
func ValidTwilioSignature(authToken, publicURL string, params map[string]string, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	rv := twclient.NewRequestValidator(authToken)
	return rv.Validate(publicURL, params, signature)
}
