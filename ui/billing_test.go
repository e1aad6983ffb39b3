package ui_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
	"orengen/twilio/twiliotest"
)

// billingTotals returns a tenant's usage this month by category.
func (e *tenantEnv) billingTotals(tenantID int64) map[string]billing.UsageTotal {
	e.t.Helper()
	now := time.Now()
	us, err := e.App.Billing.UsageTotals(context.Background(), tenantID, now.AddDate(0, 0, -40), now.AddDate(0, 0, 1))
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]billing.UsageTotal{}
	for _, u := range us {
		m[u.Category] = *u
	}
	return m
}

// TestBilling_TwilioCallbacksMeteredOnce: signed Twilio status callbacks
// reach the usage ledger through the real webhook route, and the same
// callback delivered twice (Twilio retries) counts once: a call's
// minutes, a text's segments. A text sent from the inbox is metered when
// sent, so its delivery report adds nothing. A forged callback records
// nothing.
func TestBilling_TwilioCallbacksMeteredOnce(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	tw := twiliotest.Start(sid, testTwilioToken)
	defer tw.Close()
	e := newTenantEnv(t, "--twilio-api-url", tw.URL)
	e.App.Integrations.TTL = time.Nanosecond
	ctx := context.Background()
	for scope, kv := range map[app.VaultScope][2]string{app.GlobalScope: {app.SecretTwilioSID, sid}, app.TenantScope(e.A.T.ID): {app.SecretTwilioFrom, "+15125550111"}} {
		if err := e.App.Vault.Put(ctx, scope, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	post := func(key string, f url.Values, token string) int {
		t.Helper()
		cb, _ := url.Parse(e.Server.TwilioCallbackURL(e.A.T.ID, key))
		st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: cb.RequestURI(), Form: f, Header: map[string]string{"X-Twilio-Signature": twilioSign(token, e.Server.URL("portal")+cb.RequestURI(), f)}})
		return st
	}
	call := url.Values{"CallSid": {"CAbill1"}, "CallStatus": {"completed"}, "CallDuration": {"125"}}
	if st := post("bill-call", call, "wrong-token-0123456789abcdef0123"); st != 403 {
		t.Fatalf("forged callback: %d", st)
	}
	if got := e.billingTotals(e.A.T.ID); len(got) != 0 {
		t.Fatalf("a forged callback was metered: %+v", got)
	}
	for range 2 {
		if st := post("bill-call", call, testTwilioToken); st != 204 {
			t.Fatalf("call status: %d", st)
		}
	}
	sms := url.Values{"MessageSid": {"SMbill1"}, "MessageStatus": {"delivered"}, "NumSegments": {"2"}}
	for range 2 {
		if st := post("bill-sms", sms, testTwilioToken); st != 204 {
			t.Fatalf("sms status: %d", st)
		}
	}
	// A text sent through the tenant's metered Twilio client.
	tel, err := e.App.Integrations.Telephony(ctx, e.A.T.ID)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := tel.SendSMS(ctx, app.SMS{From: "+15125550111", To: "+15125550142", Body: "Your quote is ready."})
	if err != nil {
		t.Fatal(err)
	}
	if st := post("bill-sms2", url.Values{"MessageSid": {sent}, "MessageStatus": {"delivered"}}, testTwilioToken); st != 204 {
		t.Fatalf("sms status: %d", st)
	}
	got := e.billingTotals(e.A.T.ID)
	if v := got[billing.VoiceMinutes]; v.Quantity != 3 || v.Events != 1 {
		t.Errorf("voice = %+v, want 3 minutes (125 s) in 1 event", v)
	}
	if v := got[billing.SMS]; v.Quantity != 3 || v.Events != 2 {
		t.Errorf("sms = %+v, want 3 segments in 2 events", v)
	}
	if other := e.billingTotals(e.B.T.ID); len(other) != 0 {
		t.Errorf("B was metered: %+v", other)
	}
}
