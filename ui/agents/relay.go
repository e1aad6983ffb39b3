package agents

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/agents"
	"orengen/ui/web"
)

// MountCalls adds an agent call's carrier endpoints (portal host). Each
// carries the relay token the call's TwiML was given; a Twilio call's
// requests must also be signed by the tenant's Twilio auth token (the
// WebSocket's handshake included); Telnyx signs nothing, so for it the
// token alone is the credential.
func (s *Handler) MountCalls(r fiber.Router) {
	if !s.On() {
		return
	}
	r.Get(RelayPath, s.handleRelay)
	r.Post(ActionPath, s.handleAction)
	r.Post(GatherPath, s.handleGather)
}

// publicBase is the scheme and host the carrier used to reach us.
func (s *Handler) publicBase(c *fiber.Ctx) string {
	if web.DomainTenant(c) != nil {
		return s.TenantURL(web.BareHost(c.Hostname()))
	}
	return s.URL(web.HostPortal)
}

// call resolves the request's relay token to its call and checks the
// carrier's signature over the URL it requested (and the posted fields).
func (s *Handler) call(c *fiber.Ctx, base string, params map[string]string) (*agents.Conversation, *agents.Agent, error) {
	if s.Agents == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Not found.")
	}
	ctx := c.UserContext()
	conv, ag, err := s.Agents.CallForToken(ctx, s.relayKey(), c.Query("t"))
	if err != nil {
		return nil, nil, app.Errorf(app.EFORBIDDEN, "Invalid call token.")
	}
	if id, _ := strconv.ParseInt(c.Query("c"), 10, 64); id != conv.ID {
		return nil, nil, app.Errorf(app.EFORBIDDEN, "Invalid call token.")
	}
	if ag.Config.Voice.Carrier != agents.CarrierTelnyx {
		if s.Automations == nil {
			return nil, nil, app.Errorf(app.EFORBIDDEN, "Twilio is not configured.")
		}
		if err := s.Automations.CheckTwilioSignature(ctx, conv.TenantID, base+utils.CopyString(c.OriginalURL()), params, utils.CopyString(c.Get("X-Twilio-Signature"))); err != nil {
			return nil, nil, err
		}
	}
	return conv, ag, nil
}

// handleRelay is the ConversationRelay WebSocket of a call.
func (s *Handler) handleRelay(c *fiber.Ctx) error {
	base := s.publicBase(c)
	ws := "wss" + strings.TrimPrefix(base, "https")
	if strings.HasPrefix(base, "http:") {
		ws = "ws" + strings.TrimPrefix(base, "http")
	}
	conv, ag, err := s.call(c, ws, nil)
	if err != nil {
		return err
	}
	if !conv.Active() {
		return app.Errorf(app.ECONFLICT, "This call has ended.")
	}
	if s.Voice.Relay == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	s.init()
	if !s.live.Begin() {
		return fiber.NewError(fiber.StatusServiceUnavailable, "The server is shutting down: call again in a moment.")
	}
	err = upgrade(c, func(conn *wsConn) {
		defer s.live.End()
		if err := s.Voice.Relay(s.ctx, conn, conv, ag); err != nil {
			s.Logger.Warn("agent relay", "conversation_id", conv.ID, "err", err)
		}
	})
	if err != nil {
		s.live.End()
	}
	return err
}

func postParams(c *fiber.Ctx) map[string]string {
	params := map[string]string{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) { params[string(k)] = string(v) })
	return params
}

func (s *Handler) twiml(c *fiber.Ctx, body string) error {
	c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
	return c.SendString(body)
}

// handleAction is the <Connect> action: the relay session ended. A
// transfer dials the agent's handoff number (never a number from the
// request); anything else hangs up.
func (s *Handler) handleAction(c *fiber.Ctx) error {
	params := postParams(c)
	conv, ag, err := s.call(c, s.publicBase(c), params)
	if err != nil {
		return err
	}
	v := ag.Config.Voice
	var hd map[string]string
	_ = json.Unmarshal([]byte(params["HandoffData"]), &hd)
	if h := ag.Config.Handoff; hd["reason"] == "transfer" && h.Kind == agents.HandoffPhone && h.Target != "" {
		s.Agents.CallEvent(c.UserContext(), conv, "The call was transferred to "+h.Target+".")
		return s.twiml(c, s.Voice.Dial("Connecting you now.", h.Target, v.Language, v.Voice))
	}
	return s.twiml(c, s.Voice.Hangup("", v.Language, v.Voice))
}

// handleGather is the <Gather> loop where ConversationRelay is not on:
// the carrier posts what the caller said (SpeechResult) or pressed
// (Digits); the agent's reply is said and the next <Gather> listens. A
// silent caller is asked once and then the call ends.
func (s *Handler) handleGather(c *fiber.Ctx) error {
	params := postParams(c)
	conv, ag, err := s.call(c, s.publicBase(c), params)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	v := ag.Config.Voice
	if !conv.Active() {
		return s.twiml(c, s.Voice.Hangup("", v.Language, v.Voice))
	}
	q := url.Values{"c": {strconv.FormatInt(conv.ID, 10)}, "t": {c.Query("t")}}.Encode()
	action := s.URL(web.HostPortal) + GatherPath + "?" + q
	silenceURL := func(n int) string { return action + "&silence=" + strconv.Itoa(n) }
	secs := func() int { return int(time.Since(conv.StartedAt) / time.Second) }
	speech, digits := strings.TrimSpace(params["SpeechResult"]), strings.TrimSpace(params["Digits"])
	if speech == "" && digits == "" {
		n, _ := strconv.Atoi(c.Query("silence"))
		n = max(n, 1)
		text := s.Agents.Silence(ctx, conv, n)
		if n >= 2 {
			_ = s.Agents.CallEnded(ctx, conv, secs(), "the caller was silent")
			return s.twiml(c, s.Voice.Hangup(text, v.Language, v.Voice))
		}
		return s.twiml(c, s.Voice.Gather(action, silenceURL(n+1), text, v.Language, v.Voice))
	}
	if len(digits) > 4 {
		digits = digits[:4]
	}
	rep, err := s.Agents.CallerSpoke(ctx, conv, agents.Input{Text: speech, DTMF: digits}, nil)
	if err != nil {
		_ = s.Agents.CallEnded(ctx, conv, secs(), "the agent failed: "+app.ErrorMessage(err))
		return s.twiml(c, s.Voice.Hangup("Sorry, something went wrong. Please call again later.", v.Language, v.Voice))
	}
	if rep.Handoff != nil && rep.Handoff.Kind == agents.HandoffPhone && rep.Handoff.Target != "" {
		_ = s.Agents.CallEnded(ctx, conv, secs(), "transferred to "+rep.Handoff.Target)
		return s.twiml(c, s.Voice.Dial(rep.Text, rep.Handoff.Target, v.Language, v.Voice))
	}
	if rep.Ended {
		_ = s.Agents.CallEnded(ctx, conv, secs(), "the agent ended the call")
		return s.twiml(c, s.Voice.Hangup(rep.Text, v.Language, v.Voice))
	}
	return s.twiml(c, s.Voice.Gather(action, silenceURL(1), rep.Text, v.Language, v.Voice))
}
