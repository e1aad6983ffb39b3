package sam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"orengen/app/federal"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "SAMKEY-test-0123456789abcdefXYZ"

var testNow = time.Date(2026, 1, 20, 15, 0, 0, 0, time.UTC)

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "app", "federal", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func januaryParams() federal.SearchParams {
	return federal.SearchParams{PostedFrom: "01/01/2026", PostedTo: "01/31/2026", Limit: 3}
}

// samServer serves recorded responses; handle gets the request and the
// number of the call (1-based). It checks every request carries the key.
func samServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, call int)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if got := r.URL.Query().Get("api_key"); got != testKey {
			t.Errorf("request %d: api_key = %q", n, got)
		}
		handle(w, r, n)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func newTestClient(srv *httptest.Server) *Client {
	return &Client{
		BaseURL: srv.URL, APIKey: testKey, HTTP: srv.Client(),
		Quota: &federal.MemoryQuota{}, KeyType: federal.KeySystem, Now: func() time.Time { return testNow },
	}
}

func serveFile(w http.ResponseWriter, status int, name string, tb testing.TB) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(mustRead(tb, name))
}

// assertNoKey fails when the API key shows in an error's text, in any form.
func assertNoKey(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(s, testKey) || strings.Contains(s, url.QueryEscape(testKey)) {
			t.Fatalf("error leaks the API key: %s", s)
		}
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), testKey) {
			t.Fatalf("wrapped error leaks the API key: %s", e.Error())
		}
	}
}

func TestClient_Search(t *testing.T) {
	srv, _ := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		q := r.URL.Query()
		if r.URL.Path != SearchPath {
			t.Errorf("path = %q", r.URL.Path)
		}
		for k, want := range map[string]string{"postedFrom": "01/01/2026", "postedTo": "01/31/2026", "limit": "3", "offset": "0", "noticeid": "", "typeOfSetAside": "SBA"} {
			if got := q.Get(k); got != want {
				t.Errorf("query %s = %q, want %q", k, got, want)
			}
		}
		if got := q["ptype"]; len(got) != 2 || got[0] != "o" || got[1] != "k" {
			t.Errorf("ptype = %v, want repeated o, k", got)
		}
		serveFile(w, 200, "sam_search_page1.json", t)
	})
	c := newTestClient(srv)
	p := januaryParams()
	p.ProcurementTypes = []string{"o", "k"}
	p.SetAside = "SBA"
	page, err := c.Search(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if page.TotalRecords != 5 || page.Limit != 3 || page.Offset != 0 || len(page.Notices) != 3 {
		t.Fatalf("page = total %d limit %d offset %d notices %d", page.TotalRecords, page.Limit, page.Offset, len(page.Notices))
	}
	a := page.Notices[0]
	checks := []struct{ name, got, want string }{
		{"noticeId", a.NoticeID, "3f6c1a9e2b7d4c08a5e1f0b9d2c4e6a1"},
		{"type", a.Type, "Solicitation"},
		{"baseType", a.BaseType, "Presolicitation"},
		{"department", a.Department, "HOMELAND SECURITY, DEPARTMENT OF"},
		{"subTier", a.SubTier, "US CITIZENSHIP AND IMMIGRATION SERVICES"},
		{"office", a.Office, "IT CONTRACTING BRANCH"},
		{"setAside", a.SetAside, "SBA"},
		{"deadline", a.ResponseDeadline.Format(time.RFC3339), "2026-02-17T14:00:00-05:00"},
		{"posted", a.PostedDate.Format(time.RFC3339), "2026-01-12T00:00:00Z"},
		{"poc", fmt.Sprint(len(a.PointsOfContact)), "2"},
		{"poc0 fax", a.PointsOfContact[0].Fax, ""},
		{"poc1 email", a.PointsOfContact[1].Email, "priya.natarajan@uscis.dhs.gov"},
		{"pop state", a.PlaceOfPerformance.State.Code, "DC"},
		{"office zip", a.OfficeAddress.Zipcode, "05403"},
		{"resources", fmt.Sprint(len(a.ResourceLinks)), "2"},
		{"description", a.DescriptionURL, "https://api.sam.gov/prod/opportunities/v1/noticedesc?noticeid=3f6c1a9e2b7d4c08a5e1f0b9d2c4e6a1"},
		{"active", fmt.Sprint(a.Active), "true"},
		{"award", fmt.Sprint(a.Award == nil), "true"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	cRec := page.Notices[2]
	if !cRec.ResponseDeadline.IsZero() || cRec.PlaceOfPerformance != nil || cRec.SetAside != "" {
		t.Errorf("record C: deadline %v place %v set-aside %q, want zero/nil/empty", cRec.ResponseDeadline, cRec.PlaceOfPerformance, cRec.SetAside)
	}
	if len(a.Warnings) != 0 || len(cRec.Warnings) != 0 {
		t.Errorf("warnings: %v %v", a.Warnings, cRec.Warnings)
	}
}

func TestClient_Search_Page2Variants(t *testing.T) {
	srv, _ := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		serveFile(w, 200, "sam_search_page2.json", t)
	})
	page, err := newTestClient(srv).Search(context.Background(), januaryParams())
	if err != nil {
		t.Fatal(err)
	}
	d, e := page.Notices[0], page.Notices[1]
	if d.PointsOfContact != nil || d.SolicitationNumber != "HC108426R0019" || d.SetAside != "NONE" {
		t.Errorf("D: poc %v solnum %q set-aside %q", d.PointsOfContact, d.SolicitationNumber, d.SetAside)
	}
	if got := d.PostedDate.Format(time.RFC3339); got != "2026-01-20T09:15:00Z" {
		t.Errorf("D posted = %s", got)
	}
	if got := d.AllNAICS(); len(got) != 2 || got[1] != "541519" {
		t.Errorf("D naics = %v", got)
	}
	if d.PlaceOfPerformance == nil || d.PlaceOfPerformance.Country.Code != "USA" || d.PlaceOfPerformance.State.Code != "" {
		t.Errorf("D place = %+v", d.PlaceOfPerformance)
	}
	if e.Active || e.Award == nil || e.Award.Amount.Cents != 500000000 || e.Award.Awardee.CAGE != "8XYZ1" ||
		e.Award.Awardee.Location.State.Code != "VA" || !e.ResponseDeadline.IsZero() || e.PlaceOfPerformance != nil ||
		e.ArchiveDate.Format(time.DateOnly) != "2026-01-20" || !e.IsAward() {
		t.Errorf("E = %+v award %+v", e, e.Award)
	}
}

// pagedServer serves pages 1 and 2 by offset (record-offset semantics).
func pagedServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	return samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch r.URL.Query().Get("offset") {
		case "0":
			serveFile(w, 200, "sam_search_page1.json", t)
		case "3":
			serveFile(w, 200, "sam_search_page2.json", t)
		default:
			serveFile(w, 200, "sam_search_empty.json", t)
		}
	})
}

func TestClient_SearchAll(t *testing.T) {
	t.Run("PagesUntilTotalRecords", func(t *testing.T) {
		srv, calls := pagedServer(t)
		var ids []string
		sum, err := newTestClient(srv).SearchAll(context.Background(), januaryParams(), func(n federal.Notice) error {
			ids = append(ids, n.NoticeID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 5 || ids[3] != "b4c3d2e1f0a94b8c7d6e5f4a3b2c2d1e" {
			t.Fatalf("ids = %v", ids)
		}
		// totalRecords (5) reached after page 2: no third request for an empty page.
		if calls.Load() != 2 || sum.Requests != 2 || !sum.Complete || sum.StopReason != "complete" || sum.NextOffset != 6 {
			t.Fatalf("calls %d summary %+v", calls.Load(), sum)
		}
	})
	t.Run("RepeatsPageOneForever", func(t *testing.T) {
		srv, calls := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			serveFile(w, 200, "sam_search_page1.json", t)
		})
		n := 0
		sum, err := newTestClient(srv).SearchAll(context.Background(), januaryParams(), func(federal.Notice) error { n++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 || calls.Load() != 2 || sum.Duplicates != 3 || sum.RepeatedPages != 1 || sum.Complete || sum.StopReason != "repeated page" {
			t.Fatalf("delivered %d calls %d summary %+v", n, calls.Load(), sum)
		}
	})
	t.Run("PageIndexOffsets", func(t *testing.T) {
		srv, calls := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			switch r.URL.Query().Get("offset") {
			case "0":
				serveFile(w, 200, "sam_search_page1.json", t)
			case "1":
				serveFile(w, 200, "sam_search_page2.json", t)
			default:
				t.Errorf("unexpected offset %s", r.URL.Query().Get("offset"))
				serveFile(w, 200, "sam_search_empty.json", t)
			}
		})
		c := newTestClient(srv)
		c.PageIndexOffsets = true
		n := 0
		sum, err := c.SearchAll(context.Background(), januaryParams(), func(federal.Notice) error { n++; return nil })
		if err != nil || n != 5 || calls.Load() != 2 || !sum.Complete {
			t.Fatalf("err %v delivered %d calls %d summary %+v", err, n, calls.Load(), sum)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		srv, _ := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			serveFile(w, 200, "sam_search_empty.json", t)
		})
		sum, err := newTestClient(srv).SearchAll(context.Background(), januaryParams(), func(federal.Notice) error {
			t.Fatal("fn called for an empty result")
			return nil
		})
		if err != nil || sum.Notices != 0 || sum.TotalRecords != 0 || !sum.Complete || sum.Requests != 1 {
			t.Fatalf("err %v summary %+v", err, sum)
		}
	})
	t.Run("EmptyVariants", func(t *testing.T) {
		for _, body := range []string{
			`{"totalRecords":0,"limit":3,"offset":0,"opportunitiesData":null}`,
			`{"totalRecords":0,"limit":3,"offset":0}`,
			`{"totalRecords":"0","limit":"3","offset":"0","opportunitiesData":[]}`,
		} {
			srv, _ := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { fmt.Fprint(w, body) })
			page, err := newTestClient(srv).Search(context.Background(), januaryParams())
			if err != nil || page.TotalRecords != 0 || len(page.Notices) != 0 {
				t.Errorf("%s: err %v page %+v", body, err, page)
			}
		}
	})
	t.Run("CallbackErrorStops", func(t *testing.T) {
		srv, calls := pagedServer(t)
		boom := errors.New("disk full")
		sum, err := newTestClient(srv).SearchAll(context.Background(), januaryParams(), func(federal.Notice) error { return boom })
		if !errors.Is(err, boom) || calls.Load() != 1 || sum.Notices != 1 {
			t.Fatalf("err %v calls %d summary %+v", err, calls.Load(), sum)
		}
	})
	t.Run("QuotaRunsOutMidway", func(t *testing.T) {
		srv, calls := pagedServer(t)
		c := newTestClient(srv)
		c.Limits = federal.QuotaPolicy{federal.KeySystem: 1}
		n := 0
		sum, err := c.SearchAll(context.Background(), januaryParams(), func(federal.Notice) error { n++; return nil })
		if !errors.Is(err, federal.ErrQuotaExhausted) || calls.Load() != 1 || n != 3 || sum.NextOffset != 3 || sum.Complete {
			t.Fatalf("err %v calls %d delivered %d summary %+v", err, calls.Load(), n, sum)
		}
	})
}

func TestClient_Quota(t *testing.T) {
	srv, calls := pagedServer(t)
	q := &federal.MemoryQuota{}
	c := newTestClient(srv)
	c.Quota, c.KeyType, c.Limits = q, federal.KeyPersonal, nil // 10 a day by default
	day := federal.QuotaDay(testNow)
	q.Set(federal.KeyPersonal, day, 9)
	if _, err := c.Search(context.Background(), januaryParams()); err != nil {
		t.Fatalf("10th request: %v", err)
	}
	_, err := c.Search(context.Background(), januaryParams())
	if !errors.Is(err, federal.ErrQuotaExhausted) {
		t.Fatalf("11th request: err = %v, want federal.ErrQuotaExhausted", err)
	}
	assertNoKey(t, err)
	if calls.Load() != 1 {
		t.Fatalf("server saw %d requests, want 1 (none after the quota ran out)", calls.Load())
	}
	// The next UTC day has a fresh quota.
	c.Now = func() time.Time { return testNow.Add(24 * time.Hour) }
	if _, err := c.Search(context.Background(), januaryParams()); err != nil {
		t.Fatalf("next day: %v", err)
	}
	limit, used, err := c.QuotaStatus(context.Background())
	if err != nil || limit != 10 || used != 1 {
		t.Fatalf("QuotaStatus = %d, %d, %v", limit, used, err)
	}
	// Unknown key type: configuration error, nothing sent.
	c.KeyType = "gold"
	var ve *federal.ValidationError
	if _, err := c.Search(context.Background(), januaryParams()); !errors.As(err, &ve) || ve.Field != "keyType" {
		t.Fatalf("unknown key type: %v", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("server saw %d requests, want 2", calls.Load())
	}
	if got := federal.QuotaResetAt(time.Date(2026, 1, 20, 23, 59, 0, 0, time.FixedZone("", -5*3600))); !got.Equal(time.Date(2026, 1, 22, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("federal.QuotaResetAt = %v", got)
	}
}

func TestClient_Errors(t *testing.T) {
	htmlPage := string(mustRead(t, "sam_error_gateway.html"))
	tests := []struct {
		name    string
		status  int
		header  map[string]string
		body    string
		check   func(t *testing.T, err error)
		wantMsg string
	}{
		{name: "401 gateway invalid credentials", status: 401, body: string(mustRead(t, "sam_error_invalid_key.json")),
			check: isErr(federal.ErrInvalidKey), wantMsg: "900901"},
		{name: "403 api.data.gov envelope", status: 403, body: string(mustRead(t, "sam_error_invalid_key_apidatagov.json")),
			check: isErr(federal.ErrInvalidKey), wantMsg: "API_KEY_INVALID"},
		{name: "404 empty body (istio-envoy)", status: 404, body: "",
			check: isErr(federal.ErrInvalidKey), wantMsg: "404"},
		{name: "404 plain text", status: 404, header: map[string]string{"Content-Type": "text/plain", "Server": "istio-envoy"}, body: "no healthy upstream",
			check: isErr(federal.ErrInvalidKey)},
		{name: "400 documented invalid key message", status: 400, body: `{"errorCode":"400","errorMessage":"An invalid api_key was supplied"}`,
			check: isErr(federal.ErrInvalidKey)},
		{name: "200 with error envelope", status: 200, body: `{"error":{"code":"API_KEY_MISSING","message":"No api_key was supplied."}}`,
			check: isErr(federal.ErrInvalidKey)},
		{name: "key echoed in 400 body", status: 400, body: `{"errorCode":"400","errorMessage":"bad request for api_key=` + testKey + `"}`,
			check: isAPIError(400), wantMsg: "REDACTED"},
		{name: "400 bad date", status: 400, body: string(mustRead(t, "sam_error_bad_date.json")),
			check: isAPIError(400), wantMsg: "Invalid Date Entered"},
		{name: "500 json", status: 500, body: string(mustRead(t, "sam_error_500.json")),
			check: isAPIError(500), wantMsg: "INTERNAL SERVER ERROR"},
		{name: "502 HTML page", status: 502, header: map[string]string{"Content-Type": "text/html"}, body: htmlPage,
			check: isAPIError(502), wantMsg: "502 Bad Gateway"},
		{name: "200 HTML page", status: 200, header: map[string]string{"Content-Type": "text/html"}, body: htmlPage,
			check: isAPIError(200), wantMsg: "malformed JSON"},
		{name: "200 truncated JSON", status: 200, body: `{"totalRecords": 5, "opportunitiesData": [{"noticeId": "abc"`,
			check: isAPIError(200), wantMsg: "malformed JSON"},
		{name: "200 unrelated JSON", status: 200, body: `{"hello":"world"}`,
			check: isAPIError(200)},
		{name: "429 nextAccessTime", status: 429, body: string(mustRead(t, "sam_error_rate_limited.json")),
			check: isRateLimit(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)), wantMsg: "throttled"},
		{name: "429 Retry-After date", status: 429, header: map[string]string{"Retry-After": "Wed, 21 Jan 2026 00:00:00 GMT"}, body: `{"code":"900804","message":"Message throttled out"}`,
			check: isRateLimit(time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC))},
		{name: "429 Retry-After seconds", status: 429, header: map[string]string{"Retry-After": "120"}, body: "",
			check: isRateLimit(testNow.Add(2 * time.Minute))},
		{name: "429 nothing readable", status: 429, body: "Too Many Requests",
			check: isRateLimit(time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			_, err := newTestClient(srv).Search(context.Background(), januaryParams())
			if err == nil {
				t.Fatal("want error")
			}
			tt.check(t, err)
			assertNoKey(t, err)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %q does not contain %q", err, tt.wantMsg)
			}
			if errors.Is(err, federal.ErrInvalidKey) && strings.Contains(tt.name, "404") {
				var ae *federal.APIError
				if errors.As(err, &ae) {
					t.Fatal("empty 404 must not be an federal.APIError")
				}
			}
		})
	}
}

func isErr(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Fatalf("err = %v, want %v", err, target)
		}
	}
}

func isAPIError(status int) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ae *federal.APIError
		if !errors.As(err, &ae) || ae.Status != status {
			t.Fatalf("err = %v, want *federal.APIError status %d", err, status)
		}
		if errors.Is(err, federal.ErrInvalidKey) {
			t.Fatalf("err = %v is also federal.ErrInvalidKey", err)
		}
	}
}

func isRateLimit(at time.Time) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var rl *federal.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("err = %v, want *federal.RateLimitError", err)
		}
		if !rl.RetryAt.Equal(at) {
			t.Fatalf("RetryAt = %v, want %v", rl.RetryAt, at)
		}
	}
}

func TestClient_Timeout(t *testing.T) {
	release := make(chan struct{})
	srv, _ := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		serveFile(w, 200, "sam_search_empty.json", t)
	})
	defer close(release)
	c := newTestClient(srv)
	c.HTTP = &http.Client{Timeout: 50 * time.Millisecond}
	start := time.Now()
	_, err := c.Search(context.Background(), januaryParams())
	if !errors.Is(err, federal.ErrTimeout) {
		t.Fatalf("err = %v, want federal.ErrTimeout", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	assertNoKey(t, err)
	if !strings.Contains(err.Error(), "api_key=REDACTED") {
		t.Fatalf("error should show the Redacted URL: %v", err)
	}

	// A context deadline is a timeout too.
	c.HTTP = srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Search(ctx, januaryParams()); !errors.Is(err, federal.ErrTimeout) {
		t.Fatalf("ctx deadline: err = %v, want federal.ErrTimeout", err)
	} else {
		assertNoKey(t, err)
	}
	if DefaultTimeout != 90*time.Second || defaultHTTPClient.Timeout != DefaultTimeout {
		t.Fatalf("default timeout = %v", defaultHTTPClient.Timeout)
	}
}

func TestClient_ConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c := &Client{BaseURL: base, APIKey: testKey, Now: func() time.Time { return testNow }}
	_, err := c.Search(context.Background(), januaryParams())
	if err == nil || errors.Is(err, federal.ErrTimeout) || errors.Is(err, federal.ErrInvalidKey) {
		t.Fatalf("err = %v", err)
	}
	assertNoKey(t, err)
}

func TestClient_NoKey(t *testing.T) {
	srv, calls := pagedServer(t)
	c := newTestClient(srv)
	c.APIKey = ""
	if _, err := c.Search(context.Background(), januaryParams()); !errors.Is(err, federal.ErrInvalidKey) {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 0 {
		t.Fatal("request sent without a key")
	}
}

func TestClient_InvalidParamsSendNothing(t *testing.T) {
	srv, calls := pagedServer(t)
	c := newTestClient(srv)
	p := januaryParams()
	p.PostedTo = "02/01/2027"
	_, err := c.Search(context.Background(), p)
	var ve *federal.ValidationError
	if !errors.As(err, &ve) || ve.Field != "postedTo" {
		t.Fatalf("err = %v, want federal.ValidationError on postedTo", err)
	}
	if calls.Load() != 0 {
		t.Fatal("request sent for invalid params")
	}
	if used, _ := c.Quota.Used(context.Background(), federal.KeySystem, federal.QuotaDay(testNow)); used != 0 {
		t.Fatalf("quota used = %d for a request never sent", used)
	}
}

func TestClient_FetchDescription(t *testing.T) {
	srv, calls := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path != "/prod/opportunities/v1/noticedesc" || r.URL.Query().Get("noticeid") == "" {
			t.Errorf("request %s", r.URL.Path)
		}
		switch r.URL.Query().Get("noticeid") {
		case "missing":
			w.WriteHeader(404)
			fmt.Fprint(w, `{"errorCode":"404","errorMessage":"Description Not Found"}`)
		default:
			serveFile(w, 200, "sam_description.json", t)
		}
	})
	c := newTestClient(srv)
	desc, err := c.FetchDescription(context.Background(), srv.URL+"/prod/opportunities/v1/noticedesc?noticeid=3f6c1a9e2b7d4c08a5e1f0b9d2c4e6a1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(desc, "<strong>agile software development</strong>") {
		t.Fatalf("desc = %q", desc)
	}
	if got := federal.PlainText(desc); !strings.Contains(got, "requires agile software development and DevSecOps") || strings.Contains(got, "<") {
		t.Fatalf("federal.PlainText = %q", got)
	}
	_, err = c.FetchDescription(context.Background(), srv.URL+"/prod/opportunities/v1/noticedesc?noticeid=missing")
	if !errors.Is(err, federal.ErrDescriptionNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if used, _ := c.Quota.Used(context.Background(), federal.KeySystem, federal.QuotaDay(testNow)); used != 2 {
		t.Fatalf("quota used = %d, want 2 (each description costs a request)", used)
	}
	// The key is never sent to a host that is not SAM.gov.
	for _, u := range []string{"https://evil.example.com/prod/opportunities/v1/noticedesc?noticeid=x", "http://api.sam.gov/x", "not a url"} {
		_, err := c.FetchDescription(context.Background(), u)
		var ve *federal.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: err = %v, want federal.ValidationError", u, err)
		}
	}
	if calls.Load() != 2 {
		t.Fatalf("server saw %d requests, want 2", calls.Load())
	}
}

func TestNotice_EchoedKeyRedacted(t *testing.T) {
	srv, _ := samServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		fmt.Fprintf(w, `{"totalRecords":1,"opportunitiesData":[{"noticeId":"k1","description":"https://api.sam.gov/prod/opportunities/v1/noticedesc?noticeid=k1&api_key=%[1]s","links":[{"rel":"self","href":"https://api.sam.gov/x?api_key=%[1]s"}]}],"links":[{"rel":"self","href":"https://api.sam.gov/prod/opportunities/v2/search?api_key=%[1]s&limit=1"}]}`, testKey)
	})
	page, err := newTestClient(srv).Search(context.Background(), januaryParams())
	if err != nil {
		t.Fatal(err)
	}
	n := page.Notices[0]
	for _, s := range []string{n.DescriptionURL, n.Links[0].Href, page.Links[0].Href} {
		if strings.Contains(s, testKey) || !strings.Contains(s, "api_key=REDACTED") {
			t.Fatalf("URL keeps the key: %s", s)
		}
	}
	if strings.Contains(string(n.Raw), testKey) {
		t.Fatalf("Raw keeps the key: %s", n.Raw)
	}
}

func TestSecret_Redacted(t *testing.T) {
	c := Client{APIKey: testKey}
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c.APIKey)} {
		if strings.Contains(s, testKey) {
			t.Fatalf("formatted client leaks the key: %s", s)
		}
	}
	if got := federal.RedactURL("https://api.sam.gov/x?limit=1&api_key=" + testKey); strings.Contains(got, testKey) || !strings.Contains(got, "api_key=REDACTED") {
		t.Fatalf("redactURL = %s", got)
	}
}

func TestClient_ConcurrentQuota(t *testing.T) {
	srv, calls := pagedServer(t)
	c := newTestClient(srv)
	c.Limits = federal.QuotaPolicy{federal.KeySystem: 5}
	errs := make(chan error, 12)
	for range 12 {
		go func() {
			_, err := c.Search(context.Background(), januaryParams())
			errs <- err
		}()
	}
	exhausted := 0
	for range 12 {
		if err := <-errs; errors.Is(err, federal.ErrQuotaExhausted) {
			exhausted++
		} else if err != nil {
			t.Error(err)
		}
	}
	if exhausted != 7 || calls.Load() != 5 {
		t.Fatalf("exhausted %d, requests %d; want 7 and 5", exhausted, calls.Load())
	}
}

// TestClient_SpendDay: a 429 "quota exceeded" marks the day spent in the
// counter (the key type's limit, 10 for a personal key), so nothing more
// is sent that day; without a counter it does nothing.
func TestClient_SpendDay(t *testing.T) {
	ctx := context.Background()
	q := &federal.MemoryQuota{}
	c := &Client{Quota: q, KeyType: federal.KeyPersonal}
	day := "2026-01-20"
	q.Set(federal.KeyPersonal, day, 3)
	if err := c.SpendDay(ctx, day); err != nil {
		t.Fatal(err)
	}
	if used, err := q.Used(ctx, federal.KeyPersonal, day); err != nil || used != 10 {
		t.Fatalf("used %d %v, want 10", used, err)
	}
	if err := (&Client{}).SpendDay(ctx, day); err != nil {
		t.Fatalf("without a counter: %v", err)
	}
}
