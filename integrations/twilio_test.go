package integrations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"orengen/app"
)

// countMeter records MessageSent calls (the metrics exporter's side is
// tested in ui).
type countMeter struct {
	mu   sync.Mutex
	sent map[string]int
}

func (m *countMeter) RunFinished(string)          {}
func (m *countMeter) StepFinished(string, string) {}
func (m *countMeter) WebhookDelivered(string)     {}
func (m *countMeter) MessageSent(channel, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sent == nil {
		m.sent = map[string]int{}
	}
	m.sent[channel+" "+outcome]++
}

// TestTwilio_SendSMS sends through a loopback server that speaks Twilio's
// Messages API (POST /2010-04-01/Accounts/{AccountSid}/Messages.json, basic
// auth with the account SID and token, form fields To, From, Body and
// StatusCallback; 201 with the message's sid; errors as {"code","message",
// "status"}): the right request goes out and its sid comes back; a 400 (a
// bad number) is a permanent error; both are counted.
func TestTwilio_SendSMS(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "tok0123456789abcdef0123456789abcd"
	var got []url.Values
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != sid || p != token {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"code":20003,"message":"Authenticate","status":401}`)
			return
		}
		r.ParseForm()
		got, paths = append(got, r.PostForm), append(paths, r.Method+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("To") == "+15005550001" { // Twilio's test number for "invalid"
			w.WriteHeader(400)
			fmt.Fprint(w, `{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`)
			return
		}
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"sid":"SM%032d","status":"queued","to":%q,"from":%q,"body":%q}`, len(got), r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body"))
	}))
	defer srv.Close()
	meter := &countMeter{}
	tw, err := NewTwilio(TwilioConfig{AccountSID: sid, AuthToken: token, From: "+15125550199", APIURL: srv.URL, Meter: meter,
		StatusCallback: func(key string) string { return "https://app.example.test/twilio/status?key=" + key }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	msgSID, err := tw.SendSMS(ctx, app.SMS{From: tw.From(), To: "+15125550100", Body: "Hello Ada, thanks for your enquiry.", IdempotencyKey: "r1-s0"})
	if err != nil || msgSID != "SM00000000000000000000000000000001" {
		t.Fatalf("SendSMS: %q %v", msgSID, err)
	}
	if len(got) != 1 || paths[0] != "POST /2010-04-01/Accounts/"+sid+"/Messages.json" || got[0].Get("To") != "+15125550100" || got[0].Get("From") != "+15125550199" ||
		got[0].Get("Body") != "Hello Ada, thanks for your enquiry." || got[0].Get("StatusCallback") != "https://app.example.test/twilio/status?key=r1-s0" {
		t.Fatalf("request %v %v", paths, got)
	}
	_, err = tw.SendSMS(ctx, app.SMS{From: tw.From(), To: "+15005550001", Body: "x"})
	var perm *app.PermanentError
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "not a valid phone number") {
		t.Fatalf("bad number: %v, want a permanent error with Twilio's message", err)
	}
	if meter.sent["sms sent"] != 1 || meter.sent["sms failed"] != 1 {
		t.Fatalf("counted %v", meter.sent)
	}
	bad, _ := NewTwilio(TwilioConfig{AccountSID: sid, AuthToken: "wrong", From: "+15125550199", APIURL: srv.URL})
	if _, err := bad.SendSMS(ctx, app.SMS{From: bad.From(), To: "+15125550100", Body: "x"}); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong token: %v", err)
	}
}
