package inbox

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage.
var pageData = map[string]func() any{}

func init() {
	now := time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)
	conv := &inbox.Conversation{ID: 5, TenantID: 2, Channel: "sms", Address: "+15125550142", LocalAddress: "+15125550100", Status: "snoozed", SnoozedUntil: &now,
		Assignee: "user:a@b.test", Labels: []string{"billing"}, Unread: 2, LastMessageAt: now, LastPreview: "hi", LastDirection: "out", AgentConversationID: 9, Unrouted: true, Subject: "s"}
	ms := []*inbox.Message{{ID: 1, Direction: "in", Body: "hi", CreatedAt: now, Attachments: []inbox.Attachment{{Name: "a.png", Type: "image/png", Size: 10}}},
		{ID: 2, Direction: "out", Author: "user:a@b.test", Body: "hello", Status: "failed", Error: "x", CreatedAt: now}, {ID: 3, Direction: "note", Body: "n", CreatedAt: now},
		{ID: 4, Direction: "in", Body: "Inbound call", CreatedAt: now, Call: &inbox.Call{SID: "CA1", Direction: "in", Status: "completed", Duration: 125, RecordingSID: "RE1", RecordingDuration: 120, Transcript: "Caller: hi", AI: true}}}
	person := &app.Person{ID: 3, FirstName: "Al", Emails: []string{"al@x.test"}, Phones: []string{"+15125550142"}, Tags: []string{"vip"}}
	for _, host := range []string{"portal", "nexus"} {
		nexus := host == "nexus"
		pageData[host+"/inbox"] = func() any {
			return &inboxPage{Nexus: nexus, Tenants: map[int64]string{2: "Acme"}, TenantList: []*app.Tenant{{ID: 2, Name: "Acme"}}, Filter: filterForm{Status: "all", Tenant: "2"},
				Query: "?status=all", Statuses: inbox.Statuses, Channels: inbox.Channels, Conversations: []*inbox.Conversation{conv}, Next: "/inbox?before=x",
				Conv: conv, Messages: ms, Person: person, Canned: []cannedView{{1, "Thanks", "Thanks Al"}}, Error: "e"}
		}
		pageData[host+"/inbox_mailbox"] = func() any {
			return &mailboxPage{Nexus: nexus, TenantList: []*app.Tenant{{ID: 2, Name: "Acme"}}, Tenant: 2,
				Mailbox: &inbox.Mailbox{Host: "imap.x.test", Port: 993, Security: "tls", Username: "u", Address: "a@x.test", Enabled: true, LastPollAt: &now, LastError: "e", Imported: 3},
				Errors:  map[string]string{"host": "x"}}
		}
		pageData[host+"/inbox_hours"] = func() any {
			return &hoursPage{Nexus: nexus, TenantList: []*app.Tenant{{ID: 2, Name: "Acme"}}, Tenant: 2,
				Hours: &inbox.Hours{TenantID: 2, Enabled: true, Days: []int{1, 2}, Open: "09:00", Close: "17:00", AwayText: "Closed"}, Errors: map[string]string{"close": "x"}}
		}
		pageData[host+"/inbox_canned"] = func() any {
			return &cannedPage{Nexus: nexus, TenantList: []*app.Tenant{{ID: 2, Name: "Acme"}}, Tenant: 2, Canned: []*inbox.Canned{{ID: 1, TenantID: 2, Name: "T", Body: "B"}},
				Errors: map[string]string{"name": "x"}}
		}
	}
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
