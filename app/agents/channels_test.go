package agents_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"orengen/app"
	"orengen/app/agents"
	"orengen/llm"
	"orengen/llm/llmtest"
)

const roofDoc = `# Services

We repair asphalt shingle roofs, metal roofs and flat roofs in Austin and Round Rock.

# Prices

A roof inspection is free. Shingle repairs start at $350. A full replacement of a 2,000 square foot roof costs about $9,500.

# Warranty

Every repair carries a 10-year workmanship warranty, transferable to a new owner.
`

// Answers are grounded in the tenant's documents: BM25 finds the passage,
// the model gets it, and the transcript records the source.
func TestKnowledge_BM25AndSources(t *testing.T) {
	e := newEnv(t)
	d, err := e.svc.AddDocument(e.owner(e.tA), 0, "roofing.md", []byte(roofDoc))
	if err != nil {
		t.Fatal(err)
	}
	if d.Chunks < 1 || d.Kind != agents.DocMarkdown || d.TenantID != e.tA.ID {
		t.Fatalf("document %+v", d)
	}
	// Tenant B's document about warranties must never reach A's agent.
	if _, err := e.svc.AddDocument(e.owner(e.tB), 0, "bravo.txt", []byte("Our dental warranty covers crowns for five years. Secret price list: whitening $99.")); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig()
	cfg.Knowledge = []string{"docs"}
	a := e.mustAgent(e.tA, cfg)
	c := e.mustPlayground(a)
	e.llm.Push(llmtest.Reply{Text: "Every repair has a 10-year workmanship warranty."})
	var sources []agents.Source
	_, err = e.svc.Respond(context.Background(), c, agents.Input{Text: "How long is your warranty on repairs?"}, func(ev agents.Event) {
		if ev.Type == agents.EventSources {
			sources = ev.Sources
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) == 0 || sources[0].DocumentID != d.ID || !strings.Contains(sources[0].Text, "10-year") {
		t.Fatalf("sources %+v", sources)
	}
	for _, s := range sources {
		if strings.Contains(s.Text, "dental") {
			t.Fatal("another tenant's document was retrieved")
		}
	}
	req := e.llm.Requests()[0]
	if m := req.Body.Messages[1]; m.Role != "system" || !strings.Contains(m.Content, "10-year workmanship warranty") {
		t.Fatalf("the passage did not reach the model: %+v", m)
	}
	ts := e.turns(c)
	if last := ts[len(ts)-1]; len(last.Sources) == 0 || last.Sources[0].DocumentID != d.ID {
		t.Fatalf("the transcript does not record the source: %+v", last)
	}
	// An agent without knowledge sources reads nothing.
	b := e.mustAgentNamed(e.tA, "Bare", baseConfig())
	c2 := e.mustPlayground(b)
	e.llm.Push(llmtest.Reply{Text: "I don't know."})
	e.say(c2, "How long is your warranty?")
	for _, m := range e.llm.Requests()[1].Body.Messages[1:] {
		if m.Role == "system" {
			t.Fatalf("an agent without knowledge got passages: %q", m.Content)
		}
	}
}

func (e *env) mustAgentNamed(t *app.Tenant, name string, cfg agents.Config) *agents.Agent {
	e.t.Helper()
	a := &agents.Agent{TenantID: t.ID, Name: name, Config: cfg}
	if err := e.svc.SaveAgent(e.admin(), a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// With an embedding model the knowledge gets vectors (metered), and a
// question sharing no words with the passage still finds it.
func TestKnowledge_Vectors(t *testing.T) {
	e := newEnv(t)
	d, err := e.svc.AddDocument(e.owner(e.tA), 0, "faq.txt", []byte("Parking: customers park for free in the garage behind the building.\n\nOpening: the office opens at eight in the morning."))
	if err != nil {
		t.Fatal(err)
	}
	e.svc.AddDocument(e.owner(e.tA), 0, "other.txt", []byte(strings.Repeat("Gutters are cleaned twice a year in spring and autumn. ", 3)))
	cfg := baseConfig()
	cfg.Knowledge = []string{"docs"}
	cfg.Model.EmbeddingModel = "text-embedding-3-small"
	a := e.mustAgent(e.tA, cfg)
	// (The background worker may have embedded them already.)
	if _, err := e.svc.EmbedKnowledge(context.Background(), a, 100); err != nil {
		t.Fatal(err)
	}
	docs, _ := e.svc.Documents(e.owner(e.tA), 0)
	for _, d := range docs {
		if d.Embedded != d.Chunks || d.EmbedModel != "text-embedding-3-small" {
			t.Fatalf("document %+v", d)
		}
	}
	// "garrage" (misspelt) is no FTS term of the passage (which says
	// "garage"), so BM25 alone finds nothing; the vectors find it.
	srcs, _, err := e.svc.Retrieve(context.Background(), a, "garrage?", 2, false)
	if err != nil || len(srcs) != 0 {
		t.Fatalf("BM25 alone found %+v (%v)", srcs, err)
	}
	srcs, tokens, err := e.svc.Retrieve(context.Background(), a, "garrage?", 2, true)
	if err != nil || tokens == 0 || len(srcs) == 0 || srcs[0].DocumentID != d.ID || !strings.Contains(srcs[0].Text, "garage") {
		t.Fatalf("retrieve: %v tokens %d %+v", err, tokens, srcs)
	}
	rows, _ := e.svc.Usage(e.admin(), e.now.AddDate(0, -1, 0))
	var embed *agents.UsageRow
	for _, r := range rows {
		if r.Kind == agents.UsageEmbed {
			embed = r
		}
	}
	if embed == nil || embed.TokensIn == 0 {
		t.Fatalf("embedding tokens not metered: %+v", rows)
	}
	// A provider without /embeddings: BM25 still answers.
	e.llm.NoEmbeddings = true
	srcs, _, err = e.svc.Retrieve(context.Background(), a, "when does the office open", 2, true)
	if err != nil || len(srcs) == 0 || !strings.Contains(srcs[0].Text, "eight in the morning") {
		t.Fatalf("without embeddings: %v %+v", err, srcs)
	}
	// Deleting the document removes it from retrieval.
	if err := e.svc.DeleteDocument(e.owner(e.tA), d.ID); err != nil {
		t.Fatal(err)
	}
	srcs, _, _ = e.svc.Retrieve(context.Background(), a, "when does the office open", 2, false)
	for _, s := range srcs {
		if s.DocumentID == d.ID {
			t.Fatal("a deleted document was retrieved")
		}
	}
}

func TestKnowledge_BadUploads(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		data []byte
		code string
	}{
		{"a.exe", []byte("MZ"), app.EINVALID},
		{"a.md", nil, app.EINVALID},
		{"a.txt", []byte{0xff, 0xfe, 0x00}, app.EINVALID},
		{"a.pdf", []byte("not a pdf"), app.EINVALID},
		{"a.pdf", []byte("%PDF-1.4\n%garbage that is no PDF"), app.EINVALID},
		{"big.txt", make([]byte, agents.MaxDocumentBytes+1), app.ETOOLARGE},
	} {
		if _, err := e.svc.AddDocument(e.owner(e.tA), 0, tc.name, tc.data); app.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	docs, _ := e.svc.Documents(e.owner(e.tA), 0)
	if len(docs) != 0 {
		t.Fatal("a refused upload was stored")
	}
	// A real PDF's text is indexed.
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 12)
	pdf.MultiCell(0, 6, "Gutter cleaning costs 120 dollars for a single storey house.", "", "", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.AddDocument(e.owner(e.tA), 0, "prices.pdf", buf.Bytes())
	if err != nil || d.Kind != agents.DocPDF {
		t.Fatalf("pdf: %v %+v", err, d)
	}
	cfg := baseConfig()
	cfg.Knowledge = []string{"doc:" + fmt.Sprint(d.ID)}
	a := e.mustAgent(e.tA, cfg)
	srcs, _, err := e.svc.Retrieve(context.Background(), a, "how much is gutter cleaning", 2, false)
	if err != nil || len(srcs) != 1 || !strings.Contains(srcs[0].Text, "120 dollars") {
		t.Fatalf("pdf retrieval: %v %+v", err, srcs)
	}
}

// A text to the tenant's number is answered by the agent assigned to it;
// STOP and START are recorded as consent, HELP gets the help text.
func TestInboundSMS(t *testing.T) {
	e := newEnv(t)
	a := e.mustAgent(e.tA, baseConfig())
	from := "+15125550142"
	ctx := context.Background()
	e.llm.Push(llmtest.Reply{Text: "Hi! Yes, inspections are free. When would suit you?"})
	handled, err := e.svc.InboundSMS(ctx, e.tA.ID, from, numberA, "Do you do free roof inspections?")
	if err != nil || !handled {
		t.Fatalf("handled %v err %v", handled, err)
	}
	msgs := e.tw.WaitMessages(1, 5*time.Second)
	if len(msgs) != 1 || msgs[0].Get("To") != from || msgs[0].Get("From") != numberA || !strings.Contains(msgs[0].Get("Body"), "inspections are free") {
		t.Fatalf("reply texts %+v", msgs)
	}
	c, err := e.st.FindActiveConversation(ctx, e.tA.ID, a.ID, agents.ChannelSMS, from)
	if err != nil {
		t.Fatal(err)
	}
	ps := e.people(e.tA)
	if len(ps) != 1 || !slices.Contains(ps[0].Phones, from) || c.PersonID != ps[0].ID {
		t.Fatalf("the texter is not a contact: %+v / %+v", ps, c)
	}
	// A number nobody's agent answers is not handled (workflows run).
	if h, _ := e.svc.InboundSMS(ctx, e.tA.ID, from, "+15125550777", "hello"); h {
		t.Fatal("a text to an unassigned number was handled")
	}
	// Tenant B has no agent on A's number.
	if h, _ := e.svc.InboundSMS(ctx, e.tB.ID, from, numberA, "hello"); h {
		t.Fatal("tenant B answered tenant A's number")
	}

	if _, err := e.svc.InboundSMS(ctx, e.tA.ID, from, numberA, "HELP"); err != nil {
		t.Fatal(err)
	}
	msgs = e.tw.WaitMessages(2, 5*time.Second)
	if len(msgs) != 2 || !strings.Contains(msgs[1].Get("Body"), "Reply STOP to opt out") {
		t.Fatalf("help reply %+v", msgs)
	}

	if _, err := e.svc.InboundSMS(ctx, e.tA.ID, from, numberA, "Stop"); err != nil {
		t.Fatal(err)
	}
	p, _ := e.crm.People.FindPerson(e.tenantCtx(e.tA), ps[0].ID)
	if p.Consent.SMS || !slices.Contains(p.Tags, agents.OptOutTag) {
		t.Fatalf("STOP not recorded: %+v", p)
	}
	tl, _ := e.crm.Timeline.FindTimeline(e.tenantCtx(e.tA), app.RecordPerson, p.ID)
	if !slices.ContainsFunc(tl, func(x *app.TimelineEntry) bool {
		return strings.Contains(x.Body, `"STOP"`) && strings.Contains(x.Body, "opted out")
	}) {
		t.Fatal("no timeline entry for STOP")
	}
	waitFor(t, "the thread to end", func() bool { return e.conv(c).Status == agents.StatusEnded })
	// An opted-out texter gets no answer.
	n := len(e.llm.Requests())
	if _, err := e.svc.InboundSMS(ctx, e.tA.ID, from, numberA, "are you there?"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if len(e.llm.Requests()) != n || len(e.tw.Messages()) != 2 {
		t.Fatal("an opted-out number was answered")
	}
	if _, err := e.svc.InboundSMS(ctx, e.tA.ID, from, numberA, "START"); err != nil {
		t.Fatal(err)
	}
	p, _ = e.crm.People.FindPerson(e.tenantCtx(e.tA), p.ID)
	if !p.Consent.SMS || slices.Contains(p.Tags, agents.OptOutTag) {
		t.Fatalf("START not recorded: %+v", p)
	}
	rows, _ := e.svc.Usage(e.admin(), e.now.AddDate(0, -1, 0))
	var sms int64
	for _, r := range rows {
		if r.Kind == agents.UsageSMS {
			sms = r.Quantity
		}
	}
	if sms < 6 { // 5 texts in, 2 out
		t.Fatalf("SMS segments metered: %d", sms)
	}
}

// TestInboundSMS_PersonTakesOver: a tenant's person takes over an SMS
// thread and writes; the text goes out through the tenant's Twilio
// account even when that is the agency's global one, which the vault
// does not show to the person (the appliance reads it in its own name).
func TestInboundSMS_PersonTakesOver(t *testing.T) {
	e := newEnv(t)
	a := e.mustAgent(e.tA, baseConfig())
	from := "+15125550143"
	e.llm.Push(llmtest.Reply{Text: "Hello! How can I help?"})
	if handled, err := e.svc.InboundSMS(context.Background(), e.tA.ID, from, numberA, "Hi there"); err != nil || !handled {
		t.Fatalf("handled %v err %v", handled, err)
	}
	e.tw.WaitMessages(1, 5*time.Second)
	c, err := e.st.FindActiveConversation(context.Background(), e.tA.ID, a.ID, agents.ChannelSMS, from)
	if err != nil {
		t.Fatal(err)
	}
	person := app.NewContextWithUser(e.tenantCtx(e.tA), &app.User{ID: 7, TenantID: e.tA.ID, Email: "dana@a.test", Role: app.UserRoleOwner})
	if err := e.svc.TakeOver(person, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.HumanMessage(person, c.ID, "This is Dana: I can come Tuesday."); err != nil {
		t.Fatalf("the person's text: %v", err)
	}
	msgs := e.tw.WaitMessages(2, 5*time.Second)
	if len(msgs) != 2 || msgs[1].Get("To") != from || msgs[1].Get("Body") != "This is Dana: I can come Tuesday." {
		t.Fatalf("texts sent: %+v", msgs)
	}
}

func TestSMSSegments(t *testing.T) {
	for _, tc := range []struct {
		body string
		want int
	}{
		{"", 0}, {"hello", 1}, {strings.Repeat("a", 160), 1}, {strings.Repeat("a", 161), 2}, {strings.Repeat("a", 306), 2}, {strings.Repeat("a", 307), 3},
		{strings.Repeat("€", 80), 1}, {strings.Repeat("€", 81), 2}, // extension characters count twice
		{"héllo 😀", 1}, {strings.Repeat("é", 70) + "😀", 2}, {strings.Repeat("ü", 161), 2}, // ü is GSM-7
	} {
		if got := agents.SMSSegments(tc.body); got != tc.want {
			t.Errorf("%q (%d chars): %d segments, want %d", tc.body[:min(len(tc.body), 12)], len([]rune(tc.body)), got, tc.want)
		}
	}
}

// A call: the caller's words stream back as they arrive, an interrupt
// stops the reply, silence is recorded, and hanging up meters the minutes
// and ends the conversation.
func TestVoice_Call(t *testing.T) {
	e := newEnv(t)
	a := e.mustAgent(e.tA, baseConfig())
	ctx := context.Background()
	got, err := e.svc.AgentForCall(ctx, e.tA.ID, numberA)
	if err != nil || got.ID != a.ID {
		t.Fatalf("agent for call: %v", err)
	}
	c, err := e.svc.StartCall(ctx, a, "CA0001", "+15125550142", "inbound", "")
	if err != nil {
		t.Fatal(err)
	}
	e.llm.Push(llmtest.Reply{Text: "Sure, inspections are free and take about an hour.", ChunkDelay: time.Millisecond})
	var mu sync.Mutex
	var toks []string
	r, err := e.svc.CallerSpoke(ctx, c, agents.Input{Text: "Are inspections free?"}, func(ev agents.Event) {
		if ev.Type == agents.EventToken {
			mu.Lock()
			toks = append(toks, ev.Text)
			mu.Unlock()
		}
	})
	if err != nil || r.Fallback {
		t.Fatalf("%v %+v", err, r)
	}
	if strings.Join(toks, "") != r.Text || len(toks) < 5 {
		t.Fatalf("streamed %q in %d pieces", strings.Join(toks, ""), len(toks))
	}
	if !strings.Contains(e.llm.Requests()[0].Body.Messages[0].Content, "phone call") {
		t.Fatal("the model was not told it is on a call")
	}
	if ps := e.people(e.tA); len(ps) != 1 || ps[0].Phones[0] != "+15125550142" {
		t.Fatalf("the caller is not a contact: %+v", ps)
	}

	// Interrupt: the caller speaks over a long answer.
	e.llm.Push(llmtest.Reply{Text: strings.Repeat("Let me tell you all about our roofs. ", 50), ChunkDelay: 5 * time.Millisecond})
	done := make(chan *agents.Reply, 1)
	first := make(chan struct{})
	var once sync.Once
	go func() {
		r, err := e.svc.CallerSpoke(ctx, c, agents.Input{Text: "Tell me everything"}, func(ev agents.Event) {
			if ev.Type == agents.EventToken {
				once.Do(func() { close(first) })
			}
		})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	<-first
	e.svc.Interrupt(c.ID)
	select {
	case r := <-done:
		if !r.Interrupted || len(r.Text) >= len(strings.Repeat("Let me tell you all about our roofs. ", 50)) {
			t.Fatalf("interrupted reply %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the interrupt did not stop the reply")
	}
	if ev := lastEvent(e.turns(c)); !strings.Contains(ev, "interrupted") {
		t.Fatalf("event %q", ev)
	}
	if s := e.svc.Silence(ctx, c, 1); s != "Are you still there?" {
		t.Fatal(s)
	}
	if err := e.svc.CallEnded(ctx, c, 95, "caller hung up"); err != nil {
		t.Fatal(err)
	}
	cc := e.conv(c)
	if cc.Status != agents.StatusEnded || cc.Outcome != agents.OutcomeCompleted {
		t.Fatalf("call %+v", cc)
	}
	rows, _ := e.svc.Usage(e.admin(), e.now.AddDate(0, -1, 0))
	var voice *agents.UsageRow
	for _, r := range rows {
		if r.Kind == agents.UsageVoice {
			voice = r
		}
	}
	// 95 s at $0.085 a minute, by the started second: 0.134583 → 134584 µ$.
	if voice == nil || voice.Quantity != 95 || voice.CostMicros != (95*85000+59)/60 {
		t.Fatalf("voice usage %+v", voice)
	}
}

// A silent caller ends as no answer; a provider failure on a call with a
// handoff number transfers the caller.
func TestVoice_SilentAndFailing(t *testing.T) {
	e := newEnv(t)
	cfg := baseConfig()
	cfg.Handoff = agents.Handoff{Kind: agents.HandoffPhone, Target: "+15125550111"}
	cfg.Limits.ReplyTimeout = 1
	a := e.mustAgent(e.tA, cfg)
	ctx := context.Background()
	c, _ := e.svc.StartCall(ctx, a, "CA0002", "+15125550143", "inbound", "")
	e.svc.Silence(ctx, c, 1)
	e.svc.Silence(ctx, c, 2)
	if err := e.svc.CallEnded(ctx, c, 20, "silence"); err != nil {
		t.Fatal(err)
	}
	if got := e.conv(c); got.Outcome != agents.OutcomeNoAnswer {
		t.Fatalf("outcome %q", got.Outcome)
	}
	c2, _ := e.svc.StartCall(ctx, a, "CA0003", "+15125550144", "inbound", "")
	e.llm.Push(llmtest.Reply{Hang: true})
	r, err := e.svc.CallerSpoke(ctx, c2, agents.Input{Text: "hello?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Fallback || r.Handoff == nil || r.Handoff.Target != "+15125550111" || r.Text != "Sorry, I'm having trouble right now." {
		t.Fatalf("reply %+v", r)
	}
}

// An AI text started by a workflow: the agent writes the first message.
func TestAISMS(t *testing.T) {
	e := newEnv(t)
	a := e.mustAgent(e.tA, baseConfig())
	ctx := context.Background()
	id, ok, err := e.svc.AgentFor(ctx, e.tA.ID, "", agents.ChannelSMS)
	if err != nil || !ok || id != a.ID {
		t.Fatalf("agent for: %d %v %v", id, ok, err)
	}
	if _, ok, _ := e.svc.AgentFor(ctx, e.tB.ID, "", agents.ChannelSMS); ok {
		t.Fatal("tenant B has no agent")
	}
	if _, ok, _ := e.svc.AgentFor(ctx, e.tB.ID, fmt.Sprint(a.ID), agents.ChannelSMS); ok {
		t.Fatal("tenant B used tenant A's agent")
	}
	e.llm.Push(llmtest.Reply{Text: "Hi Sam, thanks for your request! When could we inspect your roof?"})
	if _, err := e.svc.AISMS(ctx, e.tA.ID, a.ID, 0, "+15125550150", "the lead filled the website form asking for a quote", "r1-s2"); err != nil {
		t.Fatal(err)
	}
	msgs := e.tw.WaitMessages(1, 5*time.Second)
	if len(msgs) != 1 || msgs[0].Get("To") != "+15125550150" || !strings.Contains(msgs[0].Get("Body"), "Hi Sam") {
		t.Fatalf("texts %+v", msgs)
	}
	if sys := e.llm.Requests()[0].Body.Messages[0].Content; !strings.Contains(sys, "reaching out first") || !strings.Contains(sys, "asking for a quote") {
		t.Fatalf("system prompt %q", sys)
	}
	e.llm.Push(llmtest.Reply{Text: "Great, Tuesday works."})
	e.svc.InboundSMS(ctx, e.tA.ID, "+15125550150", numberA, "Tuesday?")
	msgs = e.tw.WaitMessages(2, 5*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("the reply did not continue the thread: %+v", msgs)
	}
	if h := e.llm.Requests()[1].Body.Messages; !slices.ContainsFunc(h, func(m llm.Message) bool { return strings.Contains(m.Content, "Hi Sam") }) {
		t.Fatal("the reply's history lacks the opening text")
	}
}

func TestRelayToken(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	tok := agents.RelayToken(key, 42, now.Add(time.Hour))
	if id, err := agents.CheckRelayToken(key, tok, now); err != nil || id != 42 {
		t.Fatalf("%d %v", id, err)
	}
	for _, bad := range []string{tok + "0", strings.Replace(tok, "42.", "43.", 1), "", "1.2", "x.y.z"} {
		if _, err := agents.CheckRelayToken(key, bad, now); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := agents.CheckRelayToken(key, tok, now.Add(2*time.Hour)); err == nil {
		t.Error("an expired token was accepted")
	}
	if _, err := agents.CheckRelayToken([]byte("another key, 32 bytes long......"), tok, now); err == nil {
		t.Error("a token of another key was accepted")
	}
	_ = errors.New
}
