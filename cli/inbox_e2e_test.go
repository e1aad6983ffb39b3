package cli

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/store"
	"orengen/twilio/twiliotest"
)

// inboxNumber is the Twilio number of the inbox tests' tenant; inboxAlice
// the customer who texts it.
const (
	inboxNumber = "+15125550131"
	inboxAlice  = "+15125550142"
)

// inboxSetup makes a data dir with Twilio's credentials in the vault, a
// tenant owning inboxNumber and its owner (signed in with the returned
// password); extra are the flags the tests serve with (checked already
// by the subscriptions made in prep).
func inboxSetup(t *testing.T, dir, email string, extra []string, prep func(sv *App, tn *app.Tenant)) (*app.Tenant, string) {
	t.Helper()
	prepareAutomationData(t, dir)
	tn := &app.Tenant{Name: "Inbox Roofing"}
	m, _, tok := setupTenantInvite(t, dir, tn, "", email)
	m.Close()
	sv := openApp(t, dir, extra...)
	defer sv.Close()
	bg := context.Background()
	const password = "inbox owner password 1"
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Owner", password); err != nil {
		t.Fatal(err)
	}
	if err := sv.Vault.Put(bg, app.TenantScope(tn.ID), app.SecretTwilioFrom, inboxNumber); err != nil {
		t.Fatal(err)
	}
	if prep != nil {
		prep(sv, tn)
	}
	return tn, password
}

// TestInbox_MessageReceivedWebhookSigned: a customer's signed text to
// the tenant's number reaches the running server, and the tenant's
// webhook receiver gets message.received (and conversation.created)
// through the guarded client, signed: the receiver recomputes the
// HMAC-SHA256 of "timestamp.body" with the subscription's secret, checks
// the timestamp is fresh, and finds the text, the thread's API path and
// the channel in the payload. A body changed in transit fails the check.
func TestInbox_MessageReceivedWebhookSigned(t *testing.T) {
	type got struct {
		sig  string
		body []byte
	}
	var mu sync.Mutex
	var deliveries []got
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		deliveries = append(deliveries, got{r.Header.Get("X-Webhook-Signature"), b})
		mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	}))
	defer sink.Close()
	tw := twiliotest.Start(testTwilioSID, testTwilioToken)
	defer tw.Close()
	allow := []string{"--outbound-allow", sink.Listener.Addr().String(), "--twilio-api-url", tw.URL}
	dir := t.TempDir()
	var secret string
	inboxSetup(t, dir, "owner@inbox.test", allow, func(sv *App, tn *app.Tenant) {
		var err error
		secret, err = sv.Webhooks.Subscribe(app.NewContextWithTenant(context.Background(), tn),
			&app.WebhookSubscription{URL: sink.URL + "/hooks", Events: []string{"message.received", "conversation.created"}})
		if err != nil {
			t.Fatal(err)
		}
	})
	addr, _, stop := MustRunMain(t, dir, allow...)
	defer stop()

	f := url.Values{"From": {inboxAlice}, "To": {inboxNumber}, "Body": {"Is Saturday possible for the repair?"}, "MessageSid": {"SMhook0000000000000000000000000001"}}
	if st, _ := postSigned(t, addr, "wrong-token-0123456789abcdef0123", "/twilio/sms", f); st != 403 {
		t.Fatalf("forged text: %d", st)
	}
	if st, body := postSigned(t, addr, testTwilioToken, "/twilio/sms", f); st != 200 {
		t.Fatalf("signed text: %d %s", st, body)
	}
	events := map[string]map[string]any{}
	waitFor(t, "the signed deliveries", 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range deliveries {
			// As a receiver: t=UNIX,v1=HEX(HMAC-SHA256(secret, "UNIX." + body)).
			var ts, v1 string
			for _, part := range strings.Split(d.sig, ",") {
				k, v, _ := strings.Cut(part, "=")
				if k == "t" {
					ts = v
				} else if k == "v1" {
					v1 = v
				}
			}
			sec, err := strconv.ParseInt(ts, 10, 64)
			if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
				t.Fatalf("signature timestamp %q", d.sig)
			}
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write([]byte(ts + "."))
			mac.Write(d.body)
			if !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(v1)) {
				t.Fatalf("bad signature %q over %s", d.sig, d.body)
			}
			tampered := hmac.New(sha256.New, []byte(secret))
			tampered.Write([]byte(ts + "."))
			tampered.Write(append(append([]byte{}, d.body...), ' '))
			if hmac.Equal([]byte(hex.EncodeToString(tampered.Sum(nil))), []byte(v1)) {
				t.Fatal("a changed body passes the signature")
			}
			var ev struct {
				Event string         `json:"event"`
				Data  map[string]any `json:"data"`
			}
			if err := json.Unmarshal(d.body, &ev); err != nil {
				t.Fatalf("payload %s: %v", d.body, err)
			}
			events[ev.Event] = ev.Data
		}
		return events["message.received"] != nil && events["conversation.created"] != nil
	})
	db := openDataDB(t, dir)
	cs, err := store.NewInboxStore(db).FindConversations(context.Background(), inbox.Filter{Status: "all", Limit: 10})
	if err != nil || len(cs) != 1 {
		t.Fatalf("conversations %v %v", cs, err)
	}
	in, cr := events["message.received"], events["conversation.created"]
	cid := float64(cs[0].ID)
	if in["conversation_id"] != cid || in["channel"] != "sms" || in["direction"] != "in" || !strings.Contains(in["body"].(string), "Is Saturday possible for the repair?") ||
		in["api_path"] != "/api/v1/conversations/"+strconv.FormatInt(cs[0].ID, 10)+"/messages" {
		t.Fatalf("message.received %v", in)
	}
	if cr["conversation_id"] != cid || cr["channel"] != "sms" || cr["person_id"] != float64(cs[0].PersonID) {
		t.Fatalf("conversation.created %v", cr)
	}
	mu.Lock()
	n := len(deliveries)
	mu.Unlock()
	if n != 2 {
		t.Fatalf("%d deliveries, want 2 (the forged text is none)", n)
	}
}
