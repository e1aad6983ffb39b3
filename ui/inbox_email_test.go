package ui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"orengen/app/inbox"
)

// TestInbox_EmailHTMLAndAttachments: an email's HTML shows in a frame of
// its own, sanitised again, sandboxed by its CSP, with its remote image
// blocked until "Show images"; its stored file downloads from the thread
// and the API as an inert attachment; a program that came with it is
// listed, not stored; tenant B reaches none of it (issue #18).
func TestInbox_EmailHTMLAndAttachments(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	pdf := []byte("%PDF-1.4 Alpha's roof plan")
	exe := []byte("MZ\x90\x00 a program")
	c, m, _, err := e.App.Stores.Inbox.Receive(ctx, &inbox.Inbound{TenantID: e.A.T.ID, Channel: inbox.ChannelEmail, Address: "dana@example.com", Email: "dana@example.com",
		Message: inbox.Message{Direction: inbox.DirIn, Subject: "Roof plan", Body: "Plan attached.", ProviderID: "plan@example.com",
			HTML:        `<p>Plan <b>attached</b><img src="https://tracker.example/open.gif?u=dana"><a href="https://example.com/x" onclick="steal()">site</a></p>`,
			Attachments: []inbox.Attachment{inbox.KeepAttachment("plan.pdf", "application/pdf", int64(len(pdf)), pdf), inbox.KeepAttachment("setup.exe", "application/octet-stream", int64(len(exe)), exe)}}})
	if err != nil || m.Attachments[0].ID == 0 || m.Attachments[1].Stored || m.Attachments[1].ID != 0 {
		t.Fatalf("receive: %+v %v", m, err)
	}
	a := map[string]string{"psid": e.A.Cookie}
	b := map[string]string{"psid": e.B.Cookie}
	cid, mid, aid := strconv.FormatInt(c.ID, 10), strconv.FormatInt(m.ID, 10), strconv.FormatInt(m.Attachments[0].ID, 10)
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/" + cid, Cookies: a})
	frame := "/inbox/" + cid + "/messages/" + mid + "/frame"
	for _, want := range []string{`<iframe class="imsg-html" sandbox="allow-popups allow-popups-to-escape-sandbox"`, `src="` + frame + `"`, "1 remote image blocked",
		`href="/inbox/` + cid + `?images=1"`, `href="/inbox/` + cid + `/attachments/` + aid + `" download>plan.pdf</a>`, "setup.exe", "a program or script: not stored"} {
		if st != 200 || !strings.Contains(body, want) {
			t.Errorf("thread page lacks %s", want)
		}
	}
	if strings.Contains(body, "tracker.example") {
		t.Error("the thread page itself names the tracker")
	}
	st, body, resp := e.do(treq{Host: "portal", Method: "GET", Path: frame, Cookies: a})
	csp := resp.Header.Get("Content-Security-Policy")
	if st != 200 || !strings.Contains(body, "<b>attached</b>") || strings.Contains(body, "tracker.example") || strings.Contains(body, "onclick") ||
		!strings.Contains(csp, "sandbox") || !strings.Contains(csp, "img-src data: cid:;") || !strings.Contains(csp, "default-src 'none'") || resp.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Fatalf("frame: %d csp %q xfo %q\n%s", st, csp, resp.Header.Get("X-Frame-Options"), body)
	}
	st, body, resp = e.do(treq{Host: "portal", Method: "GET", Path: frame + "?images=1", Cookies: a})
	if st != 200 || !strings.Contains(body, `src="https://tracker.example/open.gif?u=dana"`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "https:") {
		t.Fatalf("frame with images: %d %s", st, body)
	}
	if _, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/" + cid + "?images=1", Cookies: a}); strings.Contains(body, "remote image blocked") || !strings.Contains(body, frame+"?images=1") {
		t.Error("the thread with images shown still blocks them")
	}
	for _, dl := range []treq{{Host: "portal", Method: "GET", Path: "/inbox/" + cid + "/attachments/" + aid, Cookies: a},
		{Host: "portal", Method: "GET", Path: "/api/v1/conversations/" + cid + "/attachments/" + aid, Bearer: e.A.KeyRead}} {
		st, body, resp := e.do(dl)
		if st != 200 || body != string(pdf) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="plan.pdf"`) ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("download %s: %d %q %v", dl.Path, st, body, resp.Header)
		}
	}
	// The API lists the file by id, and the program as not stored.
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/conversations/" + cid + "/messages", Bearer: e.A.KeyRead})
	if st != 200 || !strings.Contains(body, `{"id":`+aid+`,"name":"plan.pdf","type":"application/pdf","size":`+strconv.Itoa(len(pdf))+`,"stored":true}`) || !strings.Contains(body, `"name":"setup.exe"`) {
		t.Fatalf("api messages: %d %s", st, body)
	}
	// Tenant B: nothing.
	for _, p := range []string{"/inbox/" + cid + "/attachments/" + aid, frame} {
		if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: p, Cookies: b}); st != 404 {
			t.Errorf("B on %s: %d", p, st)
		}
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/conversations/" + cid + "/attachments/" + aid, Bearer: e.B.KeyRead}); st != 404 {
		t.Errorf("B's key on A's file: %d", st)
	}
}
