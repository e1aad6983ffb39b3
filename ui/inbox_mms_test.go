package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/twilio/twiliotest"
)

// TestInbox_MMSMediaStored: a signed MMS webhook with three media: a
// photo is fetched from Twilio's Media resource (basic auth, then the
// redirect to the media store) and stored, downloadable through the API
// byte for byte and linked in the thread; a program is listed, not
// stored; a URL outside the account's Media resources is never fetched
// (its link and the reason are kept). Twilio's retry fetches nothing new.
func TestInbox_MMSMediaStored(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	const numberA, alice = "+15125550111", "+15125550142"
	tw := twiliotest.Start(sid, testTwilioToken)
	defer tw.Close()
	e := newTenantEnv(t, "--twilio-api-url", tw.URL)
	e.App.Integrations.TTL = time.Nanosecond // the secrets put below are read anew
	ctx := context.Background()
	for scope, kv := range map[app.VaultScope][2]string{app.GlobalScope: {app.SecretTwilioSID, sid}, app.TenantScope(e.A.T.ID): {app.SecretTwilioFrom, numberA}} {
		if err := e.App.Vault.Put(ctx, scope, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	var foreignHits atomic.Int32 // a server outside Twilio: must never see the account's credentials
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreignHits.Add(1); w.Write([]byte("\xff\xd8\xff")) }))
	defer foreign.Close()
	photo := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("roof"), 5000)...)
	f := url.Values{"From": {alice}, "To": {numberA}, "Body": {"Here is the leak"}, "MessageSid": {"MMleak1"}, "NumMedia": {"3"},
		"MediaUrl0": {tw.AddMedia("MMleak1", "image/png", photo)}, "MediaContentType0": {"image/png"},
		"MediaUrl1": {tw.AddMedia("MMleak1", "application/octet-stream", []byte("MZ\x90\x00 a windows program"))}, "MediaContentType1": {"application/octet-stream"},
		"MediaUrl2": {foreign.URL + "/2010-04-01/Accounts/" + sid + "/Messages/MMleak1/Media/ME1"}, "MediaContentType2": {"image/jpeg"}}
	for i := 0; i < 2; i++ { // Twilio retries: one message
		st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/twilio/sms", Form: f, Header: map[string]string{"X-Twilio-Signature": twilioSign(testTwilioToken, e.Server.URL("portal")+"/twilio/sms", f)}})
		if st != 200 {
			t.Fatalf("signed MMS: %d", st)
		}
	}
	cs, err := e.App.Stores.Inbox.FindConversations(ctx, inbox.Filter{TenantID: e.A.T.ID, Status: "all", Limit: 10})
	if err != nil || len(cs) != 1 {
		t.Fatalf("conversations: %v %v", cs, err)
	}
	ms, _ := e.App.Stores.Inbox.FindMessages(ctx, e.A.T.ID, cs[0].ID)
	if len(ms) != 1 || len(ms[0].Attachments) != 3 {
		t.Fatalf("messages: %+v", ms)
	}
	as := ms[0].Attachments
	if !as[0].Stored || as[0].ID == 0 || as[0].Name != "media-1.png" || as[0].Size != int64(len(photo)) {
		t.Fatalf("the photo is not stored: %+v", as[0])
	}
	if as[1].Stored || !strings.Contains(as[1].Note, "a program") {
		t.Fatalf("the program: %+v", as[1])
	}
	if as[2].Stored || !strings.Contains(as[2].Note, "could not be fetched") || !strings.Contains(as[2].Note, foreign.URL) || foreignHits.Load() != 0 {
		t.Fatalf("the foreign URL: %+v", as[2])
	}
	st, body, resp := e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("/api/v1/conversations/%d/attachments/%d", cs[0].ID, as[0].ID), Bearer: e.A.KeyRead})
	if st != 200 || body != string(photo) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/png") {
		t.Fatalf("download: %d %q (%d bytes)", st, resp.Header.Get("Content-Type"), len(body))
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("/api/v1/conversations/%d/attachments/%d", cs[0].ID, as[0].ID), Bearer: e.B.KeyRead}); st != 404 {
		t.Fatalf("B downloads A's photo: %d", st)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("/inbox/%d", cs[0].ID), Cookies: map[string]string{"psid": e.A.Cookie}})
	if !strings.Contains(body, "media-1.png") || !strings.Contains(body, fmt.Sprintf("/attachments/%d", as[0].ID)) {
		t.Fatal("the thread does not link the photo")
	}
	// The retry: the program and the photo were fetched once each per
	// delivery attempt at most; nothing was stored twice.
	if n := tw.MediaFetched(); n < 2 || n > 4 {
		t.Fatalf("media fetched %d times", n)
	}
}
