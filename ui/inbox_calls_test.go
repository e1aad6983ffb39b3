package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/twilio/twiliotest"
)

// TestInbox_Calls drives calls into threads through Twilio's signed
// webhooks, in the production wiring: an inbound call shows in the
// caller's call thread while it rings; its status callback (sent twice,
// as Twilio retries) ends it with duration, status and recording in the
// same one message, and a late "ringing" never moves it back; a forged
// callback is 403 and changes nothing; the thread page shows the call and
// plays the recording fetched through the tenant's Twilio account, which
// B cannot reach; the messages API returns the call and the recording
// downloads; a workflow's outbound call (status callback with its step
// key) lands as an outbound call in the callee's thread.
func TestInbox_Calls(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	const numberA, alice, bob = "+15125550111", "+15125550142", "+15125550143"
	const callSid, recSid = "CA0123456789abcdef0123456789abcd01", "RE0123456789abcdef0123456789abcd01"
	tw := twiliotest.Start(sid, testTwilioToken)
	defer tw.Close()
	mp3 := append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), []byte(strings.Repeat("\xff\xfb\x90\x64", 64))...)
	tw.AddRecording(recSid, mp3)
	e := newTenantEnv(t, "--twilio-api-url", tw.URL)
	e.App.Integrations.TTL = time.Nanosecond
	ctx := context.Background()
	for scope, kv := range map[app.VaultScope][2]string{app.GlobalScope: {app.SecretTwilioSID, sid}, app.TenantScope(e.A.T.ID): {app.SecretTwilioFrom, numberA}} {
		if err := e.App.Vault.Put(ctx, scope, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	a := map[string]string{"psid": e.A.Cookie}
	post := func(path string, f url.Values, token string) int {
		t.Helper()
		st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: path, Form: f, Header: map[string]string{"X-Twilio-Signature": twilioSign(token, e.Server.URL("portal")+path, f)}})
		return st
	}
	callThread := func(phone string) (*inbox.Conversation, []*inbox.Message) {
		t.Helper()
		cs, err := e.App.Stores.Inbox.FindConversations(ctx, inbox.Filter{TenantID: e.A.T.ID, Channel: inbox.ChannelCall, Status: "all", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Address == phone {
				ms, err := e.App.Stores.Inbox.FindMessages(ctx, c.TenantID, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				return c, ms
			}
		}
		t.Fatalf("no call thread with %s among %d", phone, len(cs))
		return nil, nil
	}

	// It rings: the voice webhook shows the call now.
	ring := url.Values{"CallSid": {callSid}, "AccountSid": {sid}, "From": {alice}, "To": {numberA}, "Direction": {"inbound"}, "CallStatus": {"ringing"}}
	if st := post("/twilio/voice", ring, testTwilioToken); st != 200 {
		t.Fatalf("voice webhook: %d", st)
	}
	c, ms := callThread(alice)
	if len(ms) != 1 || ms[0].Call == nil || ms[0].Call.Status != "ringing" || ms[0].Direction != inbox.DirIn || c.PersonID == 0 || c.LocalAddress != numberA {
		t.Fatalf("ringing: %+v %+v", c, ms)
	}
	// It ends: the status callback, retried; then a late ringing.
	done := url.Values{"CallSid": {callSid}, "AccountSid": {sid}, "From": {alice}, "To": {numberA}, "Direction": {"inbound"}, "CallStatus": {"completed"},
		"CallDuration": {"125"}, "RecordingSid": {recSid}, "RecordingDuration": {"120"}, "RecordingUrl": {tw.URL + "/2010-04-01/Accounts/" + sid + "/Recordings/" + recSid}}
	forged := url.Values{"CallSid": {callSid}, "From": {alice}, "To": {numberA}, "Direction": {"inbound"}, "CallStatus": {"failed"}}
	if st := post("/twilio/status", forged, "wrong-token-0123456789abcdef0123"); st != 403 {
		t.Fatalf("forged callback: %d", st)
	}
	for i := 0; i < 2; i++ {
		if st := post("/twilio/status", done, testTwilioToken); st != 204 {
			t.Fatalf("status callback %d: %d", i, st)
		}
	}
	if st := post("/twilio/status", ring, testTwilioToken); st != 204 {
		t.Fatalf("late ringing: %d", st)
	}
	c, ms = callThread(alice)
	if len(ms) != 1 {
		t.Fatalf("%d messages for one call", len(ms))
	}
	k := ms[0].Call
	if k == nil || k.SID != callSid || k.Status != "completed" || k.Duration != 125 || k.RecordingSID != recSid || k.RecordingDuration != 120 || ms[0].Status != "completed" ||
		!strings.Contains(ms[0].Body, "Inbound call, completed, 2 min 5 s") {
		t.Fatalf("call: %+v %+v", ms[0], k)
	}
	id, mid := strconv.FormatInt(c.ID, 10), strconv.FormatInt(ms[0].ID, 10)

	// The thread page and the recording.
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/" + id, Cookies: a})
	rec := "/inbox/" + id + "/recordings/" + mid
	if st != 200 || !strings.Contains(body, `<strong>Inbound call</strong>`) || !strings.Contains(body, `<span class="call-duration">2 min 5 s</span>`) ||
		!strings.Contains(body, `<span class="call-status">completed</span>`) || !strings.Contains(body, `src="`+rec+`"`) || !strings.Contains(body, "Recording (2 min)") {
		t.Fatalf("thread: %d %.4000s", st, body)
	}
	st, got, resp := e.do(treq{Host: "portal", Method: "GET", Path: rec, Cookies: a})
	if st != 200 || got != string(mp3) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "audio/") {
		t.Fatalf("recording: %d %q (%d bytes)", st, resp.Header.Get("Content-Type"), len(got))
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: rec, Cookies: map[string]string{"psid": e.B.Cookie}}); st != 404 {
		t.Fatalf("B reaches A's recording: %d", st)
	}

	// The API.
	st, raw, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/conversations/" + id + "/messages", Bearer: e.A.KeyRead})
	var out struct {
		Data []struct {
			ID   int64       `json:"id"`
			Call *inbox.Call `json:"call"`
		} `json:"data"`
	}
	if st != 200 || json.Unmarshal([]byte(raw), &out) != nil || len(out.Data) != 1 || out.Data[0].Call == nil || out.Data[0].Call.Duration != 125 ||
		!strings.Contains(raw, `"duration_seconds":125`) || !strings.Contains(raw, `"recording_sid":"`+recSid+`"`) {
		t.Fatalf("messages API: %d %s", st, raw)
	}
	if st, got, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/conversations/" + id + "/recordings/" + mid, Bearer: e.A.KeyRead}); st != 200 || got != string(mp3) {
		t.Fatalf("recording API: %d (%d bytes)", st, len(got))
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/conversations/" + id + "/recordings/" + mid, Bearer: e.B.KeyRead}); st != 404 {
		t.Fatalf("B's key reaches A's recording: %d", st)
	}

	// A workflow's outbound call: the status callback carries its step key.
	out2 := url.Values{"CallSid": {"CA0123456789abcdef0123456789abcd02"}, "AccountSid": {sid}, "From": {numberA}, "To": {bob}, "Direction": {"outbound-api"},
		"CallStatus": {"no-answer"}, "CallDuration": {"0"}}
	path := "/twilio/status?tenant=" + strconv.FormatInt(e.A.T.ID, 10) + "&key=run-1-step-call"
	if st := post(path, out2, testTwilioToken); st != 204 {
		t.Fatalf("outbound status: %d", st)
	}
	c2, ms2 := callThread(bob)
	if len(ms2) != 1 || ms2[0].Direction != inbox.DirOut || ms2[0].Call == nil || ms2[0].Call.Status != "no-answer" || c2.LocalAddress != numberA ||
		!strings.HasPrefix(ms2[0].Body, "Outbound call, no answer") {
		t.Fatalf("outbound call: %+v %+v", c2, ms2)
	}
}

// inboxCallFixture returns B's call thread and its call message, which
// has a recording the inbox's fake Twilio serves (objInboxCall).
func (e *tenantEnv) inboxCallFixture() (string, string) {
	return e.callFixture(e.B.T, "b1")
}

// callFixture stores a completed, recorded inbound call of tenant t
// (sid: two hex digits naming it) and returns its thread and message.
func (e *tenantEnv) callFixture(t *app.Tenant, sid string) (string, string) {
	e.t.Helper()
	v, _ := inboxFixtures.LoadOrStore(e, &sync.Map{})
	ids := v.(*sync.Map)
	if id, ok := ids.Load("call" + sid); ok {
		p := id.([2]string)
		return p[0], p[1]
	}
	rec := "RE0123456789abcdef0123456789abcd" + sid
	e.inboxTwilio().AddRecording(rec, []byte("ID3\x04\x00\x00\x00\x00\x00\x00 call "+sid))
	ctx := context.Background()
	if err := e.App.Inbox.CallEvent(ctx, t.ID, map[string]string{"CallSid": "CA0123456789abcdef0123456789abcd" + sid, "From": "+15125550179", "To": "+15125550178",
		"Direction": "inbound", "CallStatus": "completed", "CallDuration": "61", "RecordingSid": rec}, true); err != nil {
		e.t.Fatal(err)
	}
	cs, err := e.App.Stores.Inbox.FindConversations(ctx, inbox.Filter{TenantID: t.ID, Channel: inbox.ChannelCall, Status: "all", Limit: 1})
	if err != nil || len(cs) != 1 {
		e.t.Fatalf("call thread: %v %v", cs, err)
	}
	ms, err := e.App.Stores.Inbox.FindMessages(ctx, t.ID, cs[0].ID)
	if err != nil || len(ms) != 1 || ms[0].Call == nil {
		e.t.Fatalf("call: %v %v", ms, err)
	}
	p := [2]string{strconv.FormatInt(cs[0].ID, 10), strconv.FormatInt(ms[0].ID, 10)}
	ids.Store("call"+sid, p)
	return p[0], p[1]
}
