package ui_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app/inbox"
	"orengen/store"
)

// TestInbox_RoundRobinAndMentions: in the served app, the thread's
// assign form takes "round-robin" and gives threads to A's team members
// in turn (owner, member, owner: email order); a note written through the
// API that mentions A's member (@member) emails them (the outbox)
// with a link to the thread in A's portal, and B's users hear nothing.
func TestInbox_RoundRobinAndMentions(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	a := map[string]string{"psid": e.A.Cookie}
	var ids []int64
	for i, from := range []string{"+15125550191", "+15125550192", "+15125550193"} {
		if err := e.App.Inbox.InboundSMS(ctx, e.A.T.ID, map[string]string{"From": from, "To": "+15125550190", "Body": "Need a quote", "MessageSid": "SMteam" + strconv.Itoa(i)}, true, false); err != nil {
			t.Fatal(err)
		}
		cs, _ := e.App.Stores.Inbox.FindConversations(ctx, inbox.Filter{TenantID: e.A.T.ID, Status: "all", Limit: 1})
		ids = append(ids, cs[0].ID)
	}
	var got []string
	for _, id := range ids {
		p := "/inbox/" + strconv.FormatInt(id, 10) + "/assign"
		if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: p, Form: url.Values{"assignee": {"round-robin"}}, Cookies: a, CSRF: true}); st != 303 {
			t.Fatalf("assign: %d", st)
		}
		c, _ := e.App.Stores.Inbox.FindConversation(ctx, e.A.T.ID, id)
		got = append(got, c.Assignee)
	}
	want := "user:" + e.A.Member.Email + ",user:" + e.A.Owner.Email + ",user:" + e.A.Member.Email
	if strings.Join(got, ",") != want {
		t.Fatalf("round robin %v, want %s", got, want)
	}
	ob := store.NewOutboxStore(e.DB)
	_, before, _ := ob.FindOutboxMessages(ctx, 1)
	conv := "/api/v1/conversations/" + strconv.FormatInt(ids[0], 10)
	first, _, _ := strings.Cut(e.A.Member.Email, "@") // the names share a first word: the email's local part is unique
	if st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: conv + "/notes", JSON: `{"text":"@` + first + ` please call them back today"}`, Bearer: e.A.KeyWrite}); st != 201 {
		t.Fatalf("note: %d %s", st, body)
	}
	msgs, after, _ := ob.FindOutboxMessages(ctx, 5)
	if after != before+1 || len(msgs) == 0 || !strings.Contains(msgs[0].To, e.A.Member.Email) || !strings.Contains(msgs[0].Body, "please call them back today") ||
		!strings.Contains(msgs[0].Body, "/inbox/"+strconv.FormatInt(ids[0], 10)) {
		t.Fatalf("outbox %d → %d: %+v", before, after, msgs[0])
	}
}
