package api

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/billing"
	"orengen/ui/web"
)

// Billing API (issue #23): a tenant key reads its own plan, usage this
// period, wallet and pending adjustments (/billing/summary); an admin key
// reads any tenant's (?tenant=) and manages the plans, puts tenants on
// them and adds funds to their wallets. Every call goes through
// billing.Service, the same calls the pages make.

func (s *Handler) registerBillingAPIRoutes(api fiber.Router, host string) {
	if s.Billing == nil {
		return
	}
	api.Get("/billing/summary", s.apiBillingSummary)
	api.Get("/billing/invoices", s.apiBillingInvoices)
	api.Get("/billing/invoices/:id", s.apiBillingInvoice)
	s.registerBillingPaymentRoutes(api) // billing_payments.go
	if host != web.HostNexus {
		return
	}
	api.Get("/billing/plans", s.apiBillingPlans)
	api.Post("/billing/plans", web.RequireWriteKey, s.apiBillingPlanCreate)
	api.Get("/billing/plans/:id", s.apiBillingPlan)
	api.Put("/billing/plans/:id", web.RequireWriteKey, s.apiBillingPlanUpdate)
	api.Post("/billing/subscriptions", web.RequireWriteKey, s.apiBillingAssign)
	api.Post("/billing/wallet-topups", web.RequireWriteKey, s.apiBillingTopUp)
	s.registerBillingRevenueRoutes(api) // billing_revenue.go
}

// billingTenant is the tenant a billing request is about: a tenant key's
// own; an admin key's ?tenant= (required).
func (s *Handler) billingTenant(c *fiber.Ctx) (int64, error) {
	ctx := c.UserContext()
	k := app.APIKeyFromContext(ctx)
	if k == nil {
		return 0, app.Errorf(app.EUNAUTHORIZED, "API key required.")
	}
	if !k.Admin() {
		return k.TenantID, nil
	}
	ref := utils.CopyString(c.Query("tenant"))
	if ref == "" {
		return 0, app.FieldErrorf("tenant", "tenant is required with an admin key.")
	}
	t, err := s.Tenants.TenantByRef(ctx, ref)
	if err != nil {
		return 0, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
	}
	return t.ID, nil
}

type apiPlan struct {
	ID          int64            `json:"id"`
	Name        string           `json:"name"`
	Interval    string           `json:"interval"`
	PriceMicros int64            `json:"price_micros"`
	TrialDays   int              `json:"trial_days"`
	MarkupPct   int              `json:"markup_pct"`
	Wallet      bool             `json:"wallet"`
	Included    map[string]int64 `json:"included"`
	Overage     map[string]int64 `json:"overage_micros"`
	// Modules are the portal modules a tenant on the plan sees.
	Modules   []string  `json:"modules"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toAPIPlan(p *billing.Plan) apiPlan {
	inc, over := p.Included, p.Overage
	if inc == nil {
		inc = map[string]int64{}
	}
	if over == nil {
		over = map[string]int64{}
	}
	return apiPlan{p.ID, p.Name, p.Interval, p.PriceMicros, p.TrialDays, p.MarkupPct, p.Wallet, inc, over, p.IncludedModules(), p.Active, p.CreatedAt, p.UpdatedAt}
}

type apiPlanInput struct {
	Name        string           `json:"name"`
	Interval    string           `json:"interval"`
	PriceMicros int64            `json:"price_micros"`
	TrialDays   int              `json:"trial_days"`
	MarkupPct   int              `json:"markup_pct"`
	Wallet      bool             `json:"wallet"`
	Included    map[string]int64 `json:"included"`
	Overage     map[string]int64 `json:"overage_micros"`
	// Modules are the portal modules a tenant on the plan sees (omitted:
	// every module).
	Modules *[]string `json:"modules"`
	Active  *bool     `json:"active"`
}

// plan returns the plan the input describes. Returns EINVALID naming
// "modules" for an unknown module.
func (in *apiPlanInput) plan() (*billing.Plan, error) {
	p := &billing.Plan{Name: in.Name, Interval: in.Interval, PriceMicros: in.PriceMicros, TrialDays: in.TrialDays, MarkupPct: in.MarkupPct,
		Wallet: in.Wallet, Included: in.Included, Overage: in.Overage, Active: in.Active == nil || *in.Active}
	if in.Modules != nil {
		if err := p.SetIncludedModules(*in.Modules); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s *Handler) apiBillingPlans(c *fiber.Ctx) error {
	ps, err := s.Billing.Plans(c.UserContext())
	if err != nil {
		return err
	}
	return sendAll(c, ps, toAPIPlan)
}

func (s *Handler) apiBillingPlan(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.Billing.Plan(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIPlan(p)})
}

func (s *Handler) apiBillingPlanCreate(c *fiber.Ctx) error {
	var in apiPlanInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	p, err := in.plan()
	if err != nil {
		return err
	}
	if err := s.Billing.CreatePlan(c.UserContext(), p); err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPIPlan(p)})
}

func (s *Handler) apiBillingPlanUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Billing.Plan(c.UserContext(), id); err != nil {
		return err
	}
	var in apiPlanInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	p, err := in.plan()
	if err != nil {
		return err
	}
	p.ID = id
	if err := s.Billing.UpdatePlan(c.UserContext(), p); err != nil {
		return err
	}
	p, err = s.Billing.Plan(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIPlan(p)})
}

type apiSubscription struct {
	TenantID    int64      `json:"tenant_id"`
	PlanID      int64      `json:"plan_id"`
	PlanName    string     `json:"plan_name"`
	Status      string     `json:"status"`
	PeriodStart time.Time  `json:"period_start"`
	PeriodEnd   time.Time  `json:"period_end"`
	TrialEnd    *time.Time `json:"trial_end"`
	TaxRateBP   int        `json:"tax_rate_bp"`
}

func toAPISubscription(sub *billing.Subscription) *apiSubscription {
	if sub == nil {
		return nil
	}
	return &apiSubscription{sub.TenantID, sub.PlanID, sub.Plan.Name, sub.Status, sub.PeriodStart, sub.PeriodEnd, sub.TrialEnd, sub.TaxRateBP}
}

func (s *Handler) apiBillingAssign(c *fiber.Ctx) error {
	var in struct {
		TenantID int64 `json:"tenant_id"`
		PlanID   int64 `json:"plan_id"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if _, err := s.Tenants.TenantByID(c.UserContext(), in.TenantID); err != nil || in.TenantID == app.HouseTenantID {
		return app.FieldErrorf("tenant_id", "Unknown client tenant %d.", in.TenantID)
	}
	sub, err := s.Billing.Assign(c.UserContext(), in.TenantID, in.PlanID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPISubscription(sub)})
}

func (s *Handler) apiBillingTopUp(c *fiber.Ctx) error {
	var in struct {
		TenantID     int64  `json:"tenant_id"`
		AmountMicros int64  `json:"amount_micros"`
		Ref          string `json:"ref"`
		Note         string `json:"note"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if _, err := s.Tenants.TenantByID(c.UserContext(), in.TenantID); err != nil || in.TenantID == app.HouseTenantID {
		return app.FieldErrorf("tenant_id", "Unknown client tenant %d.", in.TenantID)
	}
	if len(in.Ref) > 100 {
		return app.FieldErrorf("ref", "ref is at most 100 characters.")
	}
	added, err := s.Billing.TopUp(c.UserContext(), in.TenantID, in.AmountMicros, in.Ref, in.Note)
	if err != nil {
		return err
	}
	w, _, err := s.Billing.Wallet(c.UserContext(), in.TenantID, 1)
	if err != nil {
		return err
	}
	if added {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"tenant_id": in.TenantID, "added": added, "balance_micros": w.BalanceMicros}})
}

type apiUsageLine struct {
	Category    string `json:"category"`
	Quantity    int64  `json:"quantity"`
	Included    int64  `json:"included"`
	Billable    int64  `json:"billable"`
	CostMicros  int64  `json:"cost_micros,omitempty"`
	PriceMicros int64  `json:"price_micros"`
}

type apiDay struct {
	Day         string `json:"day"`
	PriceMicros int64  `json:"price_micros"`
}

type apiAdjustment struct {
	AmountMicros int64     `json:"amount_micros"`
	Description  string    `json:"description"`
	CreatedAt    time.Time `json:"created_at"`
}

func (s *Handler) apiBillingSummary(c *fiber.Ctx) error {
	tid, err := s.billingTenant(c)
	if err != nil {
		return err
	}
	sum, err := s.Billing.Summary(c.UserContext(), tid)
	if err != nil {
		return err
	}
	admin := app.APIKeyFromContext(c.UserContext()).Admin()
	lines, days, adjs := []apiUsageLine{}, []apiDay{}, []apiAdjustment{}
	for _, l := range sum.Lines {
		a := apiUsageLine{l.Category, l.Quantity, l.Included, l.Billable, 0, l.PriceMicros}
		if admin { // the agency's cost is not the client's business
			a.CostMicros = l.CostMicros
		}
		lines = append(lines, a)
	}
	for _, d := range sum.Days {
		days = append(days, apiDay{d.Day.Format("2006-01-02"), d.PriceMicros})
	}
	for _, a := range sum.Adjustments {
		adjs = append(adjs, apiAdjustment{a.AmountMicros, a.Description, a.CreatedAt})
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"tenant_id": tid, "subscription": toAPISubscription(sum.Subscription),
		"period_start": sum.From, "period_end": sum.To, "usage": lines, "days": days, "usage_micros": sum.UsageMicros,
		"wallet_balance_micros": sum.Wallet.BalanceMicros, "adjustments": adjs}})
}

type apiInvoiceLine struct {
	Description  string `json:"description"`
	Category     string `json:"category"`
	Quantity     int64  `json:"quantity"`
	AmountMicros int64  `json:"amount_micros"`
}

type apiInvoice struct {
	ID             int64            `json:"id"`
	TenantID       int64            `json:"tenant_id"`
	Number         string           `json:"number"`
	Kind           string           `json:"kind"`
	CreditOf       *int64           `json:"credit_of"`
	Currency       string           `json:"currency"`
	PeriodStart    time.Time        `json:"period_start"`
	PeriodEnd      time.Time        `json:"period_end"`
	PlanName       string           `json:"plan_name"`
	SubtotalMicros int64            `json:"subtotal_micros"`
	TaxRateBP      int              `json:"tax_rate_bp"`
	TaxMicros      int64            `json:"tax_micros"`
	TotalMicros    int64            `json:"total_micros"`
	Status         string           `json:"status"`
	PaymentStatus  string           `json:"payment_status"`
	PaymentMessage string           `json:"payment_message"`
	IssuedAt       time.Time        `json:"issued_at"`
	Lines          []apiInvoiceLine `json:"lines,omitempty"`
}

func toAPIInvoice(inv *billing.Invoice) apiInvoice {
	out := apiInvoice{ID: inv.ID, TenantID: inv.TenantID, Number: inv.Number, Kind: inv.Kind, Currency: inv.Currency, PeriodStart: inv.PeriodStart, PeriodEnd: inv.PeriodEnd,
		PlanName: inv.PlanName, SubtotalMicros: inv.SubtotalMicros, TaxRateBP: inv.TaxRateBP, TaxMicros: inv.TaxMicros, TotalMicros: inv.TotalMicros, Status: inv.Status, IssuedAt: inv.IssuedAt,
		PaymentStatus: inv.PaymentStatus, PaymentMessage: inv.PaymentMessage}
	if inv.CreditOf != 0 {
		out.CreditOf = &inv.CreditOf
	}
	for _, l := range inv.Lines {
		out.Lines = append(out.Lines, apiInvoiceLine{l.Description, l.Category, l.Quantity, l.AmountMicros})
	}
	return out
}

func (s *Handler) apiBillingInvoices(c *fiber.Ctx) error {
	tid, err := s.billingTenant(c)
	if err != nil {
		return err
	}
	invs, err := s.Billing.Invoices(c.UserContext(), tid)
	if err != nil {
		return err
	}
	return sendAll(c, invs, toAPIInvoice)
}

func (s *Handler) apiBillingInvoice(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	tid, err := s.billingTenant(c)
	if err != nil {
		return err
	}
	inv, err := s.Billing.Invoice(c.UserContext(), tid, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIInvoice(inv)})
}

func addBillingAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	cats := obj{"type": "string", "enum": billing.Categories}
	perCat := func(desc string) obj {
		return obj{"type": "object", "description": desc, "additionalProperties": integ, "propertyNames": cats}
	}
	planProps := obj{"name": obj{"type": "string", "maxLength": 80}, "interval": obj{"type": "string", "enum": []string{billing.Month, billing.Year}},
		"price_micros": obj{"type": "integer", "description": "millionths of a US dollar: 29000000 is $29.00"}, "trial_days": obj{"type": "integer", "minimum": 0, "maximum": 365},
		"markup_pct": obj{"type": "integer", "minimum": 0, "maximum": 1000, "description": "added to the cost of usage without an overage price"},
		"wallet":     obj{"type": "boolean", "description": "usage is paid from the prepaid wallet and stops when it is empty"},
		"included":   perCat("units included per period, by category"), "overage_micros": perCat("price per unit beyond the included ones, by category"),
		"modules": obj{"type": "array", "items": obj{"type": "string", "enum": moduleKeys()},
			"description": "the portal modules a tenant on the plan sees (feature switches); the others leave its navigation, and their portal pages and tenant API answer 403 naming the module. Omitted in a request: every module. A tenant on no plan sees every module."}}
	schemas["BillingPlanInput"] = props([]string{"name", "interval"}, func() obj {
		o := obj{"active": obj{"type": "boolean", "description": "offered (default true)"}}
		for k, v := range planProps {
			o[k] = v
		}
		return o
	}())
	schemas["BillingPlan"] = props([]string{"id", "name", "interval", "price_micros", "active"}, func() obj {
		o := obj{"id": integ, "active": obj{"type": "boolean"}, "created_at": tstamp, "updated_at": tstamp}
		for k, v := range planProps {
			o[k] = v
		}
		return o
	}())
	sub := props([]string{"tenant_id", "plan_id", "status"}, obj{"tenant_id": integ, "plan_id": integ, "plan_name": str,
		"status": obj{"type": "string", "enum": []string{billing.Trialing, billing.Active, billing.Cancelled}}, "period_start": tstamp, "period_end": tstamp,
		"trial_end": nTime, "tax_rate_bp": obj{"type": "integer", "description": "basis points: 825 is 8.25%"}})
	schemas["BillingSubscription"] = sub
	tenant := qparam("tenant", "admin keys: the tenant (ID or slug), required", str)
	paths["/api/v1/billing/summary"] = obj{"get": obj{"summary": "The tenant's plan, usage this period priced under it (per category and per day), wallet balance and adjustments for the next invoice",
		"parameters": []obj{tenant},
		"responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"tenant_id", "usage", "days", "wallet_balance_micros"}, obj{"tenant_id": integ,
			"subscription": obj{"oneOf": []obj{ref("BillingSubscription"), {"type": "null"}}}, "period_start": tstamp, "period_end": tstamp,
			"usage": obj{"type": "array", "items": props([]string{"category", "quantity", "price_micros"}, obj{"category": cats, "quantity": integ, "included": integ, "billable": integ,
				"cost_micros": obj{"type": "integer", "description": "admin keys only: what the usage cost the agency"}, "price_micros": integ})},
			"days":         obj{"type": "array", "items": props([]string{"day", "price_micros"}, obj{"day": obj{"type": "string", "format": "date"}, "price_micros": integ})},
			"usage_micros": integ, "wallet_balance_micros": integ,
			"adjustments": obj{"type": "array", "items": props(nil, obj{"amount_micros": integ, "description": str, "created_at": tstamp})}})))}, "400")}}
	inv := props([]string{"id", "number", "kind", "total_micros", "status"}, obj{"id": integ, "tenant_id": integ, "number": obj{"type": "string", "description": "INV-000001: one gapless sequence for invoices and credit notes"},
		"kind": obj{"type": "string", "enum": []string{billing.KindInvoice, billing.KindCreditNote}}, "credit_of": nInt, "currency": str, "period_start": tstamp, "period_end": tstamp,
		"plan_name": str, "subtotal_micros": integ, "tax_rate_bp": integ, "tax_micros": integ, "total_micros": obj{"type": "integer", "description": "negative for a credit note"},
		"status": obj{"type": "string", "enum": []string{billing.InvoiceOpen, billing.InvoicePaid, "void"}}, "issued_at": tstamp,
		"payment_status":  obj{"type": "string", "enum": []string{"", billing.PaymentPending, billing.PaymentProcessing, billing.PaymentSucceeded, billing.PaymentFailed}, "description": "the latest payment attempt's (empty: none)"},
		"payment_message": obj{"type": "string", "description": "why the latest payment failed"},
		"lines":           obj{"type": "array", "items": props([]string{"description", "amount_micros"}, obj{"description": str, "category": str, "quantity": integ, "amount_micros": integ})}})
	schemas["BillingInvoice"] = inv
	paths["/api/v1/billing/invoices"] = obj{"get": obj{"summary": "The tenant's invoices and credit notes, newest first (never changed once issued)", "parameters": []obj{tenant},
		"responses": std(obj{"200": jsonResp("OK", pageOf(ref("BillingInvoice")))}, "400")}}
	paths["/api/v1/billing/invoices/{id}"] = obj{"parameters": []obj{idParam, tenant}, "get": obj{"summary": "An invoice or credit note with its lines",
		"responses": std(obj{"200": jsonResp("OK", dataOf(ref("BillingInvoice")))}, "400", "404")}}
	paths["/api/v1/billing/plans"] = obj{
		"get":  obj{"summary": "Plans (admin keys)", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("BillingPlan")))})},
		"post": obj{"summary": "Create a plan (admin keys)", "requestBody": jsonBody(ref("BillingPlanInput")), "responses": std(obj{"201": jsonResp("Created", dataOf(ref("BillingPlan")))}, "400", "403", "409")}}
	paths["/api/v1/billing/plans/{id}"] = obj{"parameters": []obj{idParam},
		"get": obj{"summary": "A plan (admin keys)", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("BillingPlan")))}, "404")},
		"put": obj{"summary": "Replace a plan's fields; tenants on it keep their period (admin keys)", "requestBody": jsonBody(ref("BillingPlanInput")),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("BillingPlan")))}, "400", "403", "404", "409")}}
	paths["/api/v1/billing/subscriptions"] = obj{"post": obj{"summary": "Put a tenant on a plan: a first plan starts its trial; a change mid-period is prorated onto the next invoice (admin keys)",
		"requestBody": jsonBody(props([]string{"tenant_id", "plan_id"}, obj{"tenant_id": integ, "plan_id": integ})),
		"responses":   std(obj{"200": jsonResp("OK", dataOf(ref("BillingSubscription")))}, "400", "403")}}
	paths["/api/v1/billing/wallet-topups"] = obj{"post": obj{"summary": "Add funds to a tenant's prepaid wallet; a repeated ref adds nothing (admin keys)",
		"requestBody": jsonBody(props([]string{"tenant_id", "amount_micros"}, obj{"tenant_id": integ, "amount_micros": integ,
			"ref": obj{"type": "string", "maxLength": 100, "description": "the payment's id: idempotency"}, "note": str})),
		"responses": std(obj{"201": jsonResp("Added", dataOf(props(nil, obj{"tenant_id": integ, "added": obj{"type": "boolean"}, "balance_micros": integ}))),
			"200": jsonResp("Already added (same ref)", dataOf(props(nil, obj{"tenant_id": integ, "added": obj{"type": "boolean"}, "balance_micros": integ})))}, "400", "403")}}
}

// sendAll answers a whole (unpaged) list in the API's list envelope, each
// item in its API shape.
func sendAll[T, U any](c *fiber.Ctx, items []T, shape func(T) U) error {
	out := make([]U, 0, len(items))
	for _, x := range items {
		out = append(out, shape(x))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

// moduleKeys lists the switchable modules' keys (the plans' feature
// switches).
func moduleKeys() []string {
	var out []string
	for _, m := range billing.Modules {
		out = append(out, m.Key)
	}
	return out
}
