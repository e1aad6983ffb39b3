package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/sam"
	"orengen/store"
)

// fakeSAM serves recorded SAM.gov responses. The response depends on the
// mode and on the search's title parameter, so one run can mix a good
// search and a broken one.
type fakeSAM struct {
	mu       sync.Mutex
	mode     string // "", "amend1", "amend2", "429", "badkey", "empty404"
	requests int
	keys     []string
	queries  []url.Values
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "app", "federal", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fakeSAM) setMode(m string) { f.mu.Lock(); f.mode = m; f.mu.Unlock() }

func (f *fakeSAM) handler(t testing.TB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		f.keys = append(f.keys, r.URL.Query().Get("api_key"))
		f.queries = append(f.queries, r.URL.Query())
		mode := f.mode
		f.mu.Unlock()
		q := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case mode == "badkey":
			w.WriteHeader(http.StatusUnauthorized)
			w.Write(fixture(t, "sam_error_invalid_key.json"))
		case mode == "empty404":
			w.WriteHeader(http.StatusNotFound)
		case mode == "429":
			// The recorded body, with the next 00:00 UTC as the reset time.
			next := federal.QuotaResetAt(time.Now()).Format("2006-Jan-02")
			body := strings.ReplaceAll(string(fixture(t, "sam_error_rate_limited.json")), "2026-Nov-25", next)
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(body))
		case q.Get("title") == "broken":
			w.Write([]byte(`{"totalRecords": 3, "opportunitiesData": [{"noticeId": `))
		case q.Get("title") == "gateway":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write(fixture(t, "sam_error_gateway.html"))
		case mode == "amend1" || mode == "amend2":
			name := map[string]string{"amend1": "sam_notice_a_v1.json", "amend2": "sam_notice_a_v2.json"}[mode]
			fmt.Fprintf(w, `{"totalRecords":1,"limit":1000,"offset":0,"opportunitiesData":[%s]}`, fixture(t, name))
		case q.Get("offset") == "0":
			w.Write(fixture(t, "sam_search_page1.json"))
		case q.Get("offset") == "3":
			w.Write(fixture(t, "sam_search_page2.json"))
		default:
			w.Write(fixture(t, "sam_search_empty.json"))
		}
	})
}

func (f *fakeSAM) count() int { f.mu.Lock(); defer f.mu.Unlock(); return f.requests }

// combos lists the ncode/ccode/typeOfSetAside of the first-page requests
// received, sorted.
func (f *fakeSAM) combos() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, q := range f.queries {
		if q.Get("offset") == "0" {
			out = append(out, q.Get("ncode")+"/"+q.Get("ccode")+"/"+q.Get("typeOfSetAside"))
		}
	}
	slices.Sort(out)
	return out
}

type fedCLI struct {
	t   *testing.T
	dir string
	env map[string]string
}

func newFedCLI(t *testing.T, samURL string) *fedCLI {
	return &fedCLI{t: t, dir: filepath.Join(t.TempDir(), "data"), env: map[string]string{
		"ORENGEN_SAM_API_URL": samURL, "ORENGEN_SAM_KEY_TYPE": "system", "ORENGEN_SAM_API_KEY": "test-key-0123456789",
	}}
}

// exitCode is what main turns Run's error into.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

func (c *fedCLI) run(args ...string) (string, int, error) {
	c.t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), append(args, "--data-dir="+c.dir), &out, &errb, envFrom(c.env))
	return out.String() + errb.String(), exitCode(err), err
}

func (c *fedCLI) db() (*store.DB, *store.FederalStore) {
	c.t.Helper()
	db := store.NewDB(filepath.Join(c.dir, "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { db.Close() })
	return db, store.NewFederalStore(db)
}

func countRows(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.ReadDB().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFederalCLI_ScoutStoresNoticesOnce(t *testing.T) {
	sam := &fakeSAM{}
	srv := httptest.NewServer(sam.handler(t))
	defer srv.Close()
	c := newFedCLI(t, srv.URL)
	if out, code, err := c.run("federal", "search", "add", "--name", "IT services", "--naics", "541511", "--ptype", "o,k"); code != 0 {
		t.Fatalf("search add: %s %v", out, err)
	}
	out, code, err := c.run("federal", "scout", "--once")
	if code != 0 {
		t.Fatalf("scout: exit %d %v\n%s", code, err, out)
	}
	for _, want := range []string{"searches run: 1 of 1", "requests used: 2", "new: 5", "updated: 0", "quota today (system key): 2 of 1000 used"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// Again: the same notices are stored once, nothing is new or updated,
	// and the redka quota counter carries over from the previous process.
	out, code, _ = c.run("federal", "scout", "--once")
	if code != 0 || !strings.Contains(out, "new: 0") || !strings.Contains(out, "updated: 0") || !strings.Contains(out, "4 of 1000 used") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "test-key-0123456789") {
		t.Error("the API key was printed")
	}
	db, fs := c.db()
	if n := countRows(t, db, `SELECT count(*) FROM federal_notices WHERE tenant_id = 1`); n != 5 {
		t.Errorf("%d notices stored, want 5", n)
	}
	if n := countRows(t, db, `SELECT count(*) FROM federal_scout_runs WHERE status = 'ok'`); n != 2 {
		t.Errorf("%d ok runs recorded, want 2", n)
	}
	ss, _ := fs.FindSavedSearches(fedTenantCtx(context.Background(), app.HouseTenantID))
	if len(ss) != 1 || ss[0].LastStatus != "ok" || ss[0].LastRunAt == nil {
		t.Errorf("saved search after runs: %+v", ss[0])
	}
	for _, k := range sam.keys {
		if k != "test-key-0123456789" {
			t.Errorf("request sent key %q", k)
		}
	}
}

func TestFederalCLI_Amendment(t *testing.T) {
	sam := &fakeSAM{mode: "amend1"}
	srv := httptest.NewServer(sam.handler(t))
	defer srv.Close()
	c := newFedCLI(t, srv.URL)
	c.run("federal", "search", "add", "--name", "A")
	if out, code, _ := c.run("federal", "scout", "--once"); code != 0 || !strings.Contains(out, "new: 1") {
		t.Fatalf("first: %s", out)
	}
	sam.setMode("amend2")
	if out, code, _ := c.run("federal", "scout", "--once"); code != 0 || !strings.Contains(out, "updated: 1") {
		t.Fatalf("amendment: %s", out)
	}
	_, fs := c.db()
	ch, err := fs.FindNoticeChanges(fedTenantCtx(context.Background(), app.HouseTenantID), "3f6c1a9e2b7d4c08a5e1f0b9d2c4e6a1")
	if err != nil || len(ch) != 1 {
		t.Fatalf("changes: %d %v", len(ch), err)
	}
	var fields []string
	for _, f := range ch[0].Changes {
		fields = append(fields, f.Field)
	}
	if !strings.Contains(strings.Join(fields, ","), "responseDeadLine") {
		t.Errorf("changed fields %v", fields)
	}
}

func TestFederalCLI_BadSearchOthersGoOn(t *testing.T) {
	sam := &fakeSAM{}
	srv := httptest.NewServer(sam.handler(t))
	defer srv.Close()
	c := newFedCLI(t, srv.URL)
	c.run("federal", "search", "add", "--name", "a broken", "--title", "broken")
	c.run("federal", "search", "add", "--name", "b gateway", "--title", "gateway")
	c.run("federal", "search", "add", "--name", "c good")
	out, code, _ := c.run("federal", "scout", "--once")
	if code != 1 {
		t.Errorf("exit %d, want 1 when a search failed", code)
	}
	if !strings.Contains(out, "new: 5") || !strings.Contains(out, "requests used: 4") || !strings.Contains(out, "a broken: error") || !strings.Contains(out, "b gateway: error") || !strings.Contains(out, "502") {
		t.Errorf("output:\n%s", out)
	}
	db, _ := c.db()
	if n := countRows(t, db, `SELECT count(*) FROM federal_notices`); n != 5 {
		t.Errorf("%d notices, want the good search's 5 (nothing from the broken one)", n)
	}
	if n := countRows(t, db, `SELECT count(*) FROM federal_scout_runs WHERE status = 'partial'`); n != 1 {
		t.Errorf("run not recorded as partial")
	}
}

func TestFederalCLI_QuotaAnd429Defer(t *testing.T) {
	sam := &fakeSAM{}
	srv := httptest.NewServer(sam.handler(t))
	defer srv.Close()
	c := newFedCLI(t, srv.URL)
	c.env["ORENGEN_SAM_KEY_TYPE"] = "personal" // 10 a day
	c.run("federal", "search", "add", "--name", "IT")

	// The day's 10 requests are already counted in redka: nothing is sent.
	kv := store.NewKV(filepath.Join(c.dir, "redka.db"))
	if err := kv.Open(); err != nil {
		t.Fatal(err)
	}
	q := store.NewSAMQuota(kv)
	day := federal.QuotaDay(time.Now())
	for range 10 {
		if _, err := q.Take(context.Background(), federal.KeyPersonal, day); err != nil {
			t.Fatal(err)
		}
	}
	kv.Close()
	out, code, _ := c.run("federal", "scout", "--once")
	if code != 1 || !strings.Contains(out, "quota is used up") || sam.count() != 0 {
		t.Errorf("quota spent: exit %d, %d requests\n%s", code, sam.count(), out)
	}

	// A 429 defers the run too.
	c2 := newFedCLI(t, srv.URL)
	c2.run("federal", "search", "add", "--name", "IT")
	sam.setMode("429")
	out, code, _ = c2.run("federal", "scout", "--once")
	if code != 1 || !strings.Contains(out, "rate limiting this key until "+federal.QuotaResetAt(time.Now()).Format(time.RFC3339)) || !strings.Contains(out, "status: deferred") {
		t.Errorf("429: exit %d\n%s", code, out)
	}
	// The 429 said "after 00:00 UTC": the day is marked spent in redka, so
	// the next run (a new process) sends nothing.
	before := sam.count()
	out, code, _ = c2.run("federal", "scout", "--once")
	if code != 1 || sam.count() != before || !strings.Contains(out, "quota is used up") {
		t.Errorf("after 429: exit %d, %d new requests\n%s", code, sam.count()-before, out)
	}
	_, fs := c2.db()
	ss, _ := fs.FindSavedSearches(fedTenantCtx(context.Background(), app.HouseTenantID))
	if ss[0].LastStatus != "deferred" {
		t.Errorf("search status %q, want deferred", ss[0].LastStatus)
	}
}

func TestFederalCLI_KeyErrorsAreConfiguration(t *testing.T) {
	sam := &fakeSAM{mode: "badkey"}
	srv := httptest.NewServer(sam.handler(t))
	defer srv.Close()
	for _, tc := range []struct{ name, mode, key, want string }{
		{"Rejected401", "badkey", "bad-key-0000", "rejected the API key"},
		{"Empty404", "empty404", "bad-key-0000", "rejected the API key"},
		{"Missing", "", "", "No SAM.gov API key is configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sam.setMode(tc.mode)
			c := newFedCLI(t, srv.URL)
			c.env["ORENGEN_SAM_API_KEY"] = tc.key
			c.run("federal", "search", "add", "--name", "IT")
			out, code, _ := c.run("federal", "scout", "--once")
			if code != 1 || !strings.Contains(out, tc.want) || !strings.Contains(out, "status: config") {
				t.Errorf("exit %d\n%s", code, out)
			}
			if strings.Contains(out, "bad-key-0000") {
				t.Error("the key was printed")
			}
			db, _ := c.db()
			if n := countRows(t, db, `SELECT count(*) FROM federal_scout_runs WHERE status = 'config'`); n != 1 {
				t.Errorf("config run not recorded")
			}
		})
	}
}

func TestFederalCLI_SearchAddErrors(t *testing.T) {
	c := newFedCLI(t, "http://127.0.0.1:1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "x", "--set-aside", "XYZ"}, "--set-aside"},
		{[]string{"--name", "x", "--days", "400"}, "--days"},
		{[]string{"--naics", "541511"}, "--name"},
		{[]string{"--name", "x", "--naics", "54a"}, "--naics"},
	} {
		_, code, err := c.run(append([]string{"federal", "search", "add"}, tc.args...)...)
		if code != 2 || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d %v, want usage error naming %s", tc.args, code, err, tc.want)
		}
	}
	if _, code, _ := c.run("federal", "scout"); code != 2 {
		t.Errorf("scout without --once: exit %d", code)
	}
	c.env["ORENGEN_OPENAI_URL"] = "api.openai.com/v1"
	if _, code, err := c.run("federal", "search", "list"); code != 2 || !strings.Contains(err.Error(), "--openai-url") {
		t.Errorf("bad model URL: %d %v", code, err)
	}
	c.env["ORENGEN_OPENAI_URL"] = ""
	c.env["ORENGEN_SAM_KEY_TYPE"] = "gold"
	if _, code, err := c.run("federal", "search", "list"); code != 2 || !strings.Contains(err.Error(), "--sam-key-type") {
		t.Errorf("bad key type: %d %v", code, err)
	}
	db, _ := c.db()
	if n := countRows(t, db, `SELECT count(*) FROM federal_searches`); n != 0 {
		t.Errorf("%d searches written by bad input", n)
	}
}

func TestFederalCLI_EnableClient(t *testing.T) {
	c := newFedCLI(t, "http://127.0.0.1:1")
	if _, code, err := c.run("tenant", "create", "--name", "Client Co"); code != 0 {
		t.Fatal(err)
	}
	if _, code, err := c.run("federal", "enable", "--tenant", "1"); code != 1 || !strings.Contains(err.Error(), "always on") {
		t.Errorf("enable house: %d %v", code, err)
	}
	if _, code, err := c.run("federal", "enable", "--tenant", "99"); code != 1 {
		t.Errorf("enable unknown tenant: %d %v", code, err)
	}
	if out, code, err := c.run("federal", "enable", "--tenant", "2"); code != 0 || !strings.Contains(out, "enabled for tenant 2") {
		t.Fatalf("enable: %s %v", out, err)
	}
	_, fs := c.db()
	ids, err := fs.FederalTenants(context.Background())
	if err != nil || fmt.Sprint(ids) != "[1 2]" {
		t.Errorf("federal tenants %v %v", ids, err)
	}
	if _, code, _ := c.run("federal", "disable", "--tenant", "2"); code != 0 {
		t.Fatal("disable")
	}
	if ids, _ := fs.FederalTenants(context.Background()); fmt.Sprint(ids) != "[1]" {
		t.Errorf("after disable: %v", ids)
	}
}

// The scheduler spreads the day's quota over the runs left until 00:00 UTC
// and stops when serve's context ends.
func TestFederalScheduler(t *testing.T) {
	now := time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)
	q := &federal.MemoryQuota{}
	q.Set(federal.KeySystem, "2026-11-24", 300)
	sc := &federal.Scout{SAM: &sam.Client{Quota: q, KeyType: federal.KeySystem, Now: func() time.Time { return now }},
		Now: func() time.Time { return now }, Interval: time.Hour}
	if b, err := sc.Budget(context.Background()); err != nil || b != 100 { // 700 left over 7 runs (18:00 ... 00:00)
		t.Errorf("budget %d %v, want 100", b, err)
	}
	q.Set(federal.KeySystem, "2026-11-24", 1000)
	if b, _ := sc.Budget(context.Background()); b != 0 {
		t.Errorf("budget when spent: %d", b)
	}

	sam := &fakeSAM{}
	srv := httptest.NewServer(sam.handler(t))
	defer srv.Close()
	c := newFedCLI(t, srv.URL)
	c.run("federal", "search", "add", "--name", "IT")
	m := openAppEnv(t, c.dir, map[string]string{"ORENGEN_SAM_API_KEY": "k-123456"}, "--sam-api-url", srv.URL, "--grants-api-url", srv.URL, "--sam-key-type", "system")
	defer m.Close()
	fed := m.Federal
	// The alert job runs at start too: a registration expiring in 20 days
	// gives its 30-day alert.
	if err := fed.Service.SaveProfile(fedTenantCtx(context.Background(), app.HouseTenantID), &federal.Profile{NAICSPrimary: "541511", SAMExpires: time.Now().AddDate(0, 0, 20)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := fed.start(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		runs, _ := m.Stores.Federal.FindScoutRuns(fedTenantCtx(context.Background(), app.HouseTenantID), 5)
		alerts, _ := m.Stores.Federal.FindAlerts(fedTenantCtx(context.Background(), app.HouseTenantID), federal.AlertFilter{})
		if len(runs) > 0 && len(alerts) > 0 {
			if runs[0].Trigger != "schedule" || runs[0].New != 5 {
				t.Errorf("scheduled run: %+v", runs[0])
			}
			if alerts[0].DaysBefore != 30 || alerts[0].DeliveredAt.IsZero() {
				t.Errorf("alert: %+v", alerts[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not run")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the scheduler did not stop")
	}
}

// TestFederalCLI_SearchFansOut: a saved search with several NAICS, PSC and
// set-aside codes sends one SAM.gov request per combination (and page),
// each counted against the daily quota; a notice matching several
// combinations is stored once; a key that runs out mid-search stops at its
// limit, keeps what it fetched and defers the rest.
func TestFederalCLI_SearchFansOut(t *testing.T) {
	sam := &fakeSAM{}
	srv := httptest.NewServer(sam.handler(t))
	defer srv.Close()
	c := newFedCLI(t, srv.URL)
	out, code, err := c.run("federal", "search", "add", "--name", "Multi", "--naics", "541511,541512", "--psc", "d302", "--set-aside", "SBA", "--set-aside", "8a")
	if code != 0 || !strings.Contains(out, "each run sends 4 SAM.gov requests") {
		t.Fatalf("search add: exit %d %v\n%s", code, err, out)
	}
	out, code, _ = c.run("federal", "scout", "--once")
	// 4 combinations x 2 pages each (the fixture's 5 notices come in pages
	// of 3 and 2): 8 requests, every one in the quota.
	for _, want := range []string{"searches run: 1 of 1", "requests used: 8", "new: 5", "quota today (system key): 8 of 1000 used"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	if got, want := strings.Join(sam.combos(), " "), "541511/D302/8A 541511/D302/SBA 541512/D302/8A 541512/D302/SBA"; got != want {
		t.Errorf("requests sent %s, want %s", got, want)
	}
	if sam.count() != 8 {
		t.Errorf("the fake SAM.gov got %d requests, want 8", sam.count())
	}
	db, _ := c.db()
	if n := countRows(t, db, `SELECT count(*) FROM federal_notices WHERE tenant_id = 1`); n != 5 {
		t.Errorf("%d notices stored, want 5 (each once)", n)
	}

	// A personal key (10 a day): 3 NAICS x 2 set-asides need 12 requests;
	// the quota stops the run at 10, what came back is stored, the search
	// is deferred, and SAM.gov never sees an 11th request.
	sam2 := &fakeSAM{}
	srv2 := httptest.NewServer(sam2.handler(t))
	defer srv2.Close()
	c2 := newFedCLI(t, srv2.URL)
	c2.env["ORENGEN_SAM_KEY_TYPE"] = "personal"
	if out, code, err := c2.run("federal", "search", "add", "--name", "Big", "--naics", "541511,541512,541519", "--set-aside", "SBA,8A"); code != 0 {
		t.Fatalf("search add: %v\n%s", err, out)
	}
	out, code, _ = c2.run("federal", "scout", "--once")
	if code != 1 || !strings.Contains(out, "status: deferred") || !strings.Contains(out, "quota today (personal key): 10 of 10 used") || sam2.count() != 10 {
		t.Errorf("quota spent mid-search: exit %d, %d requests sent\n%s", code, sam2.count(), out)
	}
	db2, fs2 := c2.db()
	if n := countRows(t, db2, `SELECT count(*) FROM federal_notices WHERE tenant_id = 1`); n != 5 {
		t.Errorf("%d notices stored after the deferral, want the 5 fetched", n)
	}
	if ss, _ := fs2.FindSavedSearches(fedTenantCtx(context.Background(), app.HouseTenantID)); len(ss) != 1 || ss[0].LastStatus != "deferred" {
		t.Errorf("search after the deferral: %+v", ss)
	}
	// A search that can never fit the key's day is refused when saved.
	_, code, err = c2.run("federal", "search", "add", "--name", "Huge", "--naics", "541511,541512,541519,541513,541514,541515", "--set-aside", "SBA,8A")
	if code != 2 || err == nil || !strings.Contains(err.Error(), "--naics: this search makes 12 SAM.gov requests per run and the personal key allows 10 a day") {
		t.Errorf("search over the daily quota: exit %d %v", code, err)
	}
}

// TestFederalScout_BudgetHoldsFanOut: a scheduled run whose share of the
// quota is smaller than a search's combinations defers that search without
// sending anything, and runs the ones that fit.
func TestFederalScout_BudgetHoldsFanOut(t *testing.T) {
	fake := &fakeSAM{}
	srv := httptest.NewServer(fake.handler(t))
	defer srv.Close()
	db := store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fs := store.NewFederalStore(db)
	q := &federal.MemoryQuota{}
	fst := fs.Stores()
	sc := federal.NewScout(fst.Searches, fst.Notices, fst.Grants, fst.Runs)
	sc.SAM = &sam.Client{BaseURL: srv.URL, Quota: q, KeyType: federal.KeySystem}
	sc.Key = func(context.Context) (federal.Secret, error) { return "k-123456", nil }
	sc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := federal.NewService(fst)
	svc.Scout = sc
	ctx := context.Background()
	for _, ss := range []*federal.SavedSearch{
		{TenantID: app.HouseTenantID, Name: "A wide", NAICS: []string{"541511", "541512", "541519"}},
		{TenantID: app.HouseTenantID, Name: "B narrow", NAICS: []string{"541511"}},
	} {
		if err := svc.CreateSearch(fedTenantCtx(ctx, ss.TenantID), ss); err != nil {
			t.Fatal(err)
		}
	}
	res, err := sc.Run(fedTenantCtx(ctx, app.HouseTenantID), "schedule", 2)
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]string{}
	for _, r := range res.Searches {
		st[r.Search.Name] = r.Status
	}
	// B runs (1 combination, 2 pages); A (3 combinations) waits.
	if st["A wide"] != "deferred" || st["B narrow"] != "ok" || res.Run.Requests != 2 || fake.count() != 2 {
		t.Fatalf("statuses %v, requests %d, sent %d", st, res.Run.Requests, fake.count())
	}
	if used, _ := q.Used(ctx, federal.KeySystem, federal.QuotaDay(time.Now())); used != 2 {
		t.Fatalf("quota counted %d, want 2", used)
	}
}

// fedTenantCtx scopes ctx to a tenant: federal store and service methods
// take it from the context.
func fedTenantCtx(ctx context.Context, id int64) context.Context {
	return app.NewContextWithTenant(ctx, &app.Tenant{ID: id})
}
