package agents_test

import (
	"context"
	"testing"
	"time"

	"orengen/app/agents"
	"orengen/llm/llmtest"
)

// TestService_CallTranscript: a voice call's transcript is the greeting, the caller's
// and the agent's words in order, for the call's message in the inbox;
// a call no agent took part in is not one (ok false), nor is another
// tenant's.
func TestService_CallTranscript(t *testing.T) {
	e := newEnv(t)
	a := e.mustAgent(e.tA, baseConfig())
	ctx := context.Background()
	c, err := e.svc.StartCall(ctx, a, "CA0009", "+15125550142", "inbound", "")
	if err != nil {
		t.Fatal(err)
	}
	e.llm.Push(llmtest.Reply{Text: "Yes, inspections are free.", ChunkDelay: time.Millisecond})
	if _, err := e.svc.CallerSpoke(ctx, c, agents.Input{Text: "Are inspections free?"}, func(agents.Event) {}); err != nil {
		t.Fatal(err)
	}
	text, ok, err := e.svc.CallTranscript(ctx, e.tA.ID, "CA0009")
	if err != nil || !ok || text != "Agent: Hi! How can I help with your roof today?\nCaller: Are inspections free?\nAgent: Yes, inspections are free." {
		t.Fatalf("transcript %q %v %v", text, ok, err)
	}
	if _, ok, err := e.svc.CallTranscript(ctx, e.tA.ID, "CA0404"); ok || err != nil {
		t.Fatalf("a call without an agent: %v %v", ok, err)
	}
	if _, ok, err := e.svc.CallTranscript(ctx, e.tB.ID, "CA0009"); ok || err != nil {
		t.Fatalf("B reads A's call: %v %v", ok, err)
	}
}
