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
	paths["/api/v1/billing/subscriptions/{tenant}"] = obj{"parameters": []obj{{"name": "tenant", "in": "path", "required": true, "description": "tenant ID or slug", "schema": str}},
		"delete": obj{"summary": "Take a client off its plan: the period so far is invoiced now, then the subscription is cancelled (admin keys)",
			"responses": std(obj{"200": jsonResp("Cancelled", dataOf(props([]string{"tenant_id", "status"}, obj{"tenant_id": integ, "status": str,
				"invoice": obj{"oneOf": []obj{ref("BillingInvoice"), {"type": "null"}}}})))}, "403", "404", "409")}}
}
