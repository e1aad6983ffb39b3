// Package billing serves billing's pages (issue #23): in Nexus the plans
// (create, edit) and every client's plan, wallet and usage this period
// (assign a plan, add funds); in the portal a client's own plan, usage
// this period with a chart, wallet and pending adjustments.
//
// billing imports app, app/billing and ui/web; never a store.
package billing

import (
	"embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/billing"
	"orengen/ui/web"
)

// Templates are this package's pages and partials.
//
//go:embed templates
var Templates embed.FS

// CheckoutOrigin is Stripe Checkout's: the card update redirects there.
const CheckoutOrigin = "https://checkout.stripe.com"

// NavItem is billing's entry in the portal's and Nexus's navigation.
var NavItem = web.NavItem{Label: "Billing", Path: "/billing"}

// Handler serves the billing pages.
type Handler struct {
	*web.Kit
	Billing *billing.Service // nil: no routes
	// Payments charges invoices through Stripe (nil: no card or pay
	// buttons).
	Payments *billing.Payments
	Tenants  *app.TenantService
}

// On reports whether billing is wired.
func (s *Handler) On() bool { return s != nil && s.Billing != nil }

// Mount adds the billing pages behind the host's sign-in.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if !s.On() {
		return
	}
	if !sc.Nexus() {
		r.Get("/billing", s.handlePortal)
		r.Get("/billing/invoices/:id/pdf", s.handlePortalPDF)
		if s.Payments != nil {
			r.Post("/billing/card", csrf, s.handlePortalCard)
			r.Post("/billing/invoices/:id/pay", csrf, s.handlePortalPay)
			r.Post("/billing/wallet/recharge", csrf, s.handlePortalRecharge) // recharge.go
		}
		return
	}
	r.Get("/billing", s.handleNexus)
	r.Post("/billing/tenants/:id/invoice", csrf, s.handleCloseNow)
	r.Get("/billing/tenants/:id/invoices/:inv/pdf", s.handleNexusPDF)
	r.Post("/billing/tenants/:id/invoices/:inv/credit", csrf, s.handleCredit)
	if s.Payments != nil {
		r.Post("/billing/tenants/:id/invoices/:inv/pay", csrf, s.handleNexusPay)
		r.Post("/billing/tenants/:id/recharge", csrf, s.handleNexusRecharge) // recharge.go
	}
	r.Post("/billing/tenants/:id/plan", csrf, s.handleAssign)
	r.Post("/billing/tenants/:id/wallet", csrf, s.handleTopUp)
	r.Post("/billing/tenants/:id/tax", csrf, s.handleTax)
	r.Get("/billing/revenue", s.handleRevenue) // revenue.go
	r.Post("/billing/tenants/:id/cancel", csrf, s.handleCancel)
	if s.Payments != nil {
		r.Post("/billing/dunning", csrf, s.handleDunning)
	}
	r.Get("/billing/plans", s.handlePlans)
	r.Post("/billing/plans", csrf, s.handlePlanCreate)
	r.Get("/billing/plans/:id", s.handlePlan)
	r.Post("/billing/plans/:id", csrf, s.handlePlanUpdate)
}

// summaryView is a Summary formatted for a page.
type summaryView struct {
	PlanName, Interval, Status, Period, TrialEnd, Price, Usage, Balance, Tax string
	Wallet                                                                   bool
	Lines                                                                    []lineView
	Chart                                                                    chart
	Entries                                                                  []entryView
	Adjustments                                                              []entryView
	Invoices                                                                 []invoiceView
	// Payments: card payments are on; Card is the saved card ("" : none);
	// PayBase prefixes an invoice's pay action; CardAction updates the
	// card (portal only); CSRF is the page's token for these forms.
	Payments                  bool
	Card, PayBase, CardAction string
	CSRF                      string
	// Auto-recharge of the wallet (recharge.go): the settings as input
	// values, whether it is on, the latest recharge's notice (Failed: it
	// failed), the form's action and its error.
	RechargeBelow, RechargeAmount, RechargeNotice, RechargeAction, RechargeError string
	RechargeOn, RechargeFailed                                                   bool
}

type invoiceView struct {
	ID                                       int64
	Number, Kind, Issued, Total, Status, URL string
	Credit                                   bool // a credit note may be issued against it
	// Pay: open and chargeable; Payment is the latest attempt's state.
	Pay     bool
	Payment string
}

// withInvoices adds the tenant's documents to v; base is the PDF links'
// prefix ("/billing/invoices/" or Nexus's per-tenant one).
func (s *Handler) withInvoices(c *fiber.Ctx, v *summaryView, tenantID int64, base string) error {
	invs, err := s.Billing.Invoices(c.UserContext(), tenantID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		kind := "Invoice"
		if inv.Kind == billing.KindCreditNote {
			kind = "Credit note"
		}
		id := strconv.FormatInt(inv.ID, 10)
		iv := invoiceView{ID: inv.ID, Number: inv.Number, Kind: kind, Issued: inv.IssuedAt.Format("Jan 2, 2006"),
			Total: billing.FormatMicros(inv.TotalMicros), Status: inv.Status, URL: base + id + "/pdf", Credit: inv.Kind == billing.KindInvoice}
		if inv.Status == billing.InvoiceOpen && inv.PaymentStatus != "" {
			iv.Payment = "payment " + inv.PaymentStatus
			if inv.PaymentMessage != "" {
				iv.Payment += ": " + inv.PaymentMessage
			}
		}
		iv.Pay = s.Payments != nil && inv.Kind == billing.KindInvoice && inv.Status == billing.InvoiceOpen && inv.TotalMicros > 0 &&
			inv.PaymentStatus != billing.PaymentProcessing
		v.Invoices = append(v.Invoices, iv)
	}
	if s.Payments != nil {
		v.Payments = true
		cu, err := s.Payments.Customer(c.UserContext(), tenantID)
		if err != nil {
			return err
		}
		if cu.HasCard() {
			v.Card = strings.ToUpper(cu.Card.Brand[:min(1, len(cu.Card.Brand))]) + cu.Card.Brand[min(1, len(cu.Card.Brand)):] + " ending in " + cu.Card.Last4
		}
		v.PayBase = strings.TrimSuffix(base, "/invoices/") + "/invoices/"
		if err := s.withRecharge(c, v, tenantID); err != nil { // recharge.go
			return err
		}
	}
	return nil
}

type lineView struct{ Label, Quantity, Included, Billable, Cost, Price string }

type entryView struct{ When, Kind, Amount, Balance, Note string }

func qty(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func view(sum *billing.Summary) *summaryView {
	v := &summaryView{Period: sum.From.Format("Jan 2, 2006") + " – " + sum.To.AddDate(0, 0, -1).Format("Jan 2, 2006"),
		Usage: billing.FormatMicros(sum.UsageMicros), Balance: billing.FormatMicros(sum.Wallet.BalanceMicros)}
	if sub := sum.Subscription; sub != nil {
		v.PlanName, v.Interval, v.Status, v.Price, v.Wallet = sub.Plan.Name, sub.Plan.Interval, sub.Status, billing.FormatMicros(sub.Plan.PriceMicros), sub.Plan.Wallet
		v.Tax = strconv.FormatFloat(float64(sub.TaxRateBP)/100, 'f', -1, 64)
		if sub.TrialEnd != nil {
			v.TrialEnd = sub.TrialEnd.Format("Jan 2, 2006")
		}
	}
	for _, l := range sum.Lines {
		v.Lines = append(v.Lines, lineView{l.Label, qty(l.Quantity), qty(l.Included), qty(l.Billable), billing.FormatMicros(l.CostMicros), billing.FormatMicros(l.PriceMicros)})
	}
	for _, e := range sum.Entries {
		v.Entries = append(v.Entries, entryView{e.CreatedAt.Format("Jan 2 15:04"), e.Kind, billing.FormatMicros(e.AmountMicros), billing.FormatMicros(e.BalanceMicros), e.Note})
	}
	for _, a := range sum.Adjustments {
		v.Adjustments = append(v.Adjustments, entryView{When: a.CreatedAt.Format("Jan 2"), Amount: billing.FormatMicros(a.AmountMicros), Note: a.Description})
	}
	v.Chart = newChart(sum.Days)
	return v
}

// chart is a server-rendered SVG bar chart of the usage per day.
type chart struct {
	Width, Height int
	Bars          []bar
	Max           string
	Empty         bool
}

type bar struct {
	X, Y, W, H int
	Title      string
}

func newChart(days []billing.DayTotal) chart {
	c := chart{Width: 620, Height: 160, Empty: true}
	if len(days) == 0 {
		return c
	}
	var top int64
	for _, d := range days {
		top = max(top, d.PriceMicros)
	}
	c.Max = billing.FormatMicros(top)
	w := max((c.Width-20)/len(days), 2)
	for i, d := range days {
		h := 0
		if top > 0 {
			h = int(d.PriceMicros * int64(c.Height-20) / top)
		}
		if d.PriceMicros > 0 {
			c.Empty = false
			h = max(h, 1)
		}
		c.Bars = append(c.Bars, bar{X: 10 + i*w, Y: c.Height - 10 - h, W: max(w-2, 1), H: h, Title: d.Day.Format("Jan 2") + ": " + billing.FormatMicros(d.PriceMicros)})
	}
	return c
}

type portalPage struct {
	web.Layout
	S         *summaryView
	Notice    string
	Suspended string // why usage is suspended ("" : it is not)
}

func (s *Handler) handlePortal(c *fiber.Ctx) error { return s.renderPortal(c, nil) }

// renderPortal renders the client's billing page; errs are the
// auto-recharge form's errors (nil: none).
func (s *Handler) renderPortal(c *fiber.Ctx, errs map[string]string) error {
	t := web.Tenant(c)
	if t == nil {
		return app.Errorf(app.EUNAUTHORIZED, "Sign in.")
	}
	sum, err := s.Billing.Summary(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	p := &portalPage{S: view(sum)}
	if err := s.withInvoices(c, p.S, t.ID, "/billing/invoices/"); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostPortal, "Billing")
	p.S.CSRF, p.S.CardAction = p.CSRF, "/billing/card"
	if s.Payments != nil {
		p.S.RechargeAction = "/billing/wallet/recharge"
		for _, m := range errs {
			p.S.RechargeError = m
		}
	}
	if s.Payments != nil {
		// The card form's answer redirects to Stripe Checkout: the page's
		// form-action must allow it, or the browser stops the redirect.
		c.Set("Content-Security-Policy", strings.Replace(web.ContentSecurityPolicy, "form-action 'self'", "form-action 'self' "+CheckoutOrigin, 1))
	}
	if sus, err := s.Billing.Suspension(c.UserContext(), t.ID); err != nil {
		return err
	} else if sus != nil {
		p.Suspended = "Texts, calls, AI and emails are suspended since " + sus.Since.Format("Jan 2, 2006") + ": invoice " + sus.Number + " is unpaid. Pay it below (or update your card) to resume at once."
	}
	switch c.Query("card") {
	case "saved":
		p.Notice = "Stripe has your card: it shows here as soon as Stripe confirms it."
	case "cancelled":
		p.Notice = "The card update was cancelled: nothing changed."
	}
	return s.Render(c, "portal/billing", p)
}

type tenantRow struct {
	T *app.Tenant
	S *summaryView
	// PlanID is the plan the tenant is on (0: none).
	PlanID int64
}

type nexusPage struct {
	web.Layout
	Rows   []tenantRow
	Plans  []*billing.Plan
	Errors map[string]string
	// ErrTenant is the tenant a form error belongs to.
	ErrTenant int64
}

func (s *Handler) handleNexus(c *fiber.Ctx) error { return s.renderNexus(c, &nexusPage{}) }

func (s *Handler) renderNexus(c *fiber.Ctx, p *nexusPage) error {
	ctx := c.UserContext()
	ts, err := s.Tenants.ListTenants(ctx)
	if err != nil {
		return err
	}
	if p.Plans, err = s.Billing.Plans(ctx); err != nil {
		return err
	}
	for _, t := range ts {
		if t.House {
			continue
		}
		sum, err := s.Billing.Summary(ctx, t.ID)
		if err != nil {
			return err
		}
		row := tenantRow{T: t, S: view(sum)}
		if err := s.withInvoices(c, row.S, t.ID, "/billing/tenants/"+strconv.FormatInt(t.ID, 10)+"/invoices/"); err != nil {
			return err
		}
		if sum.Subscription != nil {
			row.PlanID = sum.Subscription.PlanID
		}
		p.Rows = append(p.Rows, row)
	}
	p.Layout = s.Layout(c, web.HostNexus, "Billing")
	for _, r := range p.Rows {
		r.S.CSRF = p.CSRF
		if s.Payments != nil {
			r.S.RechargeAction = "/billing/tenants/" + strconv.FormatInt(r.T.ID, 10) + "/recharge"
		}
	}
	return s.Render(c, "nexus/billing", p)
}

func (s *Handler) tenantParam(c *fiber.Ctx) (*app.Tenant, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, err
	}
	t, err := s.Tenants.TenantByID(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if t.House {
		return nil, app.Errorf(app.ENOTFOUND, "Not found.")
	}
	return t, nil
}

func (s *Handler) tenantAction(c *fiber.Ctx, field string, fn func(t *app.Tenant, g func(string) string) (string, error)) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	msg, err := fn(t, web.FormGetter(c))
	if err != nil {
		return web.FormError(c, err, field, func(e map[string]string) error { return s.renderNexus(c, &nexusPage{Errors: e, ErrTenant: t.ID}) })
	}
	s.SetFlash(c, "ok", msg)
	return c.Redirect("/billing#tenant-"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleAssign(c *fiber.Ctx) error {
	return s.tenantAction(c, "plan_id", func(t *app.Tenant, g func(string) string) (string, error) {
		id, _ := strconv.ParseInt(g("plan_id"), 10, 64)
		sub, err := s.Billing.Assign(c.UserContext(), t.ID, id)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s is on %s.", t.BrandName(), sub.Plan.Name), nil
	})
}

func (s *Handler) handleTopUp(c *fiber.Ctx) error {
	return s.tenantAction(c, "amount", func(t *app.Tenant, g func(string) string) (string, error) {
		m, err := billing.ParseDollars("amount", g("amount"))
		if err != nil {
			return "", err
		}
		if _, err := s.Billing.TopUp(c.UserContext(), t.ID, m, g("ref"), g("note")); err != nil {
			return "", err
		}
		return fmt.Sprintf("Added %s to %s's wallet.", billing.FormatMicros(m), t.BrandName()), nil
	})
}

func (s *Handler) handleTax(c *fiber.Ctx) error {
	return s.tenantAction(c, "tax_rate", func(t *app.Tenant, g func(string) string) (string, error) {
		f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(g("tax_rate")), "%"), 64)
		if err != nil {
			return "", app.FieldErrorf("tax_rate", "Enter a tax rate in percent, like 8.25.")
		}
		if err := s.Billing.SetTaxRate(c.UserContext(), t.ID, int(f*100+0.5)); err != nil {
			return "", err
		}
		return fmt.Sprintf("Tax rate of %s saved.", t.BrandName()), nil
	})
}

// planForm is the plan form as posted (and shown again after an error).
type planForm struct {
	Name, Interval, Price, TrialDays, Markup string
	Wallet, Active                           bool
	Included, Overage                        map[string]string
	// Modules are the portal modules checked (the plan includes them).
	Modules map[string]bool
}

// moduleViews are the plan form's module checkboxes.
func moduleViews() []categoryView {
	var out []categoryView
	for _, m := range billing.Modules {
		out = append(out, categoryView{m.Key, m.Label})
	}
	return out
}

// allModules is a new plan's modules: every one.
func allModules() map[string]bool {
	out := map[string]bool{}
	for _, m := range billing.Modules {
		out[m.Key] = true
	}
	return out
}

type categoryView struct{ Key, Label string }

func categories() []categoryView {
	var out []categoryView
	for _, c := range billing.Categories {
		out = append(out, categoryView{c, billing.CategoryLabel(c)})
	}
	return out
}

func formOf(p *billing.Plan) planForm {
	f := planForm{Name: p.Name, Interval: p.Interval, Price: billing.DollarsInput(p.PriceMicros), TrialDays: strconv.Itoa(p.TrialDays),
		Markup: strconv.Itoa(p.MarkupPct), Wallet: p.Wallet, Active: p.Active, Included: map[string]string{}, Overage: map[string]string{}, Modules: map[string]bool{}}
	for _, m := range p.IncludedModules() {
		f.Modules[m] = true
	}
	for k, v := range p.Included {
		f.Included[k] = strconv.FormatInt(v, 10)
	}
	for k, v := range p.Overage {
		f.Overage[k] = billing.DollarsInput(v)
	}
	return f
}

func readPlanForm(c *fiber.Ctx) (planForm, *billing.Plan, error) {
	g := web.FormGetter(c)
	f := planForm{Name: g("name"), Interval: g("interval"), Price: g("price"), TrialDays: g("trial_days"), Markup: g("markup_pct"),
		Wallet: g("wallet") == "1", Active: g("active") == "1", Included: map[string]string{}, Overage: map[string]string{}, Modules: map[string]bool{}}
	p := &billing.Plan{Name: f.Name, Interval: f.Interval, Wallet: f.Wallet, Active: f.Active, Included: map[string]int64{}, Overage: map[string]int64{}}
	for _, m := range billing.Modules {
		if g("module_"+m.Key) == "1" {
			f.Modules[m.Key] = true
		} else {
			p.ModulesOff = append(p.ModulesOff, m.Key)
		}
	}
	var err error
	if p.PriceMicros, err = billing.ParseDollars("price", f.Price); err != nil {
		return f, nil, err
	}
	num := func(field, v string) (int, error) {
		if strings.TrimSpace(v) == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, app.FieldErrorf(field, "Enter a whole number.")
		}
		return n, nil
	}
	if p.TrialDays, err = num("trial_days", f.TrialDays); err != nil {
		return f, nil, err
	}
	if p.MarkupPct, err = num("markup_pct", f.Markup); err != nil {
		return f, nil, err
	}
	for _, cat := range billing.Categories {
		inc, over := g("included_"+cat), g("overage_"+cat)
		f.Included[cat], f.Overage[cat] = inc, over
		if n, err := num("included", inc); err != nil {
			return f, nil, err
		} else if n > 0 {
			p.Included[cat] = int64(n)
		}
		if strings.TrimSpace(over) != "" {
			m, err := billing.ParseDollars("overage", over)
			if err != nil {
				return f, nil, err
			}
			p.Overage[cat] = m
		}
	}
	return f, p, nil
}

type plansPage struct {
	web.Layout
	Plans      []*planView
	Form       planForm
	Errors     map[string]string
	Categories []categoryView
	Modules    []categoryView
	// Plan is the plan edited (nil: the list with the new-plan form).
	Plan *planView
}

type planView struct {
	ID                                             int64
	Name, Interval, Price, Trial, Markup, Included string
	// Modules says which portal modules the plan's tenants see.
	Modules        string
	Wallet, Active bool
}

func planViewOf(p *billing.Plan) *planView {
	var inc []string
	for _, c := range billing.Categories {
		if n := p.Included[c]; n > 0 {
			inc = append(inc, qty(n)+" "+billing.CategoryLabel(c))
		}
	}
	return &planView{ID: p.ID, Name: p.Name, Interval: p.Interval, Price: billing.FormatMicros(p.PriceMicros), Trial: strconv.Itoa(p.TrialDays),
		Markup: strconv.Itoa(p.MarkupPct), Included: strings.Join(inc, ", "), Modules: modulesText(p), Wallet: p.Wallet, Active: p.Active}
}

// modulesText says which portal modules a plan includes ("All", or
// "All but Courses & community, Federal contracting").
func modulesText(p *billing.Plan) string {
	if len(p.ModulesOff) == 0 {
		return "All"
	}
	var off []string
	for _, m := range billing.Modules {
		if !p.Includes(m.Key) {
			off = append(off, m.Label)
		}
	}
	if len(off) == len(billing.Modules) {
		return "Core only (no modules)"
	}
	return "All but " + strings.Join(off, ", ")
}

func (s *Handler) renderPlans(c *fiber.Ctx, p *plansPage) error {
	ps, err := s.Billing.Plans(c.UserContext())
	if err != nil {
		return err
	}
	for _, pl := range ps {
		p.Plans = append(p.Plans, planViewOf(pl))
	}
	p.Categories, p.Modules = categories(), moduleViews()
	title := "Billing › Plans"
	if p.Plan != nil {
		title = "Plan " + p.Plan.Name
	}
	p.Layout = s.Layout(c, web.HostNexus, title)
	return s.Render(c, "nexus/billing_plans", p)
}

func (s *Handler) handlePlans(c *fiber.Ctx) error {
	return s.renderPlans(c, &plansPage{Form: planForm{Interval: billing.Month, Active: true, Markup: "20", Modules: allModules()}})
}

func (s *Handler) handlePlanCreate(c *fiber.Ctx) error {
	f, p, err := readPlanForm(c)
	if err == nil {
		err = s.Billing.CreatePlan(c.UserContext(), p)
	}
	if err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error { return s.renderPlans(c, &plansPage{Form: f, Errors: e}) })
	}
	s.SetFlash(c, "ok", "Plan "+p.Name+" created.")
	return c.Redirect("/billing/plans", fiber.StatusSeeOther)
}

func (s *Handler) handlePlan(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.Billing.Plan(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.renderPlans(c, &plansPage{Plan: planViewOf(p), Form: formOf(p)})
}

func (s *Handler) handlePlanUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	cur, err := s.Billing.Plan(c.UserContext(), id)
	if err != nil {
		return err
	}
	f, p, err := readPlanForm(c)
	if err == nil {
		p.ID = id
		err = s.Billing.UpdatePlan(c.UserContext(), p)
	}
	if err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error {
			return s.renderPlans(c, &plansPage{Plan: planViewOf(cur), Form: f, Errors: e})
		})
	}
	s.SetFlash(c, "ok", "Plan "+p.Name+" saved.")
	return c.Redirect("/billing/plans", fiber.StatusSeeOther)
}

// sendPDF answers an invoice of tenant t as PDF in the agency's brand.
func (s *Handler) sendPDF(c *fiber.Ctx, t *app.Tenant, param string) error {
	id, err := web.ParamID(c, param)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	house, err := s.Tenants.TenantByID(ctx, app.HouseTenantID)
	if err != nil {
		return err
	}
	data, inv, err := s.Billing.InvoicePDF(ctx, t.ID, id, billing.Brand{Name: house.BrandName(), Color: house.PrimaryColor, SupportEmail: house.SupportEmail}, t.BrandName())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+inv.Number+`.pdf"`)
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(data)
}

func (s *Handler) handlePortalPDF(c *fiber.Ctx) error {
	t := web.Tenant(c)
	if t == nil {
		return app.Errorf(app.EUNAUTHORIZED, "Sign in.")
	}
	return s.sendPDF(c, t, "id")
}

func (s *Handler) handleNexusPDF(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	return s.sendPDF(c, t, "inv")
}

func (s *Handler) handleCloseNow(c *fiber.Ctx) error {
	return s.tenantAction(c, "invoice", func(t *app.Tenant, g func(string) string) (string, error) {
		inv, err := s.Billing.CloseNow(c.UserContext(), t.ID)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Invoice %s issued to %s: %s.", inv.Number, t.BrandName(), billing.FormatMicros(inv.TotalMicros)), nil
	})
}

func (s *Handler) handleCredit(c *fiber.Ctx) error {
	return s.tenantAction(c, "amount", func(t *app.Tenant, g func(string) string) (string, error) {
		id, err := web.ParamID(c, "inv")
		if err != nil {
			return "", err
		}
		m, err := billing.ParseDollars("amount", g("amount"))
		if err != nil {
			return "", err
		}
		cn, err := s.Billing.CreditNote(c.UserContext(), t.ID, id, m, g("reason"))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Credit note %s issued to %s.", cn.Number, t.BrandName()), nil
	})
}

// handlePortalCard sends the client's owner to Stripe Checkout to save or
// replace its card; Stripe brings it back to /billing.
func (s *Handler) handlePortalCard(c *fiber.Ctx) error {
	t := web.Tenant(c)
	if t == nil {
		return app.Errorf(app.EUNAUTHORIZED, "Sign in.")
	}
	if err := web.RequireOwner(c, "update the card"); err != nil {
		return err
	}
	email := ""
	if u := web.User(c); u != nil {
		email = u.Email
	}
	back := c.BaseURL() + "/billing"
	u, err := s.Payments.StartCardSetup(c.UserContext(), t.ID, t.BrandName(), email, back+"?card=saved", back+"?card=cancelled")
	if app.ErrorCode(err) == app.EINVALID {
		s.SetFlash(c, "error", app.ErrorMessage(err))
		return c.Redirect("/billing", fiber.StatusSeeOther)
	} else if err != nil {
		return err
	}
	return c.Redirect(u, fiber.StatusSeeOther)
}

// payMessage is the flash after a charge.
func payMessage(p *billing.Payment, number string) (kind, msg string) {
	switch p.Status {
	case billing.PaymentSucceeded:
		return "ok", "Paid " + number + ": " + billing.FormatMicros(p.AmountMicros) + "."
	case billing.PaymentFailed:
		return "error", "The payment of " + number + " failed: " + p.Message
	}
	return "ok", "Stripe is processing the payment of " + number + "."
}

// handlePortalPay charges one of the client's open invoices to its card.
func (s *Handler) handlePortalPay(c *fiber.Ctx) error {
	t := web.Tenant(c)
	if t == nil {
		return app.Errorf(app.EUNAUTHORIZED, "Sign in.")
	}
	if err := web.RequireOwner(c, "pay invoices"); err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	inv, err := s.Billing.Invoice(c.UserContext(), t.ID, id)
	if err != nil {
		return err
	}
	p, err := s.Payments.PayInvoice(c.UserContext(), t.ID, id)
	if code := app.ErrorCode(err); code == app.EINVALID || code == app.ECONFLICT {
		s.SetFlash(c, "error", app.ErrorMessage(err))
		return c.Redirect("/billing", fiber.StatusSeeOther)
	} else if err != nil {
		return err
	}
	kind, msg := payMessage(p, inv.Number)
	s.SetFlash(c, kind, msg)
	return c.Redirect("/billing", fiber.StatusSeeOther)
}

// handleNexusPay charges a client's open invoice to its saved card.
func (s *Handler) handleNexusPay(c *fiber.Ctx) error {
	return s.tenantAction(c, "payment", func(t *app.Tenant, g func(string) string) (string, error) {
		id, err := web.ParamID(c, "inv")
		if err != nil {
			return "", err
		}
		p, err := s.Payments.PayInvoice(c.UserContext(), t.ID, id)
		if err != nil {
			return "", err
		}
		_, msg := payMessage(p, "invoice "+strconv.FormatInt(id, 10)+" of "+t.BrandName())
		return msg, nil
	})
}
