package inbox_test

import (
	"context"
	"strings"
	"testing"

	"orengen/app/inbox"
)

// agentCalls is Agent Studio as the inbox sees it, with one AI call.
type agentCalls struct{ sid, text string }

func (agentCalls) TakeOver(context.Context, int64) error             { return nil }
func (agentCalls) HandBack(context.Context, int64) error             { return nil }
func (agentCalls) HumanMessage(context.Context, int64, string) error { return nil }
func (a agentCalls) CallTranscript(_ context.Context, _ int64, sid string) (string, bool, error) {
	return a.text, sid == a.sid, nil
}

// TestService_AICall: an AI agent's call shows ringing without a
// transcript, and its end brings Agent Studio's transcript into the call
// message (searchable in the inbox); a callback without a valid CallSid
// records nothing.
func TestService_AICall(t *testing.T) {
	e := newEnv(t)
	const sid = "CA00000000000000000000000000000a11"
	e.svc.Chat = agentCalls{sid: sid, text: "Caller: Is the roof inspection free?\nAgent: Yes, and it takes an hour."}
	p := map[string]string{"CallSid": sid, "From": alice, "To": numberA, "Direction": "inbound", "CallStatus": "ringing"}
	if err := e.svc.CallEvent(context.Background(), e.tA.ID, p, true); err != nil {
		t.Fatal(err)
	}
	ctx := e.owner(e.tA)
	cs := e.list(ctx, inbox.Filter{Channel: inbox.ChannelCall})
	if len(cs) != 1 {
		t.Fatalf("%d call threads", len(cs))
	}
	ms, _ := e.svc.Messages(ctx, cs[0].ID)
	if len(ms) != 1 || ms[0].Call == nil || ms[0].Call.AI || ms[0].Call.Transcript != "" {
		t.Fatalf("ringing: %+v", ms)
	}
	p["CallStatus"], p["CallDuration"] = "completed", "94"
	if err := e.svc.CallEvent(context.Background(), e.tA.ID, p, true); err != nil {
		t.Fatal(err)
	}
	ms, _ = e.svc.Messages(ctx, cs[0].ID)
	if len(ms) != 1 || !ms[0].Call.AI || ms[0].Call.Duration != 94 || !strings.Contains(ms[0].Call.Transcript, "Agent: Yes, and it takes an hour.") ||
		!strings.HasPrefix(ms[0].Body, "Inbound call (AI agent), completed, 1 min 34 s\n\nCaller: Is the roof") {
		t.Fatalf("ended: %+v %+v", ms[0], ms[0].Call)
	}
	if got := e.list(ctx, inbox.Filter{Query: "inspection"}); len(got) != 1 || got[0].ID != cs[0].ID {
		t.Fatalf("search for the transcript's words: %d threads", len(got))
	}
	// B's inbox has nothing of it.
	if got := e.list(e.owner(e.tB), inbox.Filter{Status: "all"}); len(got) != 0 {
		t.Fatalf("B sees %d threads", len(got))
	}
	for _, bad := range []string{"", "CA123", "SM00000000000000000000000000000a11"} {
		if err := e.svc.CallEvent(context.Background(), e.tA.ID, map[string]string{"CallSid": bad, "From": "+15125550149", "Direction": "inbound", "CallStatus": "ringing"}, true); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.list(ctx, inbox.Filter{Channel: inbox.ChannelCall, Status: "all"}); len(got) != 1 {
		t.Fatalf("%d call threads after bad CallSids", len(got))
	}
}
