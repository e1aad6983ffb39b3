package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"orengen/app/calendar"
)

// Client implements calendar.DAV and calendar.FeedReader over HTTP:
// discovery (RFC 4791 and RFC 5397: principal, calendar home, calendars)
// with go-webdav, delta reads with the sync-collection REPORT (RFC 6578;
// a server without sync tokens is read in full with calendar-query),
// calendar-multiget for the changed resources, PUT and DELETE for the
// bookings written out.
type Client struct {
	// HTTP is the guarded outbound client (httpx): a tenant's server
	// address is checked at every dial.
	HTTP *http.Client
}

var (
	_ calendar.DAV        = (*Client)(nil)
	_ calendar.FeedReader = (*Client)(nil)
)

// batch is how many resources one calendar-multiget asks for.
const batch = 100

func (c *Client) auth(a calendar.Account) webdav.HTTPClient {
	return webdav.HTTPClientWithBasicAuth(c.HTTP, a.Username, a.Password)
}

// Discover implements calendar.DAV.
func (c *Client) Discover(ctx context.Context, a calendar.Account) ([]calendar.Remote, error) {
	hc := c.auth(a)
	wc, err := webdav.NewClient(hc, a.URL)
	if err != nil {
		return nil, err
	}
	cc, err := caldav.NewClient(hc, a.URL)
	if err != nil {
		return nil, err
	}
	principal, err := wc.FindCurrentUserPrincipal(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the account (current-user-principal): %w", err)
	}
	home, err := cc.FindCalendarHomeSet(ctx, principal)
	if err != nil {
		return nil, fmt.Errorf("find the calendar home: %w", err)
	}
	cals, err := cc.FindCalendars(ctx, home)
	if err != nil {
		return nil, fmt.Errorf("list calendars: %w", err)
	}
	var out []calendar.Remote
	for _, k := range cals {
		if len(k.SupportedComponentSet) > 0 && !containsFold(k.SupportedComponentSet, "VEVENT") {
			continue // a task list or an address book
		}
		name := k.Name
		if name == "" {
			name = strings.Trim(k.Path[strings.LastIndex(strings.TrimSuffix(k.Path, "/"), "/")+1:], "/")
		}
		out = append(out, calendar.Remote{Path: k.Path, Name: name})
	}
	return out, nil
}

func containsFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// resolve makes an absolute URL of a server path.
func resolve(base, path string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	p, err := url.Parse(path)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(p).String(), nil
}

// do sends one request and returns the response body of a status in ok.
func (c *Client) do(ctx context.Context, a calendar.Account, method, path string, hdr map[string]string, body []byte, ok ...int) (*http.Response, []byte, error) {
	u, err := resolve(a.URL, path)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.auth(a).Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, data, nil
		}
	}
	return resp, nil, &StatusError{Method: method, Path: path, Code: resp.StatusCode}
}

// StatusError is an unexpected HTTP status from the server.
type StatusError struct {
	Method, Path string
	Code         int
}

func (e *StatusError) Error() string {
	switch e.Code {
	case http.StatusUnauthorized:
		return "the server refused the user name or password (401)"
	case http.StatusForbidden:
		return fmt.Sprintf("the server refused %s %s (403 Forbidden)", e.Method, e.Path)
	}
	return fmt.Sprintf("%s %s: the server answered %d %s", e.Method, e.Path, e.Code, http.StatusText(e.Code))
}

// multistatus is a WebDAV 207 answer of a REPORT.
type multistatus struct {
	Responses []struct {
		Href      string `xml:"DAV: href"`
		Status    string `xml:"DAV: status"`
		Propstats []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				ETag string `xml:"DAV: getetag"`
				Data string `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
	SyncToken string `xml:"DAV: sync-token"`
}

func status404(s string) bool { return strings.Contains(s, " 404") }

// member is one resource of a multistatus answer.
type member struct {
	href, etag, data string
	gone, ok         bool
}

func (ms *multistatus) members() []member {
	var out []member
	for _, r := range ms.Responses {
		m := member{href: hrefPath(r.Href)}
		if status404(r.Status) {
			m.gone = true
		}
		for _, ps := range r.Propstats {
			if strings.Contains(ps.Status, " 200") {
				m.ok = true
				m.etag = unquoteETag(ps.Prop.ETag)
				m.data = ps.Prop.Data
			}
		}
		out = append(out, m)
	}
	return out
}

// hrefPath is the path of an href (servers answer paths or full URLs).
func hrefPath(h string) string {
	h = strings.TrimSpace(h)
	if u, err := url.Parse(h); err == nil && u.Path != "" {
		return u.EscapedPath()
	}
	return h
}

func (c *Client) report(ctx context.Context, a calendar.Account, path, depth, body string) (*multistatus, error) {
	hdr := map[string]string{"Content-Type": "application/xml; charset=utf-8"}
	if depth != "" {
		hdr["Depth"] = depth
	}
	_, data, err := c.do(ctx, a, "REPORT", path, hdr, []byte(xml.Header+body), http.StatusMultiStatus)
	if err != nil {
		return nil, err
	}
	var ms multistatus
	if err := xml.Unmarshal(data, &ms); err != nil {
		return nil, fmt.Errorf("REPORT %s: malformed answer: %w", path, err)
	}
	return &ms, nil
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Changes implements calendar.DAV: sync-collection from token; an
// expired token reads everything again; a server without sync support
// is read in full with calendar-query.
func (c *Client) Changes(ctx context.Context, a calendar.Account, path, token string, w calendar.Window) (*calendar.Delta, error) {
	body := `<d:sync-collection xmlns:d="DAV:"><d:sync-token>` + xmlText(token) + `</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`
	ms, err := c.report(ctx, a, path, "", body)
	var se *StatusError
	if err != nil && token != "" && errors.As(err, &se) && (se.Code == http.StatusForbidden || se.Code == http.StatusConflict || se.Code == http.StatusPreconditionFailed) {
		// RFC 6578 3.8: the token is no longer valid; start again.
		return c.Changes(ctx, a, path, "", w)
	}
	if err != nil && errors.As(err, &se) && se.Code != http.StatusUnauthorized {
		return c.fullQuery(ctx, a, path, w)
	}
	if err != nil {
		return nil, err
	}
	d := &calendar.Delta{Full: token == "", Token: ms.SyncToken}
	var changed []string
	self := hrefPath(path)
	for _, m := range ms.members() {
		switch {
		case strings.TrimSuffix(m.href, "/") == strings.TrimSuffix(self, "/"):
		case m.gone:
			d.Deleted = append(d.Deleted, m.href)
		case strings.HasSuffix(m.href, "/"):
			// a sub-collection: not an event
		default:
			changed = append(changed, m.href)
		}
	}
	for i := 0; i < len(changed); i += batch {
		objs, gone, err := c.multiget(ctx, a, path, changed[i:min(i+batch, len(changed))], w)
		if err != nil {
			return nil, err
		}
		d.Changed = append(d.Changed, objs...)
		d.Deleted = append(d.Deleted, gone...)
	}
	return d, nil
}

func (c *Client) objects(ms *multistatus, w calendar.Window) ([]calendar.RemoteObject, []string, error) {
	var out []calendar.RemoteObject
	var gone []string
	for _, m := range ms.members() {
		if m.gone || !m.ok {
			gone = append(gone, m.href)
			continue
		}
		evs, err := ParseICS([]byte(m.data), w)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", m.href, err)
		}
		out = append(out, calendar.RemoteObject{Href: m.href, ETag: m.etag, Events: evs})
	}
	return out, gone, nil
}

func (c *Client) multiget(ctx context.Context, a calendar.Account, path string, hrefs []string, w calendar.Window) ([]calendar.RemoteObject, []string, error) {
	var b strings.Builder
	b.WriteString(`<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>`)
	for _, h := range hrefs {
		b.WriteString("<d:href>" + xmlText(h) + "</d:href>")
	}
	b.WriteString(`</c:calendar-multiget>`)
	ms, err := c.report(ctx, a, path, "1", b.String())
	if err != nil {
		return nil, nil, err
	}
	return c.objects(ms, w)
}

// fullQuery reads every event of the calendar (no sync tokens).
func (c *Client) fullQuery(ctx context.Context, a calendar.Account, path string, w calendar.Window) (*calendar.Delta, error) {
	body := `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>` +
		`<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter></c:filter></c:calendar-query>`
	ms, err := c.report(ctx, a, path, "1", body)
	if err != nil {
		return nil, err
	}
	objs, _, err := c.objects(ms, w)
	if err != nil {
		return nil, err
	}
	return &calendar.Delta{Changed: objs, Full: true}, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// PutEvent implements calendar.DAV: the booking as one VEVENT (no METHOD:
// a stored CalDAV object has none) at PATH/UID.ics, created with
// If-None-Match: * or replaced with If-Match (RFC 4791 5.3.2, RFC 9110
// 13.1). A server that answers without an ETag (it changed the data as
// it stored it) is asked for the stored version's.
func (c *Client) PutEvent(ctx context.Context, a calendar.Account, path string, b *calendar.Booking, etag string) (string, string, error) {
	cal := newCal("")
	ev := bookingEvent(b, time.Now())
	if b.Notes != "" {
		ev.Props.SetText(ical.PropDescription, b.Notes)
	}
	cal.Children = append(cal.Children, ev.Component)
	data, err := encode(cal)
	if err != nil {
		return "", "", err
	}
	href := strings.TrimSuffix(hrefPath(path), "/") + "/" + unsafeName.ReplaceAllString(b.UID, "_") + ".ics"
	hdr := map[string]string{"Content-Type": ical.MIMEType + "; charset=utf-8"}
	if etag == "" {
		hdr["If-None-Match"] = "*"
	} else {
		hdr["If-Match"] = quoteETag(etag)
	}
	resp, _, err := c.do(ctx, a, http.MethodPut, href, hdr, data, http.StatusCreated, http.StatusNoContent, http.StatusOK)
	if err != nil {
		return href, "", changed(err)
	}
	tag := unquoteETag(resp.Header.Get("ETag"))
	if tag == "" {
		if tag, err = c.EventETag(ctx, a, href); err != nil {
			return href, "", err
		}
	}
	return href, tag, nil
}

// DeleteEvent implements calendar.DAV.
func (c *Client) DeleteEvent(ctx context.Context, a calendar.Account, href, etag string) error {
	var hdr map[string]string
	if etag != "" {
		hdr = map[string]string{"If-Match": quoteETag(etag)}
	}
	_, _, err := c.do(ctx, a, http.MethodDelete, href, hdr, nil, http.StatusOK, http.StatusNoContent, http.StatusNotFound, http.StatusGone)
	return changed(err)
}

// EventETag implements calendar.DAV with a HEAD request.
func (c *Client) EventETag(ctx context.Context, a calendar.Account, href string) (string, error) {
	resp, _, err := c.do(ctx, a, http.MethodHead, href, nil, nil, http.StatusOK, http.StatusNotFound, http.StatusGone)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", nil
	}
	tag := unquoteETag(resp.Header.Get("ETag"))
	if tag == "" {
		return "", fmt.Errorf("HEAD %s: the server sent no ETag", href)
	}
	return tag, nil
}

// changed maps a 412 answer to calendar.ErrChanged.
func changed(err error) error {
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusPreconditionFailed {
		return fmt.Errorf("%s %s: %w", se.Method, se.Path, calendar.ErrChanged)
	}
	return err
}

// unquoteETag is an ETag header's opaque value: the quotes and a weak
// prefix removed (stored, and compared with getetag values, that way).
func unquoteETag(h string) string {
	return strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "W/"), `"`)
}

// quoteETag is the header form of a stored ETag.
func quoteETag(v string) string { return `"` + v + `"` }

// ReadFeed implements calendar.FeedReader: GET the feed and expand it.
func (c *Client) ReadFeed(ctx context.Context, rawURL string, w calendar.Window) ([]calendar.BusyEvent, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the feed answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read the feed: %w", err)
	}
	return ParseICS(data, w)
}
