package portal

import (
	"orengen/ui/web"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

func (s *Handler) registerOutboundWebhookRoutes(r fiber.Router, csrf fiber.Handler) {
	r.Get("/webhooks", s.handleWebhooks)
	r.Post("/webhooks", csrf, s.handleWebhookCreate)
	r.Post("/webhooks/:id/delete", csrf, s.handleWebhookDelete)
	r.Post("/webhooks/deliveries/:id/redeliver", csrf, s.handleWebhookRedeliver)
}

type webhooksPage struct {
	web.Layout
	Subscriptions []*app.WebhookSubscription
	Deliveries    []*app.WebhookDelivery
	Events        []string
	URL           string
	Chosen        map[string]bool
	Secret        string // shown once, right after creation
	Errors        map[string]string
}

func (s *Handler) handleWebhooks(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "manage webhooks"); err != nil {
		return err
	}
	return s.renderWebhooks(c, &webhooksPage{})
}

func (s *Handler) renderWebhooks(c *fiber.Ctx, p *webhooksPage) error {
	var err error
	if p.Subscriptions, err = s.Webhooks.Subscriptions(c.UserContext()); err != nil {
		return err
	}
	if p.Deliveries, err = s.Webhooks.RecentDeliveries(c.UserContext(), 100); err != nil {
		return err
	}
	p.Events = app.WebhookEvents
	p.Layout = s.Layout(c, web.HostPortal, "Webhooks")
	return s.Render(c, "portal/webhooks", p)
}

func (s *Handler) handleWebhookCreate(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "manage webhooks"); err != nil {
		return err
	}
	w := &app.WebhookSubscription{URL: utils.CopyString(c.FormValue("url"))}
	chosen := map[string]bool{}
	for _, e := range app.WebhookEvents {
		if c.FormValue("event_"+e) != "" {
			w.Events = append(w.Events, e)
			chosen[e] = true
		}
	}
	secret, err := s.Webhooks.Subscribe(c.UserContext(), w)
	if app.ErrorCode(err) == app.EINVALID {
		c.Status(fiber.StatusBadRequest)
		return s.renderWebhooks(c, &webhooksPage{URL: w.URL, Chosen: chosen, Errors: map[string]string{app.ErrorField(err): app.ErrorMessage(err)}})
	} else if err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "webhook.create", "webhook:"+strconv.FormatInt(w.ID, 10), w.URL)
	return s.renderWebhooks(c, &webhooksPage{Secret: secret})
}

func (s *Handler) handleWebhookDelete(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "manage webhooks"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "Webhook not found.")
	}
	if err := s.Webhooks.Unsubscribe(c.UserContext(), id); err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "webhook.delete", "webhook:"+strconv.FormatInt(id, 10), "")
	s.SetFlash(c, "ok", "Webhook deleted.")
	return c.Redirect("/webhooks", fiber.StatusSeeOther)
}

func (s *Handler) handleWebhookRedeliver(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "manage webhooks"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "Delivery not found.")
	}
	a, err := s.Webhooks.Redeliver(c.UserContext(), id)
	if err != nil {
		return err
	}
	kind := "ok"
	if a.Outcome != "succeeded" {
		kind = "error"
	}
	s.SetFlash(c, kind, "Delivery #"+strconv.FormatInt(id, 10)+" sent again. "+a.Summary())
	return c.Redirect("/webhooks", fiber.StatusSeeOther)
}
