package cli

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app/inbox"
	"orengen/store"
	"orengen/twilio/twiliotest"
)

// TestBrowser_InboxReplySMS: the tenant's owner has the inbox open when a
// customer's signed text arrives; it appears in the list without a
// reload (pushed over SSE); the owner opens the thread, writes a reply
// and sends it; the reply leaves through Twilio's API (the loopback
// fake) from the tenant's number to the customer, and shows in the
// thread as sent.
func TestBrowser_InboxReplySMS(t *testing.T) {
	ctx := newBrowserFor(t, 120*time.Second)
	tw := twiliotest.Start(testTwilioSID, testTwilioToken)
	defer tw.Close()
	flags := []string{"--twilio-api-url", tw.URL}
	dir := t.TempDir()
	const email = "agent@inbox.test"
	_, password := inboxSetup(t, dir, email, flags, nil)
	addr, _, stop := MustRunMain(t, dir, flags...)
	defer stop()
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "inbox-reply-failed")
		}
	}()
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", email, password),
		waitLoaded("main.content h1", chromedp.ByQuery),
		chromedp.Navigate(base+"/inbox"),
		waitLoaded("#inbox", chromedp.ByID),
		// The live stream is open before the text comes in.
		chromedp.Poll(`document.getElementById("inbox-list").textContent.indexOf("No conversation") >= 0`, nil, chromedp.WithPollingTimeout(5*time.Second)),
	); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the EventSource connects
	f := url.Values{"From": {inboxAlice}, "To": {inboxNumber}, "Body": {"Can you come look at a leak today?"}, "MessageSid": {"SMbrowser000000000000000000000001"}}
	if st, body := postSigned(t, addr, testTwilioToken, "/twilio/sms", f); st != 200 {
		t.Fatalf("signed text: %d %s", st, body)
	}
	const reply = "Yes: our roofer can be there at 3 pm."
	var thread string
	if err := chromedp.Run(ctx,
		waitLoaded(`#inbox-list a[data-id]`, chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("inbox-list").textContent.indexOf("Can you come look at a leak today?") >= 0`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(`#inbox-list a[data-id]`, chromedp.ByQuery),
		waitLoaded("#reply-text", chromedp.ByID),
		chromedp.SendKeys("#reply-text", reply, chromedp.ByID),
		chromedp.Click("#reply-send", chromedp.ByID),
		// The form posts and the thread comes back with the reply.
		waitLoaded("#inbox-messages .imsg-out .delivery-sent", chromedp.ByQuery),
		chromedp.Text("#inbox-messages", &thread, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	sent := tw.WaitMessages(1, 5*time.Second)
	if len(sent) != 1 || sent[0].Get("From") != inboxNumber || sent[0].Get("To") != inboxAlice || sent[0].Get("Body") != reply {
		t.Fatalf("sent through Twilio: %v", sent)
	}
	if !strings.Contains(thread, "Can you come look at a leak today?") || !strings.Contains(thread, reply) || !strings.Contains(thread, email) {
		t.Fatalf("thread: %s", thread)
	}
	db := openDataDB(t, dir)
	cs, err := store.NewInboxStore(db).FindConversations(context.Background(), inbox.Filter{Status: "all", Limit: 10})
	if err != nil || len(cs) != 1 {
		t.Fatalf("conversations %v %v", cs, err)
	}
	ms, err := store.NewInboxStore(db).FindMessages(context.Background(), cs[0].TenantID, cs[0].ID)
	if err != nil || len(ms) != 2 || ms[1].Direction != inbox.DirOut || ms[1].ProviderID == "" || ms[1].Author != "user:"+email {
		t.Fatalf("messages %+v %v", ms, err)
	}
}
