package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"unicode/utf8"

	"orengen/app"
	"orengen/store"
	"orengen/twilio"
)

// twilioSignature computes X-Twilio-Signature as Twilio documents it
// (base64 of HMAC-SHA1 over the URL followed by each POST parameter's
// name and value, sorted by name), independently of twilio-go.
func twilioSignature(token, u string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(u))
	for _, k := range keys {
		m.Write([]byte(k + params[k]))
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// FuzzTwilioWebhook: any form body Twilio's webhook URLs receive is
// checked by signature (a body signed as documented passes, the same body
// with one parameter changed does not) and a verified one is recorded with
// bounded, valid UTF-8 fields; never a panic or an internal error.
func FuzzTwilioWebhook(f *testing.F) {
	f.Add(uint8(0), "From=%2B15125550100&To=%2B15125550199&Body=Hello&MessageSid=SM123", "")
	ctx := context.Background()
	db := store.NewDB(filepath.Join(f.TempDir(), "orengen.db"))
	if err := db.Open(ctx); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	ws := store.NewWorkflowStore(db)
	const token = "fuzz-twilio-auth-token"
	svc := app.NewAutomationService(ws, store.NewAutomationRequestStore(db))
	svc.TwilioAuthToken = func(context.Context, int64) (string, error) { return token, nil }
	svc.ValidSignature = twilio.ValidSignature
	const publicURL = "https://app.example.test/twilio/sms?tenant=1"
	seq := 0
	f.Fuzz(func(t *testing.T, kind uint8, body, key string) {
		q, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		params := map[string]string{}
		for k, v := range q {
			params[k] = v[0]
		}
		// A parameter of its own makes every input a new request: a
		// replay is stored once, and the check below reads this one back.
		seq++
		params["FuzzSeq"] = strconv.Itoa(seq)
		sig := twilioSignature(token, publicURL, params)
		if err := svc.CheckTwilioSignature(ctx, 1, publicURL, params, sig); err != nil {
			t.Fatalf("a correctly signed request was refused: %v", err)
		}
		forged := map[string]string{"Body": params["Body"] + "!"}
		for k, v := range params {
			if k != "Body" {
				forged[k] = v
			}
		}
		if err := svc.CheckTwilioSignature(ctx, 1, publicURL, forged, sig); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Fatalf("a changed body passed the signature check: %v", err)
		}
		h := &app.TwilioWebhook{TenantID: 1, Kind: []string{"sms", "voice", "status"}[int(kind)%3], Params: params, Key: key}
		if err := svc.HandleTwilio(ctx, h); err != nil && app.ErrorCode(err) == app.EINTERNAL {
			t.Fatalf("internal error: %v", err)
		}
		var sid, from, to, text string
		if err := db.ReadDB().QueryRowContext(ctx, `SELECT sid, from_number, to_number, body FROM twilio_events ORDER BY id DESC LIMIT 1`).Scan(&sid, &from, &to, &text); err != nil {
			t.Fatalf("no event recorded: %v", err)
		}
		sidIn := params["MessageSid"]
		if sidIn == "" {
			sidIn = params["CallSid"]
		}
		for _, v := range []struct {
			name, in, out string
			max           int
		}{{"sid", sidIn, sid, 64}, {"from", params["From"], from, 40}, {"to", params["To"], to, 40}, {"body", params["Body"], text, 2000}} {
			if len(v.out) > v.max || utf8.ValidString(v.in) && !utf8.ValidString(v.out) {
				t.Fatalf("%s %q stored as %q (%d bytes, at most %d; valid UTF-8 in must stay valid)", v.name, v.in, v.out, len(v.out), v.max)
			}
		}
	})
}
