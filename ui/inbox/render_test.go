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
	// Broadcasts, unsubscribe and quiet hours: the portal's only.
	b := &inbox.Broadcast{ID: 7, TenantID: 2, ViewID: 3, ViewName: "VIPs", Channel: "email", Subject: "Spring", Body: "Hi {{first_name}}", Rate: 5,
		Status: "sending", CreatedBy: "user:a@b.test", CreatedAt: now, UpdatedAt: now, FinishedAt: &now,
		Report: inbox.BroadcastReport{Total: 10, Queued: 2, Sent: 5, Delivered: 4, Failed: 1, Skipped: 2, Replies: 1, OptedOut: 1,
			Reasons: []inbox.ReasonCount{{Status: "skipped", Reason: "no email", Count: 2}}}}
	rcpt := []*inbox.Recipient{{ID: 1, BroadcastID: 7, PersonID: 3, Name: "Al", Address: "al@x.test", Status: "failed", Reason: "bounced", ConversationID: 5, SentAt: &now}}
	pageData["portal/inbox_broadcasts"] = func() any { return &broadcastsPage{Broadcasts: []*inbox.Broadcast{b}} }
	pageData["portal/inbox_broadcast"] = func() any { return &broadcastPage{Broadcast: b, Failed: rcpt, Skipped: rcpt} }
	pageData["portal/inbox_broadcast_new"] = func() any {
		return &broadcastNewPage{Views: []*app.View{{ID: 3, Name: "VIPs", Object: "person"}}, Form: broadcastForm{ViewID: "3", Channel: "sms", Body: "Hi"},
			Preview: &inbox.BroadcastPreview{ViewName: "VIPs", Total: 10, Send: 8, Skipped: []inbox.ReasonCount{{Reason: "no phone", Count: 2}}, Sample: "Hi Al"},
			Errors:  map[string]string{"body": "x"}, SMSRate: 1, EmailRate: 5, FieldsHint: "{{first_name}}", MaxSMSChars: 1600}
	}
	pageData["portal/inbox_unsubscribe"] = func() any { return &unsubscribePage{T: "2", P: "3", S: "sig", Done: true} }
	pageData["portal/inbox_quiet"] = func() any {
		return &quietPage{Quiet: &inbox.Quiet{TenantID: 2, Enabled: true, Start: "21:00", End: "08:00"}, Errors: map[string]string{"start": "x"}}
	}
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
