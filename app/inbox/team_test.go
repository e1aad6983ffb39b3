package inbox_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"orengen/app"
	"orengen/app/inbox"
)

type captureMailer struct {
	mu   sync.Mutex
	sent []*app.Message
}

// Ping implements app.Pinger: a test fake has no connection to test.
func (*captureMailer) Ping(context.Context) error {
	return errors.New("a test's mailer has no connection to test")
}

func (m *captureMailer) Send(_ context.Context, msg *app.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

// teamOf is a fake team per tenant.
func teamOf(byTenant map[int64][]*app.User) func(context.Context, int64) ([]*app.User, error) {
	return func(_ context.Context, tid int64) ([]*app.User, error) { return byTenant[tid], nil }
}

// TestService_RoundRobin: "round-robin" gives new threads to the
// tenant's team members in turn (wrapping), from the thread's assign
// form and a workflow's assign step alike; each tenant has its own turn;
// a tenant without a team gets an error naming the assignee.
func TestService_RoundRobin(t *testing.T) {
	e := newEnv(t)
	e.svc.Team = teamOf(map[int64][]*app.User{e.tA.ID: {{Email: "cy@alpha.test"}, {Email: "al@alpha.test"}, {Email: "bo@alpha.test"}}})
	ctx := e.owner(e.tA)
	var got []string
	for i, from := range []string{"+15125550101", "+15125550102", "+15125550103", "+15125550104"} {
		e.text(e.tA.ID, from, numberA, "hello", "SMrr"+from)
		c := e.list(ctx, inbox.Filter{})[0]
		if i < 3 {
			cv, err := e.svc.Assign(ctx, c.ID, inbox.RoundRobin)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, cv.Assignee)
		} else { // a workflow's step
			if _, err := e.svc.AssignStep(app.NewContextWithActor(context.Background(), "workflow:1"), e.tA.ID, c.ID, 0, inbox.RoundRobin); err != nil {
				t.Fatal(err)
			}
			cv, _ := e.svc.Conversation(ctx, c.ID)
			got = append(got, cv.Assignee)
		}
	}
	if strings.Join(got, ",") != "user:al@alpha.test,user:bo@alpha.test,user:cy@alpha.test,user:al@alpha.test" {
		t.Fatalf("turns %v", got)
	}
	e.text(e.tB.ID, alice, "+15125550178", "hi B", "SMrrB")
	cB := e.list(e.owner(e.tB), inbox.Filter{})[0]
	if _, err := e.svc.Assign(e.owner(e.tB), cB.ID, inbox.RoundRobin); app.ErrorField(err) != "assignee" {
		t.Fatalf("B without a team: %v", err)
	}
}

// TestService_Mentions: a private note that mentions team members by
// email, by the part before the @ or by a first name only one has emails
// each of them once, with the note and a link to the thread; the author,
// an unknown name, an ambiguous name and another tenant's user are not
// notified.
func TestService_Mentions(t *testing.T) {
	e := newEnv(t)
	mail := &captureMailer{}
	e.svc.Notify = mail
	e.svc.ThreadURL = func(_ context.Context, tid, id int64) string { return "https://app.example/inbox/" + itoa(id) }
	e.svc.Team = teamOf(map[int64][]*app.User{
		e.tA.ID: {{Email: "owner@alpha.test", Name: "Olga Owner"}, {Email: "sam.lee@alpha.test", Name: "Sam Lee"}, {Email: "kim@alpha.test", Name: "Kim Ray"},
			{Email: "jo1@alpha.test", Name: "Jo One"}, {Email: "jo2@alpha.test", Name: "Jo Two"}},
		e.tB.ID: {{Email: "bea@bravo.test", Name: "Bea"}}})
	ctx := e.owner(e.tA)
	e.text(e.tA.ID, alice, numberA, "My roof leaks", "SMm1")
	c := e.list(ctx, inbox.Filter{})[0]
	if _, err := e.svc.AddNote(ctx, c.ID, "@Sam can you call? @kim@alpha.test too, and @owner, @jo, @bea, @nobody. email@notamention.test"); err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range mail.sent {
		to = append(to, m.To)
		if m.TenantID != e.tA.ID || !strings.Contains(m.Text, "can you call?") || !strings.Contains(m.Text, "https://app.example/inbox/"+itoa(c.ID)) || !strings.Contains(m.Subject, alice) {
			t.Fatalf("notification %+v", m)
		}
	}
	if strings.Join(to, ",") != "sam.lee@alpha.test,kim@alpha.test" {
		t.Fatalf("notified %v", to)
	}
}
