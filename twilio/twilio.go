// Package twilio owns everything that speaks Twilio: the REST client
// (app.Telephony: SMS, calls, reconciliation), the webhook signature check,
// and ConversationRelay (the TwiML that connects a call to an AI agent and
// the WebSocket session). It imports app and app/agents (the interfaces it
// implements) and the standard library; its HTTP client comes from the
// wiring (httpx).
package twilio

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"orengen/app"
)

// DefaultAPI is Twilio's REST base URL.
const DefaultAPI = "https://api.twilio.com"

// Config is one account's credentials.
type Config struct {
	AccountSID string
	AuthToken  string
	From       string // the sending number, E.164
	// APIURL replaces https://api.twilio.com (tests, proxies); "" keeps it.
	APIURL string
	// StatusCallback returns the URL Twilio reports delivery to for an
	// idempotency key ("" for none).
	StatusCallback func(key string) string
	Timeout        time.Duration
	// HTTP sends the requests: the guarded outbound client (httpx); nil:
	// a plain client with Timeout (tests of this package).
	HTTP *http.Client
	// Meter counts SMS and calls handed to Twilio (nil: not counted).
	Meter app.Meter
}

// Twilio implements app.Telephony over Twilio's REST API (2010-04-01):
// form-encoded POSTs and JSON answers with HTTP basic auth, as documented.
// It is a few calls (send a message, place a call, list either), so it is
// written here instead of linking twilio-go, whose generated client for
// every Twilio product added about 25 MB to the binary, most of it
// resident in both the server and the replicator.
type Client struct {
	cfg  Config
	base string // scheme://host
	http *http.Client
}

var _ app.Telephony = (*Client)(nil)

// New returns a client. A custom APIURL replaces the scheme and host
// of Twilio's URLs.
func New(cfg Config) (*Client, error) {
	if cfg.AccountSID == "" || cfg.AuthToken == "" || cfg.From == "" {
		return nil, errors.New("twilio: account SID, auth token and from number are all required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	base := DefaultAPI
	if cfg.APIURL != "" && cfg.APIURL != DefaultAPI {
		u, err := url.Parse(cfg.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("twilio API URL %q must be an http(s) URL", cfg.APIURL)
		}
		base = u.Scheme + "://" + u.Host
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	return &Client{cfg: cfg, base: base, http: hc}, nil
}

// Error is Twilio's JSON error answer.
type Error struct {
	Status   int    `json:"status"`
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("%d %s (error %d)", e.Status, e.Message, e.Code)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

// call sends one request to the account's resource ("Messages", "Calls"):
// the form as the body of a POST, or as the query of a GET; out gets the
// JSON answer. A non-2xx answer is a *Error.
func (t *Client) call(ctx context.Context, method, resource string, form url.Values, out any) error {
	u := t.base + "/2010-04-01/Accounts/" + url.PathEscape(t.cfg.AccountSID) + "/" + resource + ".json"
	var body io.Reader
	if method == http.MethodGet {
		u += "?" + form.Encode()
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "orengen")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{}
		if json.Unmarshal(b, e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(b[:min(len(b), 200)]))
		}
		e.Status = resp.StatusCode
		return e
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("answer %d is not the expected JSON: %w", resp.StatusCode, err)
	}
	return nil
}

// FetchMedia downloads a media file of an inbound MMS, named by the
// webhook's MediaUrlN: only a Media resource of this account's messages
// on the API host (a URL anywhere else is refused, so a forged webhook
// cannot send the account's credentials elsewhere), with basic auth (for
// accounts that protect their media), following Twilio's redirect to its
// media store. It returns at most limit bytes, the declared type and the
// file's whole size (above limit when the file is larger).
func (t *Client) FetchMedia(ctx context.Context, mediaURL string, limit int64) ([]byte, string, int64, error) {
	u, err := url.Parse(mediaURL)
	prefix := "/2010-04-01/Accounts/" + t.cfg.AccountSID + "/Messages/"
	if err != nil || !strings.EqualFold(u.Scheme+"://"+u.Host, t.base) || !strings.HasPrefix(u.Path, prefix) || !strings.Contains(u.Path[len(prefix):], "/Media/") {
		return nil, "", 0, fmt.Errorf("not a media URL of this Twilio account: %.100q", mediaURL)
	}
	return t.fetch(ctx, u.String(), limit)
}

// FetchRecording downloads a call's recording (MP3) by its RecordingSid
// from this account's Recordings resource, with basic auth. It returns at
// most limit bytes; a larger recording is an error (a cut MP3 would play
// as if whole).
func (t *Client) FetchRecording(ctx context.Context, recordingSID string, limit int64) ([]byte, string, error) {
	if len(recordingSID) != 34 || !strings.HasPrefix(recordingSID, "RE") || strings.Trim(recordingSID[2:], "0123456789abcdefABCDEF") != "" {
		return nil, "", fmt.Errorf("not a recording SID: %.40q", recordingSID)
	}
	data, ctype, size, err := t.fetch(ctx, t.base+"/2010-04-01/Accounts/"+t.cfg.AccountSID+"/Recordings/"+recordingSID+".mp3", limit)
	if err != nil {
		return nil, "", err
	}
	if size > limit {
		return nil, "", fmt.Errorf("recording larger than %d bytes", limit)
	}
	return data, ctype, nil
}

// fetch GETs a resource of the account's API with basic auth: at most
// limit bytes, the declared type and the whole size.
func (t *Client) fetch(ctx context.Context, u string, limit int64) ([]byte, string, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", 0, err
	}
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	req.Header.Set("User-Agent", "orengen")
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, "", 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, "", 0, fmt.Errorf("media answer %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", 0, err
	}
	size := int64(len(data))
	if size > limit {
		data, size = data[:limit], max(resp.ContentLength, limit+1)
	}
	return data, resp.Header.Get("Content-Type"), size, nil
}

// twilioResource is the part of a message or call answer orengen reads.
type twilioResource struct {
	Sid         string `json:"sid"`
	Body        string `json:"body"`
	DateCreated string `json:"date_created"`
}

// From implements app.Telephony.
func (t *Client) From() string { return t.cfg.From }

// twilioErr marks Twilio's 4xx answers (bad number, unverified caller)
// as permanent: nothing was sent, and retrying will not change that.
func twilioErr(op string, err error) error {
	var te *Error
	if errors.As(err, &te) && te.Status >= 400 && te.Status < 500 && te.Status != 429 {
		return &app.PermanentError{Err: fmt.Errorf("twilio %s: %w", op, err)}
	}
	return fmt.Errorf("twilio %s: %w", op, err)
}

func (t *Client) callback(key string) string {
	if t.cfg.StatusCallback == nil || key == "" {
		return ""
	}
	return t.cfg.StatusCallback(key)
}

// SendSMS implements app.Telephony.
func (t *Client) SendSMS(ctx context.Context, m app.SMS) (string, error) {
	sid, err := t.sendSMS(ctx, m)
	return sid, app.MeterSend(t.cfg.Meter, "sms", err)
}

func (t *Client) sendSMS(ctx context.Context, m app.SMS) (string, error) {
	f := url.Values{"To": {m.To}, "From": {m.From}, "Body": {m.Body}}
	if cb := t.callback(m.IdempotencyKey); cb != "" {
		f.Set("StatusCallback", cb)
	}
	var msg twilioResource
	if err := t.call(ctx, http.MethodPost, "Messages", f, &msg); err != nil {
		return "", twilioErr("send SMS", err)
	}
	if msg.Sid == "" {
		return "", errors.New("twilio send SMS: answer without a sid")
	}
	return msg.Sid, nil
}

// PlaceCall implements app.Telephony.
func (t *Client) PlaceCall(ctx context.Context, c app.Call) (string, error) {
	sid, err := t.placeCall(ctx, c)
	return sid, app.MeterSend(t.cfg.Meter, "call", err)
}

func (t *Client) placeCall(ctx context.Context, c app.Call) (string, error) {
	f := url.Values{"To": {c.To}, "From": {c.From}, "Twiml": {c.TwiML}}
	if cb := t.callback(c.IdempotencyKey); cb != "" {
		f.Set("StatusCallback", cb)
	}
	var call twilioResource
	if err := t.call(ctx, http.MethodPost, "Calls", f, &call); err != nil {
		return "", twilioErr("place call", err)
	}
	if call.Sid == "" {
		return "", errors.New("twilio place call: answer without a sid")
	}
	return call.Sid, nil
}

// FindSent implements app.Telephony: it lists the messages (or calls)
// from From to to since the day of since (Twilio filters by date), and
// returns the newest created at or after since (and for SMS with the same
// body).
func (t *Client) FindSent(ctx context.Context, kind, from, to, body string, since time.Time) (string, error) {
	after := func(s string) bool {
		if s == "" {
			return true
		}
		for _, layout := range []string{time.RFC1123Z, time.RFC3339} {
			if d, err := time.Parse(layout, s); err == nil {
				return !d.Before(since.Truncate(time.Second))
			}
		}
		return true
	}
	f := url.Values{"To": {to}, "From": {from}, "PageSize": {"50"}}
	if kind == app.StepSMS {
		f.Set("DateSent>", since.UTC().Format(time.RFC3339))
		var page struct{ Messages []twilioResource }
		if err := t.call(ctx, http.MethodGet, "Messages", f, &page); err != nil {
			return "", twilioErr("list messages", err)
		}
		for _, m := range page.Messages {
			if m.Sid != "" && strings.TrimSpace(m.Body) == strings.TrimSpace(body) && after(m.DateCreated) {
				return m.Sid, nil
			}
		}
		return "", nil
	}
	// start_time is empty until dialled: filter on date_created.
	var page struct{ Calls []twilioResource }
	if err := t.call(ctx, http.MethodGet, "Calls", f, &page); err != nil {
		return "", twilioErr("list calls", err)
	}
	for _, c := range page.Calls {
		if c.Sid != "" && after(c.DateCreated) {
			return c.Sid, nil
		}
	}
	return "", nil
}

// ValidSignature checks X-Twilio-Signature of a form POST to
// publicURL (the URL Twilio was given, with its query) with params, as
// Twilio documents it: base64(HMAC-SHA1(auth token, URL + each parameter
// name and value, sorted by name)). Like Twilio's own libraries it accepts
// the URL with or without its default port.
func ValidSignature(authToken, publicURL string, params map[string]string, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sign := func(u string) string {
		h := hmac.New(sha1.New, []byte(authToken))
		io.WriteString(h, u)
		for _, k := range keys {
			io.WriteString(h, k)
			io.WriteString(h, params[k])
		}
		return base64.StdEncoding.EncodeToString(h.Sum(nil))
	}
	for _, u := range twilioURLForms(publicURL) {
		if subtle.ConstantTimeCompare([]byte(sign(u)), []byte(signature)) == 1 {
			return true
		}
	}
	return false
}

// twilioURLForms is the URL with and without its port (the default port
// added when it has none): Twilio signs whichever form it was given.
func twilioURLForms(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return []string{raw}
	}
	with, without := *u, *u
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		with.Host = u.Host + ":" + port
		return []string{raw, with.String()}
	}
	without.Host = u.Hostname()
	if strings.Contains(without.Host, ":") {
		without.Host = "[" + without.Host + "]"
	}
	return []string{raw, without.String()}
}

// Ping lists at most one message of the account: a read that checks the
// account SID and auth token and sends nothing (the integrations hub's
// connection test). A wrong token is a *Error with Status 401.
func (t *Client) Ping(ctx context.Context) error {
	var out struct {
		Messages []twilioResource `json:"messages"`
	}
	if err := t.call(ctx, http.MethodGet, "Messages", url.Values{"PageSize": {"1"}}, &out); err != nil {
		return fmt.Errorf("twilio: %w", err)
	}
	return nil
}
