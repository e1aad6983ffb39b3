package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"orengen/app"
	"orengen/app/agents"
)

// ConversationRelay: Twilio's (and Telnyx's) voice channel for AI
// agents. The carrier turns the caller's speech into text and the
// agent's text into speech; the appliance speaks a small JSON protocol
// over a WebSocket (https://www.twilio.com/docs/voice/conversationrelay/websocket-messages):
// the carrier sends setup, prompt, dtmf, interrupt and error; the
// appliance sends text tokens as the model produces them, and end with
// handoff data.

// Relay message types.
const (
	RelaySetup     = "setup"
	RelayPrompt    = "prompt"
	RelayDTMF      = "dtmf"
	RelayInterrupt = "interrupt"
	RelayError     = "error"
	RelayText      = "text"
	RelayEnd       = "end"
)

// RelayInbound is a message from the carrier. Fields not of its type are
// empty. Telnyx adds callControlId and friends to setup.
type RelayInbound struct {
	Type string `json:"type"`
	// setup
	SessionID        string            `json:"sessionId"`
	AccountSid       string            `json:"accountSid"`
	CallSid          string            `json:"callSid"`
	ParentCallSid    string            `json:"parentCallSid"`
	From             string            `json:"from"`
	To               string            `json:"to"`
	ForwardedFrom    string            `json:"forwardedFrom"`
	CallerName       string            `json:"callerName"`
	Direction        string            `json:"direction"`
	CallType         string            `json:"callType"`
	CallStatus       string            `json:"callStatus"`
	CallControlID    string            `json:"callControlId"`
	CustomParameters map[string]string `json:"customParameters"`
	// prompt
	VoicePrompt string `json:"voicePrompt"`
	Lang        string `json:"lang"`
	Last        *bool  `json:"last"`
	// dtmf
	Digit string `json:"digit"`
	// interrupt
	UtteranceUntilInterrupt  string `json:"utteranceUntilInterrupt"`
	DurationUntilInterruptMs int64  `json:"durationUntilInterruptMs"`
	// error
	Description string `json:"description"`
}

// ParseRelay reads one carrier message.
func ParseRelay(b []byte) (*RelayInbound, error) {
	if len(b) > 64<<10 {
		return nil, errors.New("relay message over 64 KB")
	}
	var m RelayInbound
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("relay message is not JSON: %w", err)
	}
	switch m.Type {
	case RelaySetup, RelayPrompt, RelayDTMF, RelayInterrupt, RelayError:
	default:
		return nil, fmt.Errorf("unknown relay message type %q", truncate(m.Type, 40))
	}
	return &m, nil
}

// Final reports whether a prompt is the caller's complete utterance
// (partial prompts are off unless asked for; a missing last is final).
func (m *RelayInbound) Final() bool { return m.Last == nil || *m.Last }

// RelayTextMessage is a piece of the agent's speech.
func RelayTextMessage(token string, last bool) []byte {
	b, _ := json.Marshal(struct {
		Type  string `json:"type"`
		Token string `json:"token"`
		Last  bool   `json:"last"`
	}{RelayText, token, last})
	return b
}

// RelayEndMessage ends the session; handoff is passed to the <Connect>
// action URL as HandoffData (a string holding JSON).
func RelayEndMessage(handoff map[string]string) []byte {
	hd, _ := json.Marshal(handoff)
	b, _ := json.Marshal(struct {
		Type        string `json:"type"`
		HandoffData string `json:"handoffData"`
	}{RelayEnd, string(hd)})
	return b
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// xmlAttr escapes a value for an XML attribute or text: the one XML
// escaper of every TwiML document orengen writes.
func xmlAttr(s string) string { return xmlEscaper.Replace(s) }

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// Markup writes app.VoiceScripts as TwiML (app.VoiceMarkup): the call
// step's keypad menu and the answers to the voice webhook.
type Markup struct{}

var _ app.VoiceMarkup = Markup{}

// Script writes vs: <Say>; then a <Gather> of one key or a spoken answer
// posted to the action, or a <Dial>.
func (Markup) Script(vs app.VoiceScript) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response>`)
	if vs.Say != "" {
		b.WriteString("<Say>" + xmlAttr(vs.Say) + "</Say>")
	}
	if vs.Gather {
		action := ""
		if vs.Action != "" {
			action = ` action="` + xmlAttr(vs.Action) + `" method="POST"`
		}
		b.WriteString(`<Gather input="dtmf speech" numDigits="1" timeout="8" speechTimeout="auto"` + action + `><Say>` + xmlAttr(vs.Prompt) + `</Say></Gather>`)
	} else if vs.Dial != "" {
		b.WriteString("<Dial>" + xmlAttr(vs.Dial) + "</Dial>")
	}
	b.WriteString("</Response>")
	return b.String()
}

// RelayTwiML connects a call to the agent's WebSocket: <Connect> with a
// <ConversationRelay> (TwiML for Twilio, TeXML for Telnyx: the same
// verbs). action receives HandoffData when the session ends.
func RelayTwiML(wsURL, action, greeting, language, voice string, params map[string]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response><Connect action="` + xmlAttr(action) + `" method="POST">`)
	b.WriteString(`<ConversationRelay url="` + xmlAttr(wsURL) + `" language="` + xmlAttr(language) + `" interruptible="any" dtmfDetection="true"`)
	if greeting != "" {
		b.WriteString(` welcomeGreeting="` + xmlAttr(greeting) + `" welcomeGreetingInterruptible="any"`)
	}
	if voice != "" {
		b.WriteString(` voice="` + xmlAttr(voice) + `"`)
	}
	if len(params) == 0 {
		b.WriteString(`/></Connect></Response>`)
		return b.String()
	}
	b.WriteString(`>`)
	for k, v := range params {
		b.WriteString(`<Parameter name="` + xmlAttr(k) + `" value="` + xmlAttr(v) + `"/>`)
	}
	b.WriteString(`</ConversationRelay></Connect></Response>`)
	return b.String()
}

// GatherTwiML says text and listens for the caller's answer, posted to
// action; silence falls through to a redirect to silenceURL.
func GatherTwiML(action, silenceURL, text, language, voice string) string {
	say := `<Say` + voiceAttrs(language, voice) + `>` + xmlAttr(text) + `</Say>`
	if text == "" {
		say = ""
	}
	return `<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="speech dtmf" action="` + xmlAttr(action) + `" method="POST" speechTimeout="auto" timeout="6" language="` +
		xmlAttr(language) + `">` + say + `</Gather><Redirect method="POST">` + xmlAttr(silenceURL) + `</Redirect></Response>`
}

// DialTwiML says text and transfers the call to number.
func DialTwiML(text, number, language, voice string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Response><Say` + voiceAttrs(language, voice) + `>` + xmlAttr(text) + `</Say><Dial>` + xmlAttr(number) + `</Dial></Response>`
}

// HangupTwiML says text (if any) and hangs up.
func HangupTwiML(text, language, voice string) string {
	say := ""
	if text != "" {
		say = `<Say` + voiceAttrs(language, voice) + `>` + xmlAttr(text) + `</Say>`
	}
	return `<?xml version="1.0" encoding="UTF-8"?><Response>` + say + `<Hangup/></Response>`
}

func voiceAttrs(language, voice string) string {
	s := ""
	if language != "" {
		s += ` language="` + xmlAttr(language) + `"`
	}
	if voice != "" {
		s += ` voice="` + xmlAttr(voice) + `"`
	}
	return s
}

// RelayConn is the WebSocket a relay session runs on (the host adapts its
// WebSocket library to it).
type RelayConn interface {
	ReadMessage() ([]byte, error)
	WriteMessage([]byte) error
}

// RelayAgent is what a relay session needs of Agent Studio
// (agents.Service has it).
type RelayAgent interface {
	CallerSpoke(ctx context.Context, c *agents.Conversation, in agents.Input, emit func(agents.Event)) (*agents.Reply, error)
	Interrupt(conversationID int64)
	Silence(ctx context.Context, c *agents.Conversation, n int) string
	CallEnded(ctx context.Context, c *agents.Conversation, seconds int, reason string) error
	CallEvent(ctx context.Context, c *agents.Conversation, text string)
}

// RelaySession runs one call's WebSocket: it waits for setup, answers
// each final prompt by streaming the agent's tokens back as text
// messages as they arrive, stops on interrupt, checks in after silence,
// and ends with handoff data when the agent transfers or finishes.
type RelaySession struct {
	Conn  RelayConn
	Agent RelayAgent
	Conv  *agents.Conversation
	// Silence is how long the caller may be quiet before the agent
	// checks in (twice, then hangs up). Default 15 s.
	Silence time.Duration
	// SetupTimeout bounds the wait for setup. Default 10 s.
	SetupTimeout time.Duration
	// OnSetup checks the setup message (the call SID matches); an error
	// ends the session.
	OnSetup func(m *RelayInbound) error
	// Opening makes the agent speak first (outbound calls).
	Opening bool

	wmu     sync.Mutex
	started time.Time
}

func (r *RelaySession) write(b []byte) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	return r.Conn.WriteMessage(b)
}

type relayRead struct {
	m   *RelayInbound
	err error
}

// Serve runs the session until the carrier closes the socket or the
// agent ends the call. It records the call's end (and its minutes).
func (r *RelaySession) Serve(ctx context.Context) error {
	r.started = time.Now()
	if r.Silence <= 0 {
		r.Silence = 15 * time.Second
	}
	if r.SetupTimeout <= 0 {
		r.SetupTimeout = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reads := make(chan relayRead)
	go r.read(ctx, reads)
	reason := "the carrier closed the connection"
	defer func() {
		secs := int(time.Since(r.started).Round(time.Second) / time.Second)
		if err := r.Agent.CallEnded(context.WithoutCancel(ctx), r.Conv, secs, reason); err != nil {
			slog.Default().Warn("relay: end the call", "conversation_id", r.Conv.ID, "err", err)
		}
	}()

	if why, ok, err := r.setup(reads); !ok {
		reason = why
		return err
	}

	type result struct {
		reply *agents.Reply
		err   error
	}
	var replying chan result
	speak := func(in agents.Input) {
		replying = make(chan result, 1)
		ch := replying
		go func() {
			rep, err := r.Agent.CallerSpoke(ctx, r.Conv, in, func(ev agents.Event) {
				if ev.Type == agents.EventToken && ev.Text != "" {
					r.write(RelayTextMessage(ev.Text, false))
				}
			})
			ch <- result{rep, err}
		}()
	}
	if r.Opening {
		speak(agents.Input{Opening: true})
	}
	silent := 0
	timer := time.NewTimer(r.Silence)
	defer timer.Stop()
	resetTimer := func() {
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(r.Silence)
	}
	for {
		select {
		case <-ctx.Done():
			reason = "the server is shutting down"
			return r.end(map[string]string{"reason": "shutdown"})
		case rd, ok := <-reads:
			if !ok || rd.err != nil {
				return nil
			}
			m := rd.m
			switch m.Type {
			case RelayPrompt:
				if !m.Final() || strings.TrimSpace(m.VoicePrompt) == "" {
					continue
				}
				silent = 0
				resetTimer()
				if replying != nil { // the caller spoke over the agent
					r.Agent.Interrupt(r.Conv.ID)
					<-replying
				}
				speak(agents.Input{Text: m.VoicePrompt})
			case RelayDTMF:
				silent = 0
				resetTimer()
				if replying != nil {
					r.Agent.Interrupt(r.Conv.ID)
					<-replying
				}
				speak(agents.Input{DTMF: truncate(m.Digit, 4)})
			case RelayInterrupt:
				r.Agent.Interrupt(r.Conv.ID)
			case RelayError:
				r.Agent.CallEvent(ctx, r.Conv, "Carrier error: "+truncate(m.Description, 300))
			}
		case res := <-replying:
			replying = nil
			resetTimer()
			if res.err != nil {
				reason = "the agent failed: " + app.ErrorMessage(res.err)
				return r.end(map[string]string{"reason": "error"})
			}
			rep := res.reply
			if rep.Interrupted {
				continue // the caller is talking; their prompt follows
			}
			if err := r.write(RelayTextMessage("", true)); err != nil {
				return nil
			}
			if rep.Handoff != nil && rep.Handoff.Kind == agents.HandoffPhone {
				reason = "transferred to " + rep.Handoff.Target
				return r.end(map[string]string{"reason": "transfer", "to": rep.Handoff.Target, "why": truncate(rep.Handoff.Reason, 200)})
			}
			if rep.Ended {
				reason = "the agent ended the call"
				return r.end(map[string]string{"reason": "completed"})
			}
		case <-timer.C:
			if replying != nil {
				timer.Reset(r.Silence)
				continue
			}
			silent++
			text := r.Agent.Silence(ctx, r.Conv, silent)
			r.write(RelayTextMessage(text, true))
			if silent >= 2 {
				reason = "the caller was silent"
				return r.end(map[string]string{"reason": "silence"})
			}
			timer.Reset(r.Silence)
		}
	}
}

// read sends the carrier's messages to reads until the connection
// closes (its error is the last read) or ctx ends; a message that does not
// parse is noted on the call and skipped.
func (r *RelaySession) read(ctx context.Context, reads chan<- relayRead) {
	defer close(reads)
	for {
		b, err := r.Conn.ReadMessage()
		if err != nil {
			select {
			case reads <- relayRead{err: err}:
			case <-ctx.Done():
			}
			return
		}
		m, perr := ParseRelay(b)
		if perr != nil {
			r.Agent.CallEvent(ctx, r.Conv, "The carrier sent a message the agent does not understand: "+perr.Error())
			continue
		}
		select {
		case reads <- relayRead{m: m}:
		case <-ctx.Done():
			return
		}
	}
}

// setup waits for the carrier's setup message, the first, and hands it to
// OnSetup. When the call cannot go on (ok false), why says what ended it
// and err is what ending it returned.
func (r *RelaySession) setup(reads <-chan relayRead) (why string, ok bool, err error) {
	select {
	case rd, open := <-reads:
		if !open || rd.err != nil {
			return "the carrier closed before setup", false, nil
		}
		if rd.m.Type != RelaySetup {
			return "the first message was not setup", false, r.end(map[string]string{"reason": "protocol"})
		}
		if r.OnSetup != nil {
			if err := r.OnSetup(rd.m); err != nil {
				return "setup refused: " + app.ErrorMessage(err), false, r.end(map[string]string{"reason": "refused"})
			}
		}
		return "", true, nil
	case <-time.After(r.SetupTimeout):
		return "no setup message", false, nil
	}
}

func (r *RelaySession) end(handoff map[string]string) error {
	return r.write(RelayEndMessage(handoff))
}
