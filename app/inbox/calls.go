package inbox

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// Calls in threads (issue #18): every call, inbound, outbound from a
// workflow step or an AI agent's, is a message of the contact's call
// thread, driven by Twilio's signed webhooks (the voice webhook when a
// call rings, the status callback when it ends, the recording callback):
// its provider ID is the CallSid, so a retried callback updates the one
// message and never adds another. A recording is fetched through the
// account's Twilio API by its RecordingSid; an AI call carries the
// transcript Agent Studio kept.

// Call is a call message's call.
type Call struct {
	SID       string `json:"sid"`
	Direction string `json:"direction"` // in or out (DirIn, DirOut)
	// Status is Twilio's: ringing, in-progress, completed, busy,
	// no-answer, failed, canceled.
	Status   string `json:"status"`
	Duration int    `json:"duration_seconds"`
	// RecordingSID names the call's recording at Twilio ("": none).
	RecordingSID      string `json:"recording_sid,omitempty"`
	RecordingDuration int    `json:"recording_duration_seconds,omitempty"`
	// Transcript is an AI call's, as Agent Studio kept it.
	Transcript string `json:"transcript,omitempty"`
	AI         bool   `json:"ai"`
}

// CallStore keeps the details of call messages (the production store).
type CallStore interface {
	// UpdateCall merges k into the tenant's call k.SID, if stored: a
	// status never goes back (completed stays completed when a late
	// ringing arrives), the duration and recording only grow, a
	// transcript is set once given; the message's text follows. found is
	// false when the call is not stored yet.
	UpdateCall(ctx context.Context, tenantID int64, k *Call) (convID, msgID int64, found bool, err error)
	// FindCall returns the call of message msgID of the tenant's
	// conversation convID. Returns ENOTFOUND.
	FindCall(ctx context.Context, tenantID, convID, msgID int64) (*Call, error)
}

// CallTranscripts is Agent Studio's record of its voice calls
// (agents.Service; part of the inbox's ChatBridge).
type CallTranscripts interface {
	// CallTranscript returns the transcript of the call callSID answered
	// or placed by an agent; ok false when no agent took part.
	CallTranscript(ctx context.Context, tenantID int64, callSID string) (text string, ok bool, err error)
}

// RecordingFetcher downloads a call's recording from the provider
// (twilio.Client implements it).
type RecordingFetcher interface {
	FetchRecording(ctx context.Context, recordingSID string, limit int64) (data []byte, ctype string, err error)
}

// MaxRecording is the most of a recording served (an hour of MP3 is
// about 15 MB).
const MaxRecording = 64 << 20

var (
	callSIDRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CA[0-9a-fA-F]{32}$`) })
	recordingSIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^RE[0-9a-fA-F]{32}$`) })
)

// callRank orders Twilio's call statuses so a late callback never moves
// a call back.
var callRank = map[string]int{"queued": 1, "initiated": 1, "ringing": 2, "in-progress": 3, "answered": 3,
	"completed": 4, "busy": 4, "no-answer": 4, "failed": 4, "canceled": 4}

// CallRank is a status's rank (0 unknown).
func CallRank(status string) int { return callRank[status] }

// CallText is a call message's text: the list's preview, the timeline's
// and the search's words.
func CallText(k *Call) string {
	dir := "Inbound call"
	if k.Direction == DirOut {
		dir = "Outbound call"
	}
	if k.AI {
		dir += " (AI agent)"
	}
	s := dir + ", " + strings.ReplaceAll(k.Status, "-", " ")
	if k.Duration > 0 {
		s += ", " + CallDuration(k.Duration)
	}
	if k.Transcript != "" {
		s += "\n\n" + k.Transcript
	}
	return s
}

// CallDuration writes seconds as "2 min 5 s" (or "45 s").
func CallDuration(secs int) string {
	if secs < 60 {
		return fmt.Sprintf("%d s", secs)
	}
	if secs%60 == 0 {
		return fmt.Sprintf("%d min", secs/60)
	}
	return fmt.Sprintf("%d min %d s", secs/60, secs%60)
}

// DurationText is the call's duration for people.
func (k *Call) DurationText() string { return CallDuration(k.Duration) }

// RecordingText is the recording's duration for people ("" unknown).
func (k *Call) RecordingText() string {
	if k.RecordingDuration <= 0 {
		return ""
	}
	return CallDuration(k.RecordingDuration)
}

func (s *Service) callStore() (CallStore, error) {
	if s.calls == nil {
		return nil, app.Errorf(app.EINTERNAL, "inbox calls: the store keeps no calls")
	}
	return s.calls, nil
}

// CallEvent records a verified Twilio call webhook (p: its parameters)
// in the tenant's inbox: a new call's voice webhook (ringing), its status
// callback (the end: status, duration, recording) or its recording
// callback. routed is false when no tenant owns the number (the call is
// kept in the house inbox, marked). Idempotent by CallSid. A webhook
// without a CallSid, or with one that is not Twilio's, records nothing.
func (s *Service) CallEvent(ctx context.Context, tenantID int64, p map[string]string, routed bool) error {
	sid := strings.TrimSpace(p["CallSid"])
	if !callSIDRE().MatchString(sid) {
		return nil
	}
	cs, err := s.callStore()
	if err != nil {
		return err
	}
	k := &Call{SID: sid, Direction: DirIn, Status: strings.ToLower(strings.TrimSpace(p["CallStatus"]))}
	if strings.HasPrefix(p["Direction"], "outbound") {
		k.Direction = DirOut
	}
	if CallRank(k.Status) == 0 {
		k.Status = ""
	}
	if d, err := strconv.Atoi(p["CallDuration"]); err == nil && d > 0 && d < 7*86400 {
		k.Duration = d
	}
	if r := strings.TrimSpace(p["RecordingSid"]); recordingSIDRE().MatchString(r) && (p["RecordingStatus"] == "" || p["RecordingStatus"] == "completed") {
		k.RecordingSID = r
		if d, err := strconv.Atoi(p["RecordingDuration"]); err == nil && d > 0 && d < 7*86400 {
			k.RecordingDuration = d
		}
	}
	// An AI call: Agent Studio's transcript once the call has ended.
	if s.Chat != nil && CallRank(k.Status) == 4 {
		text, ai, err := s.Chat.CallTranscript(appliance(ctx), tenantID, sid)
		if err != nil {
			return err
		}
		k.AI, k.Transcript = ai, truncate(text, MaxBody-200)
	}
	convID, _, found, err := cs.UpdateCall(ctx, tenantID, k)
	if err != nil {
		return err
	}
	if !found {
		// A callback that names no direction (a recording's) on a call
		// not stored yet: the direction is unknown, so wait for the
		// status callback rather than guess.
		if p["Direction"] == "" && p["CallStatus"] == "" {
			return nil
		}
		if convID, err = s.newCall(ctx, tenantID, p, k, routed); err != nil {
			return err
		}
	}
	if convID != 0 {
		s.Hub().Publish(Event{Type: EventMessage, TenantID: tenantID, ConversationID: convID, Direction: k.Direction})
	}
	return nil
}

// newCall stores a call not seen before in the contact's call thread (a
// CallSid stored meanwhile by a concurrent callback is merged instead).
func (s *Service) newCall(ctx context.Context, tenantID int64, p map[string]string, k *Call, routed bool) (int64, error) {
	contact, ours := strings.TrimSpace(p["From"]), strings.TrimSpace(p["To"])
	if k.Direction == DirOut {
		contact, ours = ours, contact
	}
	if contact == "" {
		return 0, app.FieldErrorf("From", "From required.")
	}
	phone, err := app.NormalizePhone("From", contact)
	if err != nil {
		phone = "" // a withheld or alphanumeric caller: no CRM match
	}
	addr := phone
	if addr == "" {
		addr = contact
	}
	if k.Status == "" {
		k.Status = "ringing"
	}
	author := ""
	if k.Direction == DirOut {
		author = "call"
	}
	in := &Inbound{TenantID: tenantID, Channel: ChannelCall, ThreadKey: addr + "|" + app.PhoneDigits(ours), Address: addr, LocalAddress: ours,
		Phone: phone, Source: "Call", Unrouted: !routed && tenantID == app.HouseTenantID, Call: k,
		Message: Message{Direction: k.Direction, Author: author, Body: CallText(k), ProviderID: k.SID, Status: k.Status}}
	if in.Unrouted {
		s.logger().Warn("inbox: call to a number no tenant owns, kept in the house inbox", "to", ours, "sid", k.SID)
	}
	c, _, dup, err := s.store.Receive(ctx, in)
	if err != nil {
		return 0, err
	}
	if dup {
		cs, err := s.callStore()
		if err != nil {
			return 0, err
		}
		convID, _, _, err := cs.UpdateCall(ctx, tenantID, k)
		return convID, err
	}
	return c.ID, nil
}

// Recording returns the recording of call message msgID of conversation
// convID (the caller's tenant's), fetched through the tenant's Twilio
// account. Returns ENOTFOUND for a message without one, or another
// tenant's; EINVALID when the account cannot fetch it.
func (s *Service) Recording(ctx context.Context, convID, msgID int64) ([]byte, string, error) {
	c, err := s.conversation(ctx, convID)
	if err != nil {
		return nil, "", err
	}
	cs, err := s.callStore()
	if err != nil {
		return nil, "", err
	}
	k, err := cs.FindCall(ctx, c.TenantID, c.ID, msgID)
	if err != nil {
		return nil, "", err
	}
	if k.RecordingSID == "" {
		return nil, "", app.Errorf(app.ENOTFOUND, "This call has no recording.")
	}
	rf, ok := s.twilioFiles(ctx, c.TenantID)
	if !ok {
		return nil, "", app.Errorf(app.EINVALID, "Twilio is not configured for this account: the recording cannot be fetched.")
	}
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	data, ctype, err := rf.FetchRecording(fctx, k.RecordingSID, MaxRecording)
	if err != nil {
		s.logger().Warn("inbox: fetch a call recording", "tenant_id", c.TenantID, "err", err)
		return nil, "", app.Errorf(app.ECONFLICT, "Twilio did not give the recording; try again later.")
	}
	return data, ctype, nil
}

// TwilioFiles downloads what a tenant's Twilio account keeps: inbound MMS
// media and call recordings (twilio.Client implements it).
type TwilioFiles interface {
	MediaFetcher
	RecordingFetcher
}

// twilioFiles is the tenant's TwilioFiles; false when there is none.
func (s *Service) twilioFiles(ctx context.Context, tenantID int64) (TwilioFiles, bool) {
	if s.TwilioFiles == nil {
		return nil, false
	}
	f, err := s.TwilioFiles(appliance(ctx), tenantID)
	return f, err == nil && f != nil
}
