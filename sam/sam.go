// Package sam speaks the SAM.gov Get Opportunities v2 API: the request
// URL with the api_key, the daily quota taken before each request, paging
// (SearchAll), notice descriptions, and SAM.gov's error answers (gateway
// codes, 429 with nextAccessTime, the empty 404 of an unknown key) turned
// into federal's typed errors, never holding the key. It implements
// federal.SAMAPI; the records and how their JSON reads stay in
// app/federal (the store re-reads stored notices). It imports app/federal
// and the standard library; its HTTP client comes from the wiring (httpx).
package sam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"orengen/app/federal"
)

// SAM.gov endpoints.
const (
	DefaultBaseURL = "https://api.sam.gov"       // production
	AlphaBaseURL   = "https://api-alpha.sam.gov" // test environment (separate keys)
	SearchPath     = "/opportunities/v2/search"

	// DefaultTimeout bounds one API call. A third-party guide reports about
	// 60 s per Opportunities call, so leave room.
	DefaultTimeout = 90 * time.Second

	// maxBody caps a response body: 1,000 notices are a few MB.
	maxBody = 64 << 20
)

var defaultHTTPClient = &http.Client{Timeout: DefaultTimeout}

// Client calls the SAM.gov Get Opportunities v2 API. The zero value plus
// an APIKey works against production with the default 90 s timeout; it is
// safe for concurrent use once configured.
//
// Every request first takes one unit from Quota (when set) for KeyType on the
// current UTC day; past the KeyType's daily limit the call returns
// federal.ErrQuotaExhausted without sending anything.
type Client struct {
	BaseURL string               // scheme://host[:port]; default DefaultBaseURL
	APIKey  federal.Secret       // SAM.gov public API key (Account Details)
	HTTP    *http.Client         // default: a client with DefaultTimeout
	Quota   federal.QuotaCounter // nil disables local accounting
	Now     func() time.Time

	KeyType string              // quota bucket; default federal.KeyPersonal (10/day)
	Limits  federal.QuotaPolicy // default federal.DefaultQuotaPolicy()

	// PageIndexOffsets makes SearchAll advance offset by 1 per page (offset
	// as a "page index", as the docs word it) instead of by limit (record
	// offset, what most clients and the fixtures do). UNCONFIRMED which one
	// the live API uses: SearchAll stops on a page with no new notice either
	// way and counts it in federal.SearchSummary.RepeatedPages.
	PageIndexOffsets bool
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTPClient
}

func (c *Client) baseURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	return DefaultBaseURL
}

// Bucket is the key type whose daily quota the requests use.
func (c *Client) Bucket() string {
	if c.KeyType != "" {
		return c.KeyType
	}
	return federal.KeyPersonal
}

// Counting reports whether a quota counter counts the requests.
func (c *Client) Counting() bool { return c.Quota != nil }

// WithKey returns a copy of c that sends key.
func (c *Client) WithKey(key federal.Secret) federal.SAMAPI {
	cp := *c
	cp.APIKey = key
	return &cp
}

// SpendDay records day's quota as used up in the counter: SAM.gov
// answered 429 "quota exceeded" before the local count reached the
// limit, so later runs, even after a restart, send nothing. Without a
// counter, or when the limit is unknown, it does nothing.
func (c *Client) SpendDay(ctx context.Context, day string) error {
	if c.Quota == nil {
		return nil
	}
	limit, _, err := c.QuotaStatus(ctx)
	if err != nil {
		return nil
	}
	return c.Quota.SetUsed(ctx, c.Bucket(), day, limit)
}

func (c *Client) limits() federal.QuotaPolicy {
	if c.Limits != nil {
		return c.Limits
	}
	return federal.DefaultQuotaPolicy()
}

// QuotaStatus reports the daily limit and the requests counted today for the
// client's key type (used is 0 without a Quota). used is at most limit:
// the counter also counts attempts refused here once the limit was
// reached, which never reached SAM.gov.
func (c *Client) QuotaStatus(ctx context.Context) (limit, used int, err error) {
	limit, err = c.limits().Limit(c.Bucket())
	if err != nil || c.Quota == nil {
		return limit, 0, err
	}
	used, err = c.Quota.Used(ctx, c.Bucket(), federal.QuotaDay(c.now()))
	if err != nil {
		return limit, 0, fmt.Errorf("quota used: %w", err)
	}
	return limit, min(used, limit), nil
}

// Search fetches one page. Errors: *ValidationError for bad params (nothing
// sent, no quota used), federal.ErrInvalidKey, federal.ErrQuotaExhausted, *federal.RateLimitError,
// federal.ErrTimeout, *federal.APIError. An empty result is a federal.Page with no notices and a nil
// error. A 404 with a JSON body that is not an auth error (S1 lists 404 "No
// Data found"; UNCONFIRMED) is an *federal.APIError with Status 404, never a silent
// empty page. A failing Quota (redka down) fails closed: nothing is sent.
func (c *Client) Search(ctx context.Context, p federal.SearchParams) (federal.Page, error) {
	page, err := c.search(ctx, p)
	return page, c.scrubErr(err)
}

func (c *Client) search(ctx context.Context, p federal.SearchParams) (federal.Page, error) {
	if err := p.Validate(); err != nil {
		return federal.Page{}, fmt.Errorf("sam search: %w", err)
	}
	q := p.Query()
	q.Set("api_key", string(c.APIKey))
	u := c.baseURL() + SearchPath + "?" + q.Encode()
	status, header, body, err := c.get(ctx, "sam search", u)
	if err != nil {
		return federal.Page{}, err
	}
	if err := c.classify(status, header, body); err != nil {
		return federal.Page{}, fmt.Errorf("sam search: %w", err)
	}
	if len(c.APIKey) >= 4 { // a key the API echoes must not reach federal.Notice.Raw (and the database)
		body = bytes.ReplaceAll(body, []byte(c.APIKey), []byte(federal.Redacted))
	}
	page, err := decodePage(body)
	if err != nil {
		return federal.Page{}, fmt.Errorf("sam search: %w", err)
	}
	return page, nil
}

func decodePage(body []byte) (federal.Page, error) {
	var w wirePage
	if err := json.Unmarshal(body, &w); err != nil {
		return federal.Page{}, &federal.APIError{Status: http.StatusOK, Message: "malformed JSON: " + err.Error()}
	}
	if w.TotalRecords == nil && w.OpportunitiesData == nil && !bytes.Contains(body, []byte(`"opportunitiesData"`)) {
		return federal.Page{}, &federal.APIError{Status: http.StatusOK, Message: "response has neither totalRecords nor opportunitiesData"}
	}
	page := federal.Page{TotalRecords: -1, Limit: int(w.Limit), Offset: int(w.Offset)}
	if w.TotalRecords != nil {
		page.TotalRecords = int(*w.TotalRecords)
	}
	for i, raw := range w.OpportunitiesData {
		if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
			continue
		}
		var n federal.Notice
		if err := json.Unmarshal(raw, &n); err != nil {
			return federal.Page{}, &federal.APIError{Status: http.StatusOK, Message: fmt.Sprintf("malformed opportunitiesData[%d]: %s", i, err)}
		}
		page.Notices = append(page.Notices, n)
	}
	for _, l := range w.Links {
		page.Links = append(page.Links, federal.Link{Rel: string(l.Rel), Href: federal.RedactURL(string(l.Href))})
	}
	return page, nil
}

// SearchAll pages through every result of p, calling fn once per distinct
// notice, in API order. It starts at p.Offset and advances by the page size
// (or by 1 with PageIndexOffsets). It stops when the distinct notices reach
// totalRecords, on an empty or short page, or on a page that adds no notice
// not seen before (a misread offset or a server repeating itself; counted in
// RepeatedPages). A fn error stops the loop and is returned wrapped.
//
// On an error the summary is still valid: NextOffset says where to resume
// (for example the next day after federal.ErrQuotaExhausted or *federal.RateLimitError).
func (c *Client) SearchAll(ctx context.Context, p federal.SearchParams, fn func(federal.Notice) error) (federal.SearchSummary, error) {
	sum := federal.SearchSummary{TotalRecords: -1, NextOffset: p.Offset}
	if err := p.Validate(); err != nil {
		sum.StopReason = "error"
		return sum, fmt.Errorf("sam search all: %w", err)
	}
	limit := p.Limit
	if limit == 0 {
		limit = federal.DefaultLimit
		p.Limit = limit
	}
	seen := map[string]bool{}
	for {
		page, err := c.Search(ctx, p)
		if err != nil {
			sum.StopReason = "error"
			return sum, err
		}
		sum.Requests++
		if page.TotalRecords >= 0 {
			sum.TotalRecords = page.TotalRecords
		}
		added := 0
		for _, n := range page.Notices {
			id := dedupKey(n)
			if seen[id] {
				sum.Duplicates++
				continue
			}
			seen[id] = true
			added++
			sum.Notices++
			if err := fn(n); err != nil {
				sum.StopReason = "error"
				return sum, fmt.Errorf("sam search all: notice %s: %w", n.NoticeID, err)
			}
		}
		pageSize := limit
		if page.Limit > 0 && page.Limit < pageSize {
			pageSize = page.Limit // the server capped the page size
		}
		if c.PageIndexOffsets {
			p.Offset++
		} else {
			p.Offset += pageSize
		}
		sum.NextOffset = p.Offset
		switch {
		case len(page.Notices) == 0:
			sum.StopReason, sum.Complete = "empty page", true
		case added == 0:
			sum.RepeatedPages++
			sum.StopReason = "repeated page"
		case sum.TotalRecords >= 0 && sum.Notices >= sum.TotalRecords:
			sum.StopReason, sum.Complete = "complete", true
		case len(page.Notices) < pageSize:
			sum.StopReason, sum.Complete = "short page", true
		case sum.TotalRecords >= 0 && !c.PageIndexOffsets && p.Offset >= sum.TotalRecords:
			sum.StopReason, sum.Complete = "complete", true
		case sum.TotalRecords >= 0 && c.PageIndexOffsets && p.Offset*pageSize >= sum.TotalRecords:
			sum.StopReason, sum.Complete = "complete", true
		default:
			continue
		}
		return sum, nil
	}
}

// dedupKey is the notice ID, or a hash of the raw record when a record has
// no ID, so that a server repeating ID-less records still ends the loop.
func dedupKey(n federal.Notice) string {
	if n.NoticeID != "" {
		return n.NoticeID
	}
	h := sha256.Sum256(n.Raw)
	return "raw:" + string(h[:])
}

// FetchDescription downloads a notice description (federal.Notice.DescriptionURL)
// and returns its text (usually HTML; federal.PlainText strips it). It appends the
// api_key and costs one request from the quota. For safety the URL must
// point at the configured BaseURL host or at api.sam.gov/api-alpha.sam.gov
// over HTTPS, so the key is never sent elsewhere. Errors as for Search, plus
// federal.ErrDescriptionNotFound.
func (c *Client) FetchDescription(ctx context.Context, descURL string) (string, error) {
	s, err := c.fetchDescription(ctx, descURL)
	return s, c.scrubErr(err)
}

func (c *Client) fetchDescription(ctx context.Context, descURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(descURL))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("sam description: %w", &federal.ValidationError{Field: "description", Message: "not an absolute URL"})
	}
	base, _ := url.Parse(c.baseURL())
	sameHost := base != nil && strings.EqualFold(u.Host, base.Host) && u.Scheme == base.Scheme
	samHost := u.Scheme == "https" && (strings.EqualFold(u.Hostname(), "api.sam.gov") || strings.EqualFold(u.Hostname(), "api-alpha.sam.gov"))
	if !sameHost && !samHost {
		return "", fmt.Errorf("sam description: %w", &federal.ValidationError{Field: "description", Message: fmt.Sprintf("URL host %q is not SAM.gov; refusing to send the api key there", u.Host)})
	}
	q := u.Query()
	q.Set("api_key", string(c.APIKey))
	u.RawQuery = q.Encode()
	status, header, body, err := c.get(ctx, "sam description", u.String())
	if err != nil {
		return "", err
	}
	if msg := bodyMessage(body); strings.EqualFold(strings.TrimSpace(msg), "Description Not Found") ||
		strings.EqualFold(strings.TrimSpace(string(body)), "Description Not Found") {
		return "", fmt.Errorf("sam description: %w", federal.ErrDescriptionNotFound)
	}
	if err := c.classify(status, header, body); err != nil {
		return "", fmt.Errorf("sam description: %w", err)
	}
	if len(c.APIKey) >= 4 {
		body = bytes.ReplaceAll(body, []byte(c.APIKey), []byte(federal.Redacted))
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var w struct {
			Description *string `json:"description"`
		}
		if err := json.Unmarshal(trimmed, &w); err == nil && w.Description != nil {
			return *w.Description, nil
		}
	}
	return string(body), nil
}

// get sends one GET after taking a quota unit.
func (c *Client) get(ctx context.Context, op, rawURL string) (int, http.Header, []byte, error) {
	if c.APIKey == "" {
		return 0, nil, nil, fmt.Errorf("%s: no api key configured: %w", op, federal.ErrInvalidKey)
	}
	limit, err := c.limits().Limit(c.Bucket())
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	if c.Quota != nil {
		day := federal.QuotaDay(c.now())
		used, err := c.Quota.Take(ctx, c.Bucket(), day)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%s: quota take: %w", op, err)
		}
		if used > limit {
			return 0, nil, nil, fmt.Errorf("%s: %w (%s key: %d of %d requests used on %s; resets %s)",
				op, federal.ErrQuotaExhausted, c.Bucket(), limit, limit, day, federal.QuotaResetAt(c.now()).Format(time.RFC3339))
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s: new request: %w", op, redactErr(err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, nil, nil, transportError(op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, nil, transportError(op+": read body", err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// transportError wraps a network error, removing the api_key from URLs and
// marking timeouts with federal.ErrTimeout.
func transportError(op string, err error) error {
	err = redactErr(err)
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s: %w: %w", op, federal.ErrTimeout, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// redactErr replaces the api_key in a *url.Error's URL.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = federal.RedactURL(ue.URL)
	}
	return err
}

// scrubbedError carries an error whose text had the API key removed; it
// still unwraps to the original chain for errors.Is/As.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := federal.APIKeyRE.ReplaceAllString(c.APIKey.Scrub(err.Error()), "${1}"+federal.Redacted)
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// Gateway (WSO2) and api.data.gov codes seen or documented for SAM.gov.
var (
	authCodes = map[string]bool{
		"900900": true, "900901": true, "900902": true, "900903": true, "900904": true,
		"900905": true, "900908": true, "900909": true, "900910": true,
		"API_KEY_MISSING": true, "API_KEY_INVALID": true, "API_KEY_DISABLED": true,
		"API_KEY_UNAUTHORIZED": true, "API_KEY_UNVERIFIED": true,
	}
	rateCodes = map[string]bool{
		"900800": true, "900801": true, "900802": true, "900803": true, "900804": true,
		"OVER_RATE_LIMIT": true,
	}
	// The two documented invalid-key messages (S1).
	authMessages = []string{"an invalid api_key was supplied", "no api_key was supplied"}
)

type errorBody struct {
	Code           federal.FlexString `json:"code"`
	ErrorCode      federal.FlexString `json:"errorCode"`
	Message        federal.FlexString `json:"message"`
	ErrorMessage   federal.FlexString `json:"errorMessage"`
	Description    federal.FlexString `json:"description"`
	NextAccessTime federal.FlexString `json:"nextAccessTime"`
	Error          *struct {
		Code    federal.FlexString `json:"code"`
		Message federal.FlexString `json:"message"`
	} `json:"error"`
}

func parseErrorBody(body []byte) (errorBody, bool) {
	var e errorBody
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &e) != nil {
		return errorBody{}, false
	}
	return e, true
}

func (e errorBody) code() string {
	for _, c := range []federal.FlexString{e.Code, e.ErrorCode} {
		if c != "" {
			return strings.TrimSpace(string(c))
		}
	}
	if e.Error != nil {
		return strings.TrimSpace(string(e.Error.Code))
	}
	return ""
}

func (e errorBody) message() string {
	for _, m := range []federal.FlexString{e.ErrorMessage, e.Message} {
		if m != "" {
			return strings.TrimSpace(string(m))
		}
	}
	if e.Error != nil {
		return strings.TrimSpace(string(e.Error.Message))
	}
	return ""
}

func bodyMessage(body []byte) string {
	e, _ := parseErrorBody(body)
	return e.message()
}

// classify turns a response into nil (200 with a page to decode) or a typed
// error. It branches on status and on the body's code fields; message text
// only for the two documented invalid-key messages.
func (c *Client) classify(status int, header http.Header, body []byte) error {
	eb, isJSON := parseErrorBody(body)
	code, msg := eb.code(), eb.message()
	detail := func() string {
		var parts []string
		parts = append(parts, "status "+strconv.Itoa(status))
		if code != "" {
			parts = append(parts, "code "+code)
		}
		if msg != "" {
			parts = append(parts, c.APIKey.Scrub(truncate(msg, 200)))
		}
		return strings.Join(parts, ", ")
	}
	authMsg := false
	for _, m := range authMessages {
		authMsg = authMsg || strings.Contains(strings.ToLower(msg), m)
	}
	switch {
	case status == http.StatusTooManyRequests || rateCodes[code]:
		return &federal.RateLimitError{RetryAt: retryAt(eb, header, c.now()), Message: c.APIKey.Scrub(truncate(msg, 200))}
	case status == http.StatusUnauthorized || status == http.StatusForbidden || authCodes[code] || authMsg:
		return fmt.Errorf("%w (%s)", federal.ErrInvalidKey, detail())
	case status == http.StatusNotFound && !isJSON:
		// S6: an unusable key gets an empty 404 from the gateway, never "no data".
		return fmt.Errorf("%w (status 404 with a non-JSON body: the gateway did not recognise the key)", federal.ErrInvalidKey)
	case status == http.StatusOK && isJSON && (code != "" || eb.Error != nil) && !bytes.Contains(body, []byte(`"totalRecords"`)) && !bytes.Contains(body, []byte(`"opportunitiesData"`)) && !bytes.Contains(body, []byte(`"description"`)):
		return &federal.APIError{Status: status, Code: code, Message: c.APIKey.Scrub(truncate(msg, 500))}
	case status >= 200 && status < 300:
		return nil
	}
	if !isJSON {
		return &federal.APIError{Status: status, Message: c.APIKey.Scrub(nonJSONMessage(header, body))}
	}
	return &federal.APIError{Status: status, Code: code, Message: c.APIKey.Scrub(truncate(msg, 500))}
}

var titleRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`) })

// nonJSONMessage describes an HTML or text error body briefly.
func nonJSONMessage(header http.Header, body []byte) string {
	ct := header.Get("Content-Type")
	if len(bytes.TrimSpace(body)) == 0 {
		return "empty body"
	}
	if m := titleRE().FindSubmatch(body); m != nil {
		return fmt.Sprintf("non-JSON response (%s): %s", ct, truncate(strings.Join(strings.Fields(string(m[1])), " "), 200))
	}
	return fmt.Sprintf("non-JSON response (%s): %s", ct, truncate(strings.Join(strings.Fields(federal.PlainText(string(body))), " "), 200))
}

var accessAfterRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)after\s+(.+?)\s*$`) })

// retryAt picks the time SAM.gov says access resumes.
func retryAt(eb errorBody, header http.Header, now time.Time) time.Time {
	if t, err := federal.ParseTime(string(eb.NextAccessTime)); err == nil && !t.IsZero() {
		return t.UTC()
	}
	if ra := strings.TrimSpace(header.Get("Retry-After")); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
			return now.Add(time.Duration(secs) * time.Second).UTC()
		}
		if t, err := http.ParseTime(ra); err == nil {
			return t.UTC()
		}
	}
	if m := accessAfterRE().FindStringSubmatch(string(eb.Description)); m != nil {
		if t, err := federal.ParseTime(m[1]); err == nil && !t.IsZero() {
			return t.UTC()
		}
	}
	return federal.QuotaResetAt(now)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

type wirePage struct {
	TotalRecords      *federal.FlexInt  `json:"totalRecords"`
	Limit             federal.FlexInt   `json:"limit"`
	Offset            federal.FlexInt   `json:"offset"`
	OpportunitiesData []json.RawMessage `json:"opportunitiesData"`
	Links             []struct {
		Rel  federal.FlexString `json:"rel"`
		Href federal.FlexString `json:"href"`
	} `json:"links"`
}

// Helpers shared with package grants: Grants.gov's gateway answers
// failures the way SAM.gov's does.

// TransportError wraps a network error, removing any api_key from URLs and
// marking timeouts with federal.ErrTimeout.
func TransportError(op string, err error) error { return transportError(op, err) }

// NonJSONMessage describes an HTML or text error body briefly.
func NonJSONMessage(header http.Header, body []byte) string { return nonJSONMessage(header, body) }

// RetryAfter reads a Retry-After header (seconds or a date); without one
// it is the next 00:00 UTC, when quotas reset.
func RetryAfter(header http.Header, now time.Time) time.Time {
	return retryAt(errorBody{}, header, now)
}

// Truncate cuts s to at most n bytes on a rune boundary, adding "...".
func Truncate(s string, n int) string { return truncate(s, n) }
