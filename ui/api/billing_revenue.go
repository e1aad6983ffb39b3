package api

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/billing"
	"orengen/ui/web"
)

// The agency's revenue (admin keys): what Nexus > Billing › Revenue
// shows, and taking a client off its plan.

func (s *Handler) registerBillingRevenueRoutes(api fiber.Router) {
	api.Get("/billing/revenue", s.apiBillingRevenue)
	api.Delete("/billing/subscriptions/:tenant", web.RequireWriteKey, s.apiBillingCancel)
	if s.Payments != nil {
		api.Get("/billing/dunning", s.apiBillingDunning)
		api.Put("/billing/dunning", web.RequireWriteKey, s.apiBillingDunningSave)
	}
}

type apiDunning struct {
	RetryDays        []int      `json:"retry_days"`
	Email            bool       `json:"email"`
	SuspendAfterDays int        `json:"suspend_after_days"`
	UpdatedAt        *time.Time `json:"updated_at"`
}

func toAPIDunning(d billing.DunningSettings) apiDunning {
	out := apiDunning{RetryDays: d.RetryDays, Email: d.Email, SuspendAfterDays: d.SuspendAfterDays}
	if out.RetryDays == nil {
		out.RetryDays = []int{}
	}
	if !d.UpdatedAt.IsZero() {
		out.UpdatedAt = &d.UpdatedAt
	}
	return out
}

func (s *Handler) apiBillingDunning(c *fiber.Ctx) error {
	d, err := s.Payments.Dunning(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIDunning(d)})
}

func (s *Handler) apiBillingDunningSave(c *fiber.Ctx) error {
	var in struct {
		RetryDays        []int `json:"retry_days"`
		Email            *bool `json:"email"`
		SuspendAfterDays *int  `json:"suspend_after_days"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Email == nil || in.SuspendAfterDays == nil || in.RetryDays == nil {
		return app.FieldErrorf("retry_days", "retry_days, email and suspend_after_days are required.")
	}
	d := &billing.DunningSettings{RetryDays: in.RetryDays, Email: *in.Email, SuspendAfterDays: *in.SuspendAfterDays}
	for i, n := range d.RetryDays {
		if n < 1 || n > 90 || (i > 0 && n <= d.RetryDays[i-1]) {
			return app.FieldErrorf("retry_days", "retry_days must be increasing days (1-90) after the first failure, like [3, 5, 7].")
		}
	}
	if err := s.Payments.SaveDunning(c.UserContext(), d); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIDunning(*d)})
}

type apiRevenueMonth struct {
	Month          string `json:"month"`
	InvoicedMicros int64  `json:"invoiced_micros"`
	PaidMicros     int64  `json:"paid_micros"`
	Started        int    `json:"started"`
	Churned        int    `json:"churned"`
	FailedPayments int    `json:"failed_payments"`
}

type apiMargin struct {
	TenantID     int64  `json:"tenant_id"`
	PlanName     string `json:"plan_name"`
	BilledMicros int64  `json:"billed_micros"`
	CostMicros   int64  `json:"cost_micros"`
	MarginMicros int64  `json:"margin_micros"`
}

type apiFailedPayment struct {
	TenantID     int64     `json:"tenant_id"`
	InvoiceID    int64     `json:"invoice_id"`
	Number       string    `json:"number"`
	Attempt      int       `json:"attempt"`
	AmountMicros int64     `json:"amount_micros"`
	Message      string    `json:"message"`
	At           time.Time `json:"at"`
}

func (s *Handler) apiBillingRevenue(c *fiber.Ctx) error {
	months := 12
	if v := c.Query("months"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 36 {
			return app.FieldErrorf("months", "months must be between 1 and 36.")
		}
		months = n
	}
	rev, err := s.Billing.Revenue(c.UserContext(), months)
	if err != nil {
		return err
	}
	ms, mg, fp := []apiRevenueMonth{}, []apiMargin{}, []apiFailedPayment{}
	for _, m := range rev.Months {
		ms = append(ms, apiRevenueMonth{m.Month, m.InvoicedMicros, m.PaidMicros, m.Started, m.Churned, m.FailedPayments})
	}
	for _, m := range rev.Margins {
		mg = append(mg, apiMargin{m.TenantID, m.PlanName, m.BilledMicros, m.CostMicros, m.MarginMicros()})
	}
	for _, f := range rev.Failed {
		fp = append(fp, apiFailedPayment{f.TenantID, f.InvoiceID, f.Number, f.Attempt, f.AmountMicros, f.Message, f.At})
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"mrr_micros": rev.MRRMicros, "active": rev.Active, "trialing": rev.Trialing,
		"months": ms, "margins": mg, "failed_payments": fp}})
}

func (s *Handler) apiBillingCancel(c *fiber.Ctx) error {
	t, err := s.Tenants.TenantByRef(c.UserContext(), utils.CopyString(c.Params("tenant")))
	if err != nil || t.House {
		return app.Errorf(app.ENOTFOUND, "Tenant not found.")
	}
	inv, err := s.Billing.Cancel(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	out := fiber.Map{"tenant_id": t.ID, "status": billing.Cancelled, "invoice": nil}
	if inv != nil {
		out["invoice"] = toAPIInvoice(inv)
	}
	return c.JSON(fiber.Map{"data": out})
}

func addBillingRevenueAPI(paths, schemas obj, std func(obj, ...string) obj) {
	month := props([]string{"month"}, obj{"month": obj{"type": "string", "description": "YYYY-MM (UTC)"}, "invoiced_micros": obj{"type": "integer", "description": "subtotals issued, less credit notes"},
		"paid_micros": integ, "started": integ, "churned": obj{"type": "integer", "description": "clients taken off a plan"}, "failed_payments": integ})
	margin := props([]string{"tenant_id"}, obj{"tenant_id": integ, "plan_name": str, "billed_micros": integ, "cost_micros": integ, "margin_micros": integ})
	failed := props([]string{"tenant_id", "invoice_id"}, obj{"tenant_id": integ, "invoice_id": integ, "number": str, "attempt": integ, "amount_micros": integ, "message": str, "at": tstamp})
	schemas["BillingRevenue"] = props([]string{"mrr_micros", "months", "margins", "failed_payments"}, obj{"mrr_micros": obj{"type": "integer", "description": "active plans' monthly price (yearly over 12)"},
		"active": integ, "trialing": integ, "months": obj{"type": "array", "items": month}, "margins": obj{"type": "array", "items": margin},
		"failed_payments": obj{"type": "array", "items": failed, "description": "open invoices whose latest charge failed"}})
	paths["/api/v1/billing/revenue"] = obj{"get": obj{"summary": "MRR, invoiced and collected per month, churn, usage margin per client, failed payments (admin keys)",
		"parameters": []obj{qparam("months", "months back, 1-36 (default 12)", integ)},
		"responses":  std(obj{"200": jsonResp("OK", dataOf(ref("BillingRevenue")))}, "400")}}
	dun := props([]string{"retry_days", "email", "suspend_after_days"}, obj{"retry_days": obj{"type": "array", "items": integ, "maxItems": 10, "description": "days after the first failed charge on which it is charged again, increasing"},
		"email":              obj{"type": "boolean", "description": "email the client's owners after each failure and on suspension"},
		"suspend_after_days": obj{"type": "integer", "minimum": 0, "maximum": 365, "description": "days after the first failure when the client's texts, calls, AI and emails stop (0: never)"}})
	schemas["BillingDunningInput"] = dun
	schemas["BillingDunning"] = props([]string{"retry_days", "email", "suspend_after_days"}, obj{"retry_days": obj{"type": "array", "items": integ},
		"email": obj{"type": "boolean"}, "suspend_after_days": integ, "updated_at": nTime})
	paths["/api/v1/billing/dunning"] = obj{
		"get": obj{"summary": "Dunning settings: retries of failed charges, emails, suspension (admin keys)", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("BillingDunning")))})},
		"put": obj{"summary": "Replace the dunning settings (admin keys)", "requestBody": jsonBody(ref("BillingDunningInput")),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("BillingDunning")))}, "400", "403")}}
	paths["/api/v1/billing/subscriptions/{tenant}"] = obj{"parameters": []obj{{"name": "tenant", "in": "path", "required": true, "description": "tenant ID or slug", "schema": str}},
		"delete": obj{"summary": "Take a client off its plan: the period so far is invoiced now, then the subscription is cancelled (admin keys)",
			"responses": std(obj{"200": jsonResp("Cancelled", dataOf(props([]string{"tenant_id", "status"}, obj{"tenant_id": integ, "status": str,
				"invoice": obj{"oneOf": []obj{ref("BillingInvoice"), {"type": "null"}}}})))}, "403", "404", "409")}}
}
