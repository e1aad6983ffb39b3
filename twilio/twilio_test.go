package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
	"orengen/twilio/twiliotest"
)

// Known answers: Twilio's security documentation ("Validating
// requests") signs this request with auth token 12345, and twilio-go's
// own tests sign a second one; both must verify, and any change must not.
func TestValidTwilioSignature_KnownAnswers(t *testing.T) {
	docParams := map[string]string{"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030", "To": "+18005551212"}
	libParams := map[string]string{"Digits": "1234", "CallSid": "CA1234567890ABCDE", "To": "+18005551212", "Caller": "+14158675309",
		"From": "+14158675309", "ReasonConferenceEnded": "test", "Reason": "Participant"}
	const docURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
	for _, c := range []struct {
		name, url string
		params    map[string]string
		sig       string
		want      bool
	}{
		{"documentation example", docURL, docParams, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", true},
		{"twilio-go vector", docURL, libParams, "vOEb5UThFn24KEfnOFLQY2AE5FY=", true},
		{"same vector, URL given with its port", "https://mycompany.com:1234/myapp.php?foo=1&bar=2", libParams, "vOEb5UThFn24KEfnOFLQY2AE5FY=", true},
		{"http form of the vector", "http://mycompany.com/myapp.php?foo=1&bar=2", libParams, "n2xBNyzSW7rfYStDtOFiFMv7qNo=", true},
		{"tampered parameter", docURL, map[string]string{"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "9999", "From": "+12349013030", "To": "+18005551212"}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", false},
		{"other URL", "https://mycompany.com/other.php?foo=1&bar=2", docParams, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", false},
		{"no signature", docURL, docParams, "", false},
	} {
		if got := ValidSignature("12345", c.url, c.params, c.sig); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if ValidSignature("", docURL, docParams, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") {
		t.Error("an empty auth token must never validate")
	}
}

// fakeTwilioAPI speaks Twilio's documented REST format on loopback: form
// POSTs and GETs under /2010-04-01/Accounts/{sid}/, basic auth, JSON
// answers and JSON errors.
type fakeTwilioAPI struct {
	mu    sync.Mutex
	posts []map[string]string // form of each POST, with "path"
	gets  []string            // raw query of each GET
	fail  int                 // answer every request with this status
}

func (f *fakeTwilioAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if u, p, ok := r.BasicAuth(); !ok || u != "AC123" || p != "tok" {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != 0 {
		w.WriteHeader(f.fail)
		fmt.Fprintf(w, `{"code":21211,"message":"The 'To' number is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":%d}`, f.fail)
		return
	}
	const prefix = "/2010-04-01/Accounts/AC123/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		http.Error(w, `{"status":404,"message":"not found"}`, 404)
		return
	}
	res := strings.TrimPrefix(r.URL.Path, prefix)
	switch r.Method {
	case http.MethodPost:
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, `{"status":400,"message":"form expected"}`, 400)
			return
		}
		r.ParseForm()
		form := map[string]string{"path": res}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		f.posts = append(f.posts, form)
		w.WriteHeader(201)
		prefix := map[string]string{"Messages.json": "SM", "Calls.json": "CA"}[res]
		json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("%s%032d", prefix, len(f.posts)), "status": "queued", "to": form["To"], "body": form["Body"]})
	case http.MethodGet:
		f.gets = append(f.gets, r.URL.RawQuery)
		created := time.Now().UTC().Format(time.RFC1123Z)
		old := time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC1123Z)
		switch res {
		case "Messages.json":
			fmt.Fprintf(w, `{"messages":[{"sid":"SMold","body":"hello","date_created":%q},{"sid":"SMother","body":"other","date_created":%q},{"sid":"SMnew","body":" hello ","date_created":%q}],"next_page_uri":null}`, old, created, created)
		case "Calls.json":
			fmt.Fprintf(w, `{"calls":[{"sid":"CAold","date_created":%q},{"sid":"CAnew","date_created":%q}],"next_page_uri":null}`, old, created)
		}
	}
}

func TestTwilio_WireFormat(t *testing.T) {
	fake := &fakeTwilioAPI{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	tw, err := New(Config{AccountSID: "AC123", AuthToken: "tok", From: "+15550001111", APIURL: srv.URL + "/ignored/path",
		StatusCallback: func(key string) string { return "https://example.test/cb?key=" + key }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sid, err := tw.SendSMS(ctx, app.SMS{To: "+15125550100", From: tw.From(), Body: "Hi & welcome", IdempotencyKey: "k1"})
	if err != nil || sid != "SM"+strings.Repeat("0", 31)+"1" {
		t.Fatalf("SendSMS: %q %v", sid, err)
	}
	sid, err = tw.PlaceCall(ctx, app.Call{To: "+15125550101", From: tw.From(), TwiML: "<Response><Say>Hi</Say></Response>"})
	if err != nil || !strings.HasPrefix(sid, "CA") {
		t.Fatalf("PlaceCall: %q %v", sid, err)
	}
	want := []map[string]string{
		{"path": "Messages.json", "To": "+15125550100", "From": "+15550001111", "Body": "Hi & welcome", "StatusCallback": "https://example.test/cb?key=k1"},
		{"path": "Calls.json", "To": "+15125550101", "From": "+15550001111", "Twiml": "<Response><Say>Hi</Say></Response>"},
	}
	if fmt.Sprint(fake.posts) != fmt.Sprint(want) {
		t.Errorf("posts:\n got %v\nwant %v", fake.posts, want)
	}

	since := time.Now().Add(-time.Hour)
	if sid, err := tw.FindSent(ctx, app.StepSMS, "+15550001111", "+15125550100", "hello", since); err != nil || sid != "SMnew" {
		t.Errorf("FindSent SMS: %q %v (want the recent message with the same body)", sid, err)
	}
	if sid, err := tw.FindSent(ctx, app.StepCall, "+15550001111", "+15125550101", "", since); err != nil || sid != "CAnew" {
		t.Errorf("FindSent call: %q %v", sid, err)
	}
	if len(fake.gets) != 2 || !strings.Contains(fake.gets[0], "DateSent%3E="+since.UTC().Format("2006-01-02")) ||
		!strings.Contains(fake.gets[0], "To=%2B15125550100") || !strings.Contains(fake.gets[1], "PageSize=50") {
		t.Errorf("list queries: %q", fake.gets)
	}

	// 4xx other than 429 is permanent (retrying cannot help); 429 and 5xx are not.
	for status, permanent := range map[int]bool{400: true, 404: true, 429: false, 500: false, 503: false} {
		fake.fail = status
		_, err := tw.SendSMS(ctx, app.SMS{To: "+1", From: tw.From(), Body: "x"})
		var pe *app.PermanentError
		var te *Error
		if err == nil || errors.As(err, &pe) != permanent || !errors.As(err, &te) || te.Status != status {
			t.Errorf("status %d: err %v, permanent %v (want %v)", status, err, errors.As(err, &pe), permanent)
		}
		if status == 400 && !strings.Contains(err.Error(), "not a valid phone number") {
			t.Errorf("Twilio's message is lost: %v", err)
		}
	}
	fake.fail = 0

	bad, _ := New(Config{AccountSID: "AC123", AuthToken: "wrong", From: "+1", APIURL: srv.URL})
	var pe *app.PermanentError
	if _, err := bad.PlaceCall(ctx, app.Call{To: "+1", From: "+1"}); !errors.As(err, &pe) || !strings.Contains(err.Error(), "Authenticate") {
		t.Errorf("wrong token: %v", err)
	}
	if _, err := New(Config{AccountSID: "AC123", AuthToken: "tok", From: "+1", APIURL: "ftp://x"}); err == nil {
		t.Error("an ftp API URL was accepted")
	}
	if _, err := New(Config{AccountSID: "AC123", From: "+1"}); err == nil {
		t.Error("a missing token was accepted")
	}
}

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
	tw, err := New(Config{AccountSID: sid, AuthToken: token, From: "+15125550199", APIURL: srv.URL, Meter: meter,
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
	bad, _ := New(Config{AccountSID: sid, AuthToken: "wrong", From: "+15125550199", APIURL: srv.URL})
	if _, err := bad.SendSMS(ctx, app.SMS{From: bad.From(), To: "+15125550100", Body: "x"}); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong token: %v", err)
	}
}

// TestFetchMedia_OnlyTheAccountsMedia: a Media resource of the account is
// downloaded through the redirect; a URL on another host, or of another
// account, is refused before any request (the credentials go nowhere).
func TestFetchMedia_OnlyTheAccountsMedia(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	tw := twiliotest.Start(sid, "tok-0123456789abcdef0123456789ab")
	defer tw.Close()
	c, err := New(Config{AccountSID: sid, AuthToken: "tok-0123456789abcdef0123456789ab", From: "+15125550100", APIURL: tw.URL})
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	good := tw.AddMedia("MM1", "image/gif", []byte("GIF89a-pixels"))
	data, ct, size, err := c.FetchMedia(context.Background(), good, 100)
	if err != nil || string(data) != "GIF89a-pixels" || ct != "image/gif" || size != 13 {
		t.Fatalf("fetch: %q %q %d %v", data, ct, size, err)
	}
	if data, _, size, err := c.FetchMedia(context.Background(), good, 5); err != nil || len(data) != 5 || size <= 5 {
		t.Fatalf("over the limit: %d bytes, size %d, %v", len(data), size, err)
	}
	for _, u := range []string{
		other.URL + "/2010-04-01/Accounts/" + sid + "/Messages/MM1/Media/ME1",
		tw.URL + "/2010-04-01/Accounts/ACother0000000000000000000000000/Messages/MM1/Media/ME1",
		tw.URL + "/2010-04-01/Accounts/" + sid + "/Calls.json",
	} {
		if _, _, _, err := c.FetchMedia(context.Background(), u, 100); err == nil {
			t.Fatalf("fetched %s", u)
		}
	}
	if hits.Load() != 0 || tw.MediaFetched() != 2 {
		t.Fatalf("requests elsewhere: %d; media fetched %d", hits.Load(), tw.MediaFetched())
	}
}
