package api

import (
	"fmt"
	"net/url"
	"orengen/ui/web"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// registerWebhookRoutes adds the public form API (inbound; the CRM's
// outbound webhooks are in webhooks.go) on the marketing host:
// cross-origin posts are allowed (no CSRF token, no origin check), limited
// per IP instead.
func (s *Handler) MountCapture(r fiber.Router) {
	r.Options("/webhook/:form", s.handleWebhookPreflight)
	r.Post("/webhook/:form", s.handleWebhookCapture)
}

// registerTwilioRoutes adds Twilio's webhooks on the tenant host; each
// request must carry a valid X-Twilio-Signature for the tenant's token.
func (s *Handler) MountTwilio(r fiber.Router) {
	r.Post("/twilio/sms", s.handleTwilio("sms"))
	r.Post("/twilio/voice", s.handleTwilio("voice"))
	r.Post("/twilio/status", s.handleTwilio("status"))
	// A workflow's incoming webhook: the secret token is the credential.
	r.Post("/hooks/:token", s.handleWorkflowHook)
}

// handleWorkflowHook is POST /hooks/:token: the JSON or form fields start
// a run of the workflow the token belongs to (202 with its id).
func (s *Handler) handleWorkflowHook(c *fiber.Ctx) error {
	if s.Automations == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	if err := s.LeadLimit.Check(c); err != nil {
		return err
	}
	payload, err := parsePostedFields(c)
	if err != nil {
		return err
	}
	id, err := s.Automations.Hook(c.UserContext(), utils.CopyString(c.Params("token")), payload)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"run_id": id})
}

// parsePostedFields reads a JSON object or a url-encoded form of at most
// 64 KB into string fields (numbers and booleans as text).
func parsePostedFields(c *fiber.Ctx) (map[string]string, error) {
	body := c.Body()
	if len(body) > web.WebhookBodyLimit {
		return nil, app.FieldErrorf("body", "The request body must be at most 64 KB.")
	}
	payload := map[string]string{}
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationJSON):
		var raw map[string]any
		if err := web.DecodeJSON(body, &raw); err != nil {
			if app.ErrorField(err) == "" {
				return nil, app.FieldErrorf("body", "%s", app.ErrorMessage(err))
			}
			return nil, err
		}
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				payload[k] = v
			case float64, bool:
				payload[k] = fmt.Sprint(v)
			case nil:
			default:
				return nil, app.FieldErrorf(k, "Field %q must be a string.", k)
			}
		}
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, app.FieldErrorf("body", "The form body is not valid.")
		}
		for k, v := range vals {
			payload[k] = v[0]
		}
	default:
		return nil, app.FieldErrorf("body", "Send application/json or application/x-www-form-urlencoded.")
	}
	if len(payload) > 50 {
		return nil, app.FieldErrorf("body", "A form may have at most 50 fields.")
	}
	for k, v := range payload {
		if len(v) > 5000 {
			return nil, app.FieldErrorf(k, "Field %q must be at most 5000 characters.", k)
		}
	}
	return payload, nil
}

func corsHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set(fiber.HeaderAccessControlAllowMethods, "POST, OPTIONS")
	c.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type")
	c.Set(fiber.HeaderAccessControlMaxAge, "86400")
}

func (s *Handler) handleWebhookPreflight(c *fiber.Ctx) error {
	corsHeaders(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// webhookFields maps the compatible JSON/form names to contact fields.
var webhookFields = map[string]string{
	"firstName": "first", "first_name": "first", "lastName": "last", "last_name": "last",
	"email": "email", "phone": "phone", "source": "source", "company": "company", "message": "message",
}

// handleWebhookCapture is POST /webhook/:form (the n8n-compatible
// lead-capture endpoint): submission, contact and runs commit together
// before the 201.
func (s *Handler) handleWebhookCapture(c *fiber.Ctx) error {
	corsHeaders(c)
	ctx := c.UserContext()
	if s.Automations == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	if err := s.LeadLimit.Check(c); err != nil {
		return err
	}
	form := utils.CopyString(c.Params("form"))
	if !app.KnownForms[form] {
		return app.FieldErrorf("form", "Unknown form %q.", form)
	}
	payload, err := parsePostedFields(c)
	if err != nil {
		return err
	}
	in := app.ContactInput{TenantID: app.HouseTenantID, IP: app.RequestFromContext(ctx).IP}
	for k, v := range payload {
		switch webhookFields[k] {
		case "first":
			in.FirstName = v
		case "last":
			in.LastName = v
		case "email":
			in.Email = v
		case "phone":
			in.Phone = v
		case "source":
			in.Source = v
		case "company":
			in.Company = v
		case "message":
			in.Message = v
		}
	}
	if in.Source == "" {
		in.Source = form
	}
	sub := &app.Submission{TenantID: app.HouseTenantID, Form: form, Contact: in, Payload: payload}
	if err := s.Automations.Capture(ctx, sub); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": sub.ID, "contact_id": sub.ContactID})
}

// handleTwilio verifies and records a Twilio webhook. The tenant is the
// custom domain's, else ?tenant= (default the house tenant); the signature
// is checked against the public URL Twilio posted to.
func (s *Handler) handleTwilio(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		if s.Automations == nil {
			return app.Errorf(app.ENOTFOUND, "Not found.")
		}
		tenantID := app.HouseTenantID
		base := s.URL(web.HostPortal)
		routed := true
		if t := web.DomainTenant(c); t != nil {
			tenantID, base = t.ID, s.TenantURL(web.BareHost(c.Hostname()))
		} else if v := c.Query("tenant"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return app.Errorf(app.EFORBIDDEN, "Invalid Twilio signature.")
			}
			tenantID = id
		}
		params := map[string]string{}
		c.Request().PostArgs().VisitAll(func(k, v []byte) { params[string(k)] = string(v) })
		if c.Query("tenant") == "" && web.DomainTenant(c) == nil && s.Automations.TenantForNumber != nil {
			// One webhook URL for every number: the tenant whose Twilio
			// number was called or texted owns the request (and its
			// token must have signed it).
			var id int64
			if id, routed = s.Automations.TenantForNumber(ctx, params["To"]); routed {
				tenantID = id
			}
		}
		publicURL := base + utils.CopyString(c.OriginalURL())
		if err := s.Automations.CheckTwilioSignature(ctx, tenantID, publicURL, params, utils.CopyString(c.Get("X-Twilio-Signature"))); err != nil {
			return err
		}
		h := &app.TwilioWebhook{TenantID: tenantID, Kind: kind, Params: params, Key: utils.CopyString(c.Query("key")), Routed: routed}
		if err := s.Automations.HandleTwilio(ctx, h); err != nil {
			return err
		}
		switch kind {
		case "status":
			return c.SendStatus(fiber.StatusNoContent)
		case "voice":
			c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
			if twiml, ok, err := s.Automations.AgentCallTwiML(ctx, h); err != nil {
				return err
			} else if ok {
				return c.SendString(twiml)
			}
			var vs app.VoiceScript
			if fwd := app.PhoneDigits(c.Query("forward")); fwd != "" && len(fwd) >= 7 && (params["Digits"] == "1" || saidYes(params["SpeechResult"])) {
				vs = app.VoiceScript{Say: "Connecting you now.", Dial: fwd}
			} else if params["Digits"] != "" || params["SpeechResult"] != "" {
				vs.Say = "Thank you. Goodbye."
			} else {
				name := "us"
				if s.Tenants != nil {
					if t, err := s.Tenants.TenantByID(ctx, tenantID); err == nil {
						name = t.BrandName()
					}
				}
				vs.Say = "Thank you for calling " + name + ". We will call you back shortly."
			}
			return s.sendVoice(c, vs)
		}
		return s.sendVoice(c, app.VoiceScript{})
	}
}

// sendVoice answers a Twilio webhook with vs as TwiML.
func (s *Handler) sendVoice(c *fiber.Ctx, vs app.VoiceScript) error {
	doc, err := s.Automations.VoiceAnswer(vs)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
	return c.SendString(doc)
}

// saidYes reads a gather's speech answer (Twilio's transcript) as
// pressing 1: "yes", "yeah", "sure", "please", "one".
func saidYes(speech string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(speech), func(r rune) bool { return r < 'a' || r > 'z' }) {
		switch w {
		case "yes", "yeah", "yep", "sure", "please", "one", "ok", "okay":
			return true
		}
	}
	return false
}
