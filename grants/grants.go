// Package grants speaks the Grants.gov REST API (search2 and
// fetchOpportunity, no key): the request bodies sent, the errorcode/msg
// envelope and HTTP failures turned into federal's typed errors. It
// implements federal.GrantsAPI; the Grant record and how its JSON reads
// stay in app/federal. It imports app/federal, package sam (for the
// gateway error helpers both APIs share) and the standard library; its
// HTTP client comes from the wiring (httpx).
package grants

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"orengen/app/federal"
	"orengen/sam"
)

// Grants.gov endpoints (no authentication).
const (
	DefaultBaseURL = "https://api.grants.gov"
	SearchPath     = "/v1/api/search2"
	FetchPath      = "/v1/api/fetchOpportunity"

	// maxBody caps a response body.
	maxBody = 64 << 20
)

var defaultHTTPClient = &http.Client{Timeout: sam.DefaultTimeout}

var _ federal.GrantsAPI = (*Client)(nil)

// Client calls the Grants.gov REST API. The zero value works against
// production with the default 90 s timeout.
type Client struct {
	BaseURL string       // default DefaultBaseURL
	HTTP    *http.Client // default: a client with DefaultTimeout
	Now     func() time.Time
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Search runs search2. Errors: *ValidationError, *federal.RateLimitError (429),
// ErrTimeout, *federal.APIError (HTTP error, malformed JSON, errorcode != 0).
func (c *Client) Search(ctx context.Context, p federal.GrantSearchParams) (federal.GrantPage, error) {
	if err := p.Validate(); err != nil {
		return federal.GrantPage{}, fmt.Errorf("grants search: %w", err)
	}
	var data struct {
		HitCount    federal.FlexInt   `json:"hitCount"`
		StartRecord federal.FlexInt   `json:"startRecord"`
		OppHits     []json.RawMessage `json:"oppHits"`
	}
	if err := c.post(ctx, "grants search", SearchPath, p.Body(), &data); err != nil {
		return federal.GrantPage{}, err
	}
	page := federal.GrantPage{HitCount: int(data.HitCount), StartRecord: int(data.StartRecord)}
	for i, raw := range data.OppHits {
		if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
			continue
		}
		g, err := federal.DecodeGrantHit(raw)
		if err != nil {
			return federal.GrantPage{}, fmt.Errorf("grants search: %w", &federal.APIError{Status: http.StatusOK, Message: fmt.Sprintf("malformed oppHits[%d]: %s", i, err)})
		}
		page.Grants = append(page.Grants, g)
	}
	return page, nil
}

// Fetch runs fetchOpportunity for a numeric opportunity id (federal.Grant.ID) and
// returns the detailed federal.Grant. Errors as for Search; a non-numeric id is a
// *ValidationError.
func (c *Client) Fetch(ctx context.Context, id string) (federal.Grant, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return federal.Grant{}, fmt.Errorf("grants fetch: %w", &federal.ValidationError{Field: "opportunityId", Message: fmt.Sprintf("must be a positive number, got %q", id)})
	}
	var data json.RawMessage
	if err := c.post(ctx, "grants fetch", FetchPath, map[string]any{"opportunityId": n}, &data); err != nil {
		return federal.Grant{}, err
	}
	g, err := federal.DecodeGrantDetail(data)
	if err != nil {
		return federal.Grant{}, fmt.Errorf("grants fetch: %w", &federal.APIError{Status: http.StatusOK, Message: "malformed data: " + err.Error()})
	}
	if g.ID == "" {
		return federal.Grant{}, fmt.Errorf("grants fetch: %w", &federal.APIError{Status: http.StatusOK, Message: "response data has no opportunity id"})
	}
	return g, nil
}

func (c *Client) post(ctx context.Context, op, path string, reqBody any, data any) error {
	b, err := json.Marshal(reqBody)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", op, err)
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: new request: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return sam.TransportError(op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return sam.TransportError(op+": read body", err)
	}
	var env struct {
		ErrorCode *federal.FlexInt   `json:"errorcode"`
		Msg       federal.FlexString `json:"msg"`
		Data      json.RawMessage    `json:"data"`
	}
	jsonErr := json.Unmarshal(body, &env)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		at := c.now().Add(time.Minute).UTC()
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			at = sam.RetryAfter(resp.Header, c.now())
		}
		return fmt.Errorf("%s: %w", op, &federal.RateLimitError{RetryAt: at, Message: string(env.Msg)})
	case resp.StatusCode != http.StatusOK:
		msg := string(env.Msg)
		if jsonErr != nil {
			msg = sam.NonJSONMessage(resp.Header, body)
		}
		return fmt.Errorf("%s: %w", op, &federal.APIError{Status: resp.StatusCode, Message: sam.Truncate(msg, 500)})
	case jsonErr != nil:
		return fmt.Errorf("%s: %w", op, &federal.APIError{Status: resp.StatusCode, Message: "malformed JSON: " + nonJSONOr(jsonErr, resp.Header, body)})
	case env.ErrorCode != nil && *env.ErrorCode != 0:
		return fmt.Errorf("%s: %w", op, &federal.APIError{Status: resp.StatusCode, Code: strconv.Itoa(int(*env.ErrorCode)), Message: sam.Truncate(string(env.Msg), 500)})
	case len(bytes.TrimSpace(env.Data)) == 0 || string(bytes.TrimSpace(env.Data)) == "null":
		return fmt.Errorf("%s: %w", op, &federal.APIError{Status: resp.StatusCode, Message: "response has no data"})
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		return fmt.Errorf("%s: %w", op, &federal.APIError{Status: resp.StatusCode, Message: "malformed data: " + err.Error()})
	}
	return nil
}

func nonJSONOr(err error, h http.Header, body []byte) string {
	t := bytes.TrimSpace(body)
	if len(t) > 0 && t[0] == '<' {
		return sam.NonJSONMessage(h, body)
	}
	return err.Error()
}
