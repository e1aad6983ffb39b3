// Package billing is the agency's billing of its clients (issue #23): the
// usage ledger (every billable text, call minute, AI token and email of a
// tenant, recorded once with its source's id, costed by the provider or
// the price table, rolled up per tenant per day), plans, wallets,
// invoices and payments. It holds the domain rules only: no SQL (store),
// no HTTP (ui), no Stripe (stripe/).
//
// Amounts are integers in millionths of a US dollar ("micros"), as the
// agents' usage is, so sums never round.
package billing

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"orengen/app"
)

// Usage categories.
const (
	SMS          = "sms"
	MMS          = "mms"
	VoiceMinutes = "voice_minutes"
	AITokens     = "ai_tokens"
	Email        = "email"
	Storage      = "storage"
	Contacts     = "contacts"
)

// Categories lists every usage category in display order.
var Categories = []string{SMS, MMS, VoiceMinutes, AITokens, Email, Storage, Contacts}

// CategoryLabel is the user-facing name of a category.
func CategoryLabel(c string) string {
	switch c {
	case SMS:
		return "SMS segments"
	case MMS:
		return "MMS"
	case VoiceMinutes:
		return "Voice minutes"
	case AITokens:
		return "AI tokens"
	case Email:
		return "Emails"
	case Storage:
		return "Storage (MB-days)"
	case Contacts:
		return "Active contacts"
	}
	return c
}

// ValidCategory reports whether c is a usage category.
func ValidCategory(c string) bool { return slices.Contains(Categories, c) }

// Sources of usage events.
const (
	SourceTwilio = "twilio"
	SourceMail   = "mail"
	SourceAgents = "agents"
)

// Cost sources.
const (
	CostProvider   = "provider"
	CostPriceTable = "price_table"
)

// Event is one billable use, recorded once per (tenant, source,
// source id).
type Event struct {
	ID       int64
	TenantID int64
	Category string
	Source   string
	SourceID string
	Detail   string
	Quantity int64
	// CostMicros is the provider's cost when CostSource is
	// CostProvider; Record fills it from the price table otherwise.
	CostMicros int64
	CostSource string
	Day        string // YYYY-MM-DD (UTC); Record sets it
	CreatedAt  time.Time
	// WalletDebitMicros, when positive, is taken from the tenant's
	// wallet in the transaction that records the event (Record sets it
	// for a plan that pays usage from the wallet).
	WalletDebitMicros int64
}

// Validate checks an event before it is recorded (EINVALID naming the
// field).
func (e *Event) Validate() error {
	switch {
	case e.TenantID <= 0:
		return app.FieldErrorf("tenant_id", "Tenant required.")
	case !ValidCategory(e.Category):
		return app.FieldErrorf("category", "Unknown usage category %q.", e.Category)
	case e.Source == "" || len(e.Source) > 40:
		return app.FieldErrorf("source", "Source required (at most 40 characters).")
	case e.SourceID == "" || len(e.SourceID) > 200:
		return app.FieldErrorf("source_id", "Source id required (at most 200 characters).")
	case e.Quantity < 0:
		return app.FieldErrorf("quantity", "Quantity must not be negative.")
	case e.CostMicros < 0:
		return app.FieldErrorf("cost_micros", "Cost must not be negative.")
	}
	return nil
}

// Price is a line of the price table: UnitMicros per Per units.
type Price struct {
	Category   string
	UnitMicros int64
	Per        int64
	UpdatedAt  time.Time
}

// Cost is the price of quantity units, rounded up to a whole micro.
func (p *Price) Cost(quantity int64) int64 {
	per := max(p.Per, 1)
	return (quantity*p.UnitMicros + per - 1) / per
}

// DayUsage is one line of the per tenant per day rollup.
type DayUsage struct {
	TenantID   int64
	Day        string
	Category   string
	Quantity   int64
	CostMicros int64
	Events     int64
}

// UsageTotal sums a tenant's usage of one category over a period.
type UsageTotal struct {
	Category   string
	Quantity   int64
	CostMicros int64
	Events     int64
}

// Store keeps the ledger.
type Store interface {
	// RecordUsage inserts e and adds it to the day's rollup in one
	// transaction; recorded is false (and nothing changes) when the
	// tenant already has an event with e's source and source id.
	RecordUsage(ctx context.Context, e *Event) (recorded bool, err error)
	// Prices returns the price table.
	Prices(ctx context.Context) ([]*Price, error)
	// SavePrice replaces a line of the price table.
	SavePrice(ctx context.Context, p *Price) error
	// DailyUsage returns a tenant's rollup for days in [from, to]
	// (YYYY-MM-DD), by day then category.
	DailyUsage(ctx context.Context, tenantID int64, from, to string) ([]*DayUsage, error)
	// UsageTotals sums a tenant's rollup over [from, to] per category.
	UsageTotals(ctx context.Context, tenantID int64, from, to string) ([]*UsageTotal, error)
	// PeriodUsageTotals sums a tenant's usage recorded in the instants
	// [from, to) per category: the rollup for the whole days inside, the
	// events themselves for the days the bounds cut, so periods that meet
	// mid-day never count that day twice.
	PeriodUsageTotals(ctx context.Context, tenantID int64, from, to time.Time) ([]*UsageTotal, error)

	// CreatePlan returns ECONFLICT when the name is taken.
	CreatePlan(ctx context.Context, p *Plan) error
	// UpdatePlan returns ENOTFOUND or ECONFLICT.
	UpdatePlan(ctx context.Context, p *Plan) error
	FindPlans(ctx context.Context) ([]*Plan, error)
	// FindPlan returns ENOTFOUND.
	FindPlan(ctx context.Context, id int64) (*Plan, error)
	// FindSubscription returns the tenant's subscription with its Plan,
	// or ENOTFOUND.
	FindSubscription(ctx context.Context, tenantID int64) (*Subscription, error)
	// ChangeSubscription calls fn with the tenant's subscription (nil:
	// none) inside a write transaction and saves what it returns (nil
	// next: nothing) with the adjustment, all or nothing.
	ChangeSubscription(ctx context.Context, tenantID int64, fn PlanChange) error
	// OpenAdjustments returns the tenant's adjustments not yet invoiced.
	OpenAdjustments(ctx context.Context, tenantID int64) ([]*Adjustment, error)

	// FindWallet returns the tenant's wallet (a zero one when it has
	// none).
	FindWallet(ctx context.Context, tenantID int64) (*Wallet, error)
	// AddWalletEntry appends e and moves the balance by its amount in one
	// transaction; added is false when the tenant has an entry of that
	// kind and ref already.
	AddWalletEntry(ctx context.Context, e *WalletEntry) (added bool, err error)
	FindWalletEntries(ctx context.Context, tenantID int64, limit int) ([]*WalletEntry, error)

	// DueSubscriptions returns up to limit subscriptions (with plans)
	// whose period ended at or before now, not cancelled.
	DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]*Subscription, error)
	// IssueInvoice numbers and saves inv in one transaction with the
	// adjustments it took (marked invoiced) and, when next is set, the
	// subscription moved from cur's period to next's (ECONFLICT when it
	// moved meanwhile or the period is invoiced already).
	IssueInvoice(ctx context.Context, inv *Invoice, adjustmentIDs []int64, cur, next *Subscription) error
	FindInvoices(ctx context.Context, tenantID int64) ([]*Invoice, error)
	// FindInvoice returns the tenant's document with its lines, or
	// ENOTFOUND.
	FindInvoice(ctx context.Context, tenantID, id int64) (*Invoice, error)
	// CreditedMicros sums the credit notes of an invoice (positive).
	CreditedMicros(ctx context.Context, invoiceID int64) (int64, error)

	// FindSuspension returns the tenant's usage suspension for an unpaid
	// invoice (nil: none).
	FindSuspension(ctx context.Context, tenantID int64) (*Suspension, error)

	// The daily meter (daily.go) and the revenue dashboard (revenue.go)
	// read through the same store.
	MeterStore
	RevenueStore
}

// Service is billing's use cases.
type Service struct {
	store  Store
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Gate, when set, refuses a usage-heavy step of a tenant (an error
	// with a message for the user) before it is sent.
	Gate func(ctx context.Context, tenantID int64, category string) error
	// Notify emails a client's owners from the agency (invoices, dunning;
	// nil: no email).
	Notify func(ctx context.Context, tenantID int64, subject, text string, attachments []app.Attachment) error
	// BrandOf returns who issues a tenant's documents (the agency) and
	// the client's name on them (nil: invoices are not emailed).
	BrandOf func(ctx context.Context, tenantID int64) (Brand, string, error)
	// AfterDebit, when set, is called after a recorded usage event was
	// debited from the tenant's wallet (Payments.AfterDebit: the
	// auto-recharge).
	AfterDebit func(ctx context.Context, tenantID int64)
	// RenderPDF renders an invoice as PDF (invoicepdf; nil: no PDFs).
	RenderPDF func(inv *Invoice, b Brand, client string) ([]byte, error)
}

// NewService returns billing's use cases over st; the caller sets the
// optional fields (Logger, Now, Gate, Notify, BrandOf, AfterDebit,
// RenderPDF).
func NewService(st Store) *Service { return &Service{store: st} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Record validates e, costs it from the price table unless the provider
// reported its cost, and records it once. recorded is false for a
// duplicate (same tenant, source and source id), which changes nothing.
// Returns EINVALID naming the field.
func (s *Service) Record(ctx context.Context, e *Event) (recorded bool, err error) {
	if e.CostSource == "" {
		e.CostSource = CostPriceTable
	}
	if err := e.Validate(); err != nil {
		return false, err
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	e.Day = e.CreatedAt.UTC().Format("2006-01-02")
	if e.CostSource == CostPriceTable {
		p, err := s.price(ctx, e.Category)
		if err != nil {
			return false, err
		}
		e.CostMicros = p.Cost(e.Quantity)
	}
	sub, err := s.store.FindSubscription(ctx, e.TenantID)
	switch {
	case err == nil && sub.Plan.Wallet && sub.Status != Cancelled:
		e.WalletDebitMicros = sub.Plan.UsagePrice(e.Category, e.Quantity, e.CostMicros)
	case err != nil && app.ErrorCode(err) != app.ENOTFOUND:
		return false, err
	}
	recorded, err = s.store.RecordUsage(ctx, e)
	if err != nil {
		return false, fmt.Errorf("record usage: %w", err)
	}
	if recorded && e.WalletDebitMicros > 0 && s.AfterDebit != nil {
		s.AfterDebit(ctx, e.TenantID)
	}
	return recorded, nil
}

// price returns the price table's line for category (a zero price when
// it has none).
func (s *Service) price(ctx context.Context, category string) (*Price, error) {
	ps, err := s.store.Prices(ctx)
	if err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	for _, p := range ps {
		if p.Category == category {
			return p, nil
		}
	}
	return &Price{Category: category, Per: 1}, nil
}

// Prices returns the price table in category order.
func (s *Service) Prices(ctx context.Context) ([]*Price, error) {
	ps, err := s.store.Prices(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ps, func(a, b *Price) int {
		return slices.Index(Categories, a.Category) - slices.Index(Categories, b.Category)
	})
	return ps, nil
}

// SavePrice changes a line of the price table. Returns EINVALID naming
// the field.
func (s *Service) SavePrice(ctx context.Context, p *Price) error {
	switch {
	case !ValidCategory(p.Category):
		return app.FieldErrorf("category", "Unknown usage category %q.", p.Category)
	case p.UnitMicros < 0:
		return app.FieldErrorf("unit_micros", "Price must not be negative.")
	case p.Per <= 0:
		return app.FieldErrorf("per", "Units per price must be at least 1.")
	}
	return s.store.SavePrice(ctx, p)
}

// DailyUsage returns a tenant's usage per day and category in [from, to].
func (s *Service) DailyUsage(ctx context.Context, tenantID int64, from, to time.Time) ([]*DayUsage, error) {
	return s.store.DailyUsage(ctx, tenantID, day(from), day(to))
}

// UsageTotals returns a tenant's usage per category in [from, to].
func (s *Service) UsageTotals(ctx context.Context, tenantID int64, from, to time.Time) ([]*UsageTotal, error) {
	return s.store.UsageTotals(ctx, tenantID, day(from), day(to))
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// FormatMicros shows an amount of micros as dollars ("$1.23"; amounts
// under a cent keep their digits: "$0.0079").
func FormatMicros(m int64) string {
	neg := m < 0
	if neg {
		m = -m
	}
	s := fmt.Sprintf("%d.%06d", m/1e6, m%1e6)
	s = strings.TrimRight(s, "0")
	if i := strings.IndexByte(s, '.'); len(s)-i-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-i-1))
	}
	if neg {
		return "-$" + s
	}
	return "$" + s
}

// ParseDollars reads an amount typed in dollars ("30", "$1,250.50",
// "0.0079") as micros. Returns EINVALID naming field.
func ParseDollars(field, s string) (int64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(strings.TrimPrefix(strings.TrimSpace(s), "$"), ",", ""))
	bad := app.FieldErrorf(field, "Enter an amount in dollars, like 29.99.")
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 6 || len(whole) > 9 {
		return 0, bad
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, bad
		}
	}
	var m int64
	for _, r := range whole {
		m = m*10 + int64(r-'0')
	}
	m *= 1e6
	frac += strings.Repeat("0", 6-len(frac))
	var f int64
	for _, r := range frac {
		f = f*10 + int64(r-'0')
	}
	return m + f, nil
}

// DollarsInput shows micros for an input field ("30", "0.0079").
func DollarsInput(m int64) string { return strings.TrimPrefix(FormatMicros(m), "$") }
