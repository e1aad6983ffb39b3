package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/billing"
	"orengen/ui/web"
)

// Payments through Stripe (issue #23): Stripe's signed webhook on the
// agency's public host, and in the API a card setup link (Checkout) and
// charging an invoice to the saved card now.

// MountStripe adds POST /webhooks/stripe: Stripe's events, each verified
// with the endpoint's signing secret (Stripe-Signature) and applied once
// by event id. A bad signature is a 400 and changes nothing.
func (s *Handler) MountStripe(r fiber.Router) {
	if s.Payments == nil {
		return
	}
	r.Post("/webhooks/stripe", s.handleStripeWebhook)
}

func (s *Handler) handleStripeWebhook(c *fiber.Ctx) error {
	body := append([]byte(nil), c.Body()...)
	ev, applied, err := s.Payments.HandleEvent(c.UserContext(), body, string(c.Request().Header.Peek("Stripe-Signature")))
	if errors.Is(err, billing.ErrBadSignature) {
		return app.FieldErrorf("Stripe-Signature", "The Stripe-Signature header does not verify with the webhook secret.")
	} else if err != nil {
		return err // a 5xx makes Stripe send the event again
	}
	return c.JSON(fiber.Map{"received": true, "id": ev.ID, "applied": applied})
}

func (s *Handler) registerBillingPaymentRoutes(api fiber.Router) {
	if s.Payments == nil {
		return
	}
	api.Post("/billing/invoices/:id/payments", web.RequireWriteKey, s.apiBillingPay)
	api.Get("/billing/invoices/:id/payments", s.apiBillingPayments)
	api.Post("/billing/card-setup", web.RequireWriteKey, s.apiBillingCardSetup)
	api.Get("/billing/wallet", s.apiBillingWallet)                                       // billing_recharge.go
	api.Put("/billing/wallet/recharge", web.RequireWriteKey, s.apiBillingWalletRecharge) // billing_recharge.go
}

type apiPayment struct {
	ID           int64     `json:"id"`
	InvoiceID    int64     `json:"invoice_id"`
	Attempt      int       `json:"attempt"`
	Status       string    `json:"status"`
	Message      string    `json:"message"`
	IntentID     string    `json:"stripe_payment_intent"`
	AmountMicros int64     `json:"amount_micros"`
	Currency     string    `json:"currency"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func toAPIPayment(p *billing.Payment) apiPayment {
	return apiPayment{p.ID, p.InvoiceID, p.Attempt, p.Status, p.Message, p.IntentID, p.AmountMicros, p.Currency, p.CreatedAt, p.UpdatedAt}
}

func (s *Handler) apiBillingPay(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	tid, err := s.billingTenant(c)
	if err != nil {
		return err
	}
	p, err := s.Payments.PayInvoice(c.UserContext(), tid, id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPIPayment(p)})
}

func (s *Handler) apiBillingPayments(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	tid, err := s.billingTenant(c)
	if err != nil {
		return err
	}
	if _, err := s.Billing.Invoice(c.UserContext(), tid, id); err != nil {
		return err
	}
	ps, err := s.Payments.PaymentsOf(c.UserContext(), tid, id)
	if err != nil {
		return err
	}
	return sendAll(c, ps, toAPIPayment)
}

// apiBillingCardSetup returns Stripe Checkout's page where the tenant
// saves its card; Checkout sends the client back to its portal's
// billing page.
func (s *Handler) apiBillingCardSetup(c *fiber.Ctx) error {
	tid, err := s.billingTenant(c)
	if err != nil {
		return err
	}
	t, err := s.Tenants.TenantByID(c.UserContext(), tid)
	if err != nil {
		return err
	}
	back := c.BaseURL() + "/billing"
	u, err := s.Payments.StartCardSetup(c.UserContext(), tid, t.Name, "", back+"?card=saved", back+"?card=cancelled")
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": fiber.Map{"tenant_id": tid, "url": u}})
}

func addBillingPaymentAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenant := qparam("tenant", "admin keys: the tenant (ID or slug), required", str)
	schemas["BillingPayment"] = props([]string{"id", "invoice_id", "attempt", "status"}, obj{"id": integ, "invoice_id": integ,
		"attempt": obj{"type": "integer", "description": "1 for the first charge, then each retry"},
		"status":  obj{"type": "string", "enum": []string{billing.PaymentPending, billing.PaymentProcessing, billing.PaymentSucceeded, billing.PaymentFailed}},
		"message": obj{"type": "string", "description": "why it failed (the card issuer's answer)"}, "stripe_payment_intent": str,
		"amount_micros": integ, "currency": obj{"type": "string", "description": "lowercase ISO code"}, "created_at": tstamp, "updated_at": tstamp})
	paths["/api/v1/billing/invoices/{id}/payments"] = obj{"parameters": []obj{idParam, tenant},
		"get": obj{"summary": "An invoice's payment attempts, latest first", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("BillingPayment")))}, "400", "404")},
		"post": obj{"summary": "Charge an open invoice to the tenant's saved card now (Stripe, off-session; idempotent per attempt). A declined card answers 201 with status failed and the issuer's message",
			"responses": std(obj{"201": jsonResp("Charged or declined", dataOf(ref("BillingPayment")))}, "400", "403", "404", "409")}}
	paths["/api/v1/billing/card-setup"] = obj{"post": obj{"summary": "A Stripe Checkout page (setup mode) where the tenant saves or replaces its card; Stripe's checkout.session.completed event saves it",
		"parameters": []obj{tenant},
		"responses":  std(obj{"201": jsonResp("Created", dataOf(props([]string{"tenant_id", "url"}, obj{"tenant_id": integ, "url": obj{"type": "string", "format": "uri"}})))}, "400", "403")}}
}
