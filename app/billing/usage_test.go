package billing_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
	"orengen/store"
)

var testNow = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

// openBilling returns a billing service on a fresh database with two
// client tenants.
func openBilling(tb testing.TB) (*billing.Service, *store.DB, []*app.Tenant) {
	tb.Helper()
	db := store.NewDB(filepath.Join(tb.TempDir(), "orengen.db"))
	db.Now = func() time.Time { return testNow }
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	var ts []*app.Tenant
	for _, name := range []string{"Acme Billing", "Bravo Billing"} {
		t := &app.Tenant{Name: name}
		if err := store.NewTenantStore(db).CreateTenant(context.Background(), t); err != nil {
			tb.Fatal(err)
		}
		ts = append(ts, t)
	}
	s := billing.NewService(store.NewBillingStore(db))
	s.Now = func() time.Time { return testNow }
	return s, db, ts
}

func totals(t *testing.T, s *billing.Service, tenantID int64) map[string]billing.UsageTotal {
	t.Helper()
	return totalsOf(t, s, tenantID, testNow.AddDate(0, 0, -31), testNow)
}

// totalsOf returns a tenant's usage by category over the days [from, to].
func totalsOf(t *testing.T, s *billing.Service, tenantID int64, from, to time.Time) map[string]billing.UsageTotal {
	t.Helper()
	us, err := s.UsageTotals(context.Background(), tenantID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]billing.UsageTotal{}
	for _, u := range us {
		m[u.Category] = *u
	}
	return m
}

// The same Twilio status callback delivered twice (Twilio retries on a
// timeout) counts once; a text metered when sent is not counted again by
// its callbacks; a call's minutes round up.
func TestService_TwilioStatusCountsOnce(t *testing.T) {
	s, _, ts := openBilling(t)
	ctx := context.Background()
	acme := ts[0].ID
	call := map[string]string{"CallSid": "CA1", "CallStatus": "completed", "CallDuration": "61"}
	for range 2 {
		if err := s.TwilioStatus(ctx, acme, call); err != nil {
			t.Fatal(err)
		}
	}
	sms := map[string]string{"MessageSid": "SM1", "MessageStatus": "delivered", "NumSegments": "3"}
	for range 2 {
		if err := s.TwilioStatus(ctx, acme, sms); err != nil {
			t.Fatal(err)
		}
	}
	// Earlier states are not billed; a priced callback uses Twilio's price.
	if err := s.TwilioStatus(ctx, acme, map[string]string{"MessageSid": "SM2", "MessageStatus": "queued"}); err != nil {
		t.Fatal(err)
	}
	if err := s.TwilioStatus(ctx, acme, map[string]string{"MessageSid": "SM3", "MessageStatus": "sent", "Price": "-0.00830", "PriceUnit": "USD"}); err != nil {
		t.Fatal(err)
	}
	got := totals(t, s, acme)
	// 61 s -> 2 minutes at the default 14,000 micros.
	if v := got[billing.VoiceMinutes]; v.Quantity != 2 || v.Events != 1 || v.CostMicros != 28000 {
		t.Errorf("voice = %+v, want 2 minutes, 1 event, 28000 micros", v)
	}
	// SM1: 3 segments at 7,900; SM3: 1 segment at Twilio's 8,300.
	if v := got[billing.SMS]; v.Quantity != 4 || v.Events != 2 || v.CostMicros != 3*7900+8300 {
		t.Errorf("sms = %+v, want 4 segments, 2 events, %d micros", v, 3*7900+8300)
	}
	if other := totals(t, s, ts[1].ID); len(other) != 0 {
		t.Errorf("the other tenant has usage %+v", other)
	}
}

type fakeTel struct {
	app.Telephony
	n int
}

func (f *fakeTel) SendSMS(ctx context.Context, m app.SMS) (string, error) {
	f.n++
	return fmt.Sprintf("SM%d", f.n), nil
}

type fakeMailer struct{ sent int }

// Ping implements app.Pinger: a test fake has no connection to test.
func (*fakeMailer) Ping(context.Context) error {
	return errors.New("a test's mailer has no connection to test")
}

func (f *fakeMailer) Send(ctx context.Context, m *app.Message) error { f.sent++; return nil }

// A text sent through the metered client is recorded under its SID, so
// the delivery callback that follows adds nothing; emails count one each.
func TestService_MeteredSenders(t *testing.T) {
	s, _, ts := openBilling(t)
	ctx := context.Background()
	acme := ts[0].ID
	tel := s.Telephony(acme, &fakeTel{})
	long := ""
	for range 161 {
		long += "a"
	}
	sid, err := tel.SendSMS(ctx, app.SMS{Body: long})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.TwilioStatus(ctx, acme, map[string]string{"MessageSid": sid, "MessageStatus": "delivered"}); err != nil {
		t.Fatal(err)
	}
	m := s.Mailer(acme, &fakeMailer{})
	for range 3 {
		if err := m.Send(ctx, &app.Message{To: "a@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	got := totals(t, s, acme)
	if v := got[billing.SMS]; v.Quantity != 2 || v.Events != 1 {
		t.Errorf("sms = %+v, want 2 segments (161 GSM characters) in 1 event", v)
	}
	if v := got[billing.Email]; v.Quantity != 3 || v.Events != 3 || v.CostMicros != 300 {
		t.Errorf("email = %+v, want 3 at 100 micros", v)
	}
	// A gate refuses before anything is sent or recorded.
	s.Gate = func(ctx context.Context, tenantID int64, category string) error {
		return app.Errorf(app.EFORBIDDEN, "Your wallet is empty.")
	}
	inner := &fakeTel{}
	if _, err := s.Telephony(acme, inner).SendSMS(ctx, app.SMS{Body: "hi"}); app.ErrorCode(err) != app.EFORBIDDEN || inner.n != 0 {
		t.Errorf("gated send: err %v, sent %d; want EFORBIDDEN and nothing sent", err, inner.n)
	}
}

// Many goroutines recording overlapping events (each source id several
// times) leave exactly one event per source id, and the daily rollup
// equal to the sum of the events.
func TestService_ConcurrentLedgerInvariant(t *testing.T) {
	s, db, ts := openBilling(t)
	ctx := context.Background()
	const workers, ids = 8, 60
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range ids {
				tn := ts[i%2].ID
				cat := []string{billing.SMS, billing.Email, billing.VoiceMinutes}[i%3]
				// Workers overlap: worker w records ids w*ids/2 ... so each
				// id is recorded by two workers.
				id := (w/2)*ids + i
				_, err := s.Record(ctx, &billing.Event{TenantID: tn, Category: cat, Source: "test", SourceID: fmt.Sprint(id), Quantity: int64(id%5 + 1)})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var events, rolled, sumEv, sumRoll int64
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(quantity), 0) FROM billing_usage_events`).Scan(&events, &sumEv); err != nil {
		t.Fatal(err)
	}
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT COALESCE(SUM(events), 0), COALESCE(SUM(quantity), 0) FROM billing_usage_daily`).Scan(&rolled, &sumRoll); err != nil {
		t.Fatal(err)
	}
	if want := int64(workers / 2 * ids); events != want || rolled != want {
		t.Errorf("events %d, rolled up %d; want %d each (every id once)", events, rolled, want)
	}
	if sumEv != sumRoll {
		t.Errorf("sum of event quantities %d != rollup %d", sumEv, sumRoll)
	}
	var mismatched int
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM billing_usage_daily d WHERE quantity != (SELECT SUM(quantity) FROM billing_usage_events e
		WHERE e.tenant_id = d.tenant_id AND e.day = d.day AND e.category = d.category) OR cost_micros != (SELECT SUM(cost_micros) FROM billing_usage_events e
		WHERE e.tenant_id = d.tenant_id AND e.day = d.day AND e.category = d.category)`).Scan(&mismatched); err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%d rollup lines differ from their events", mismatched)
	}
}

// Segment counts, computed by hand from GSM 03.38 and UCS-2 limits.
func TestSegments(t *testing.T) {
	rep := func(s string, n int) string {
		out := ""
		for range n {
			out += s
		}
		return out
	}
	for _, tc := range []struct {
		body string
		want int
	}{
		{"", 1},
		{rep("a", 160), 1},
		{rep("a", 161), 2},      // 153 + 8
		{rep("a", 306), 2},      // 2 x 153
		{rep("a", 307), 3},      //
		{rep("€", 80), 1},       // 160 septets (escaped)
		{rep("€", 81), 2},       // 162 septets
		{rep("é", 70), 1},       // é is GSM-7: 70 septets
		{rep("ü", 10) + "ç", 1}, // ç is not GSM-7 (only Ç): UCS-2, 11 units
		{rep("ç", 71), 2},       // UCS-2: 67 + 4
		{rep("😀", 35), 1},       // 70 UTF-16 units
		{rep("😀", 36), 2},       // 72 units
	} {
		if got := billing.Segments(tc.body); got != tc.want {
			t.Errorf("Segments(%d runes %q...) = %d, want %d", len([]rune(tc.body)), []rune(tc.body + " ")[0], got, tc.want)
		}
	}
}

func TestService_RecordInvalid(t *testing.T) {
	s, _, ts := openBilling(t)
	for _, tc := range []struct {
		e     billing.Event
		field string
	}{
		{billing.Event{TenantID: ts[0].ID, Category: "fax", Source: "x", SourceID: "1"}, "category"},
		{billing.Event{TenantID: ts[0].ID, Category: billing.SMS, Source: "x", SourceID: ""}, "source_id"},
		{billing.Event{TenantID: ts[0].ID, Category: billing.SMS, Source: "x", SourceID: "1", Quantity: -1}, "quantity"},
	} {
		_, err := s.Record(context.Background(), &tc.e)
		var ae *app.Error
		if app.ErrorCode(err) != app.EINVALID || !errorsAs(err, &ae) || ae.Field != tc.field {
			t.Errorf("Record(%+v) = %v, want EINVALID on %s", tc.e, err, tc.field)
		}
	}
}

func TestFormatMicros(t *testing.T) {
	for in, want := range map[int64]string{0: "$0.00", 7900: "$0.0079", 1_230_000: "$1.23", 1_500_000: "$1.50", -25_000_000: "-$25.00", 123_456_789: "$123.456789"} {
		if got := billing.FormatMicros(in); got != want {
			t.Errorf("FormatMicros(%d) = %q, want %q", in, got, want)
		}
	}
}

func errorsAs(err error, target **app.Error) bool { return errors.As(err, target) }
