package billing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// Dunning: an invoice whose charge failed is charged again on the days of
// the retry schedule (counted from the first failure), the client is
// emailed after each failed charge, and after SuspendAfterDays its
// usage-heavy steps (texts, calls, AI, emails) stop with a message, as an
// empty wallet stops them, until the invoice is paid.

// DunningSettings are the agency's dunning rules.
type DunningSettings struct {
	RetryDays        []int // days after the first failure, increasing
	Email            bool
	SuspendAfterDays int // 0: never
	UpdatedAt        time.Time
}

// DefaultDunning is used until the agency saves its own.
var DefaultDunning = DunningSettings{RetryDays: []int{3, 5, 7}, Email: true, SuspendAfterDays: 14}

// RetryText is the schedule as typed ("3, 5, 7").
func (d DunningSettings) RetryText() string {
	var s []string
	for _, n := range d.RetryDays {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, ", ")
}

// ParseRetryDays reads "3, 5, 7". Returns EINVALID naming retry_days.
func ParseRetryDays(v string) ([]int, error) {
	bad := app.FieldErrorf("retry_days", "Enter the retry days as increasing numbers of days after the first failure, like 3, 5, 7 (at most 10, each 1-90).")
	var out []int
	for f := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 90 || (len(out) > 0 && n <= out[len(out)-1]) {
			return nil, bad
		}
		out = append(out, n)
	}
	if len(out) > 10 {
		return nil, bad
	}
	return out, nil
}

// Overdue is an open invoice whose latest charge failed.
type Overdue struct {
	TenantID     int64
	InvoiceID    int64
	Number       string
	Attempts     int       // charges made
	FirstFailure time.Time // when the first charge was made
	Message      string    // the latest failure's reason
	Suspended    bool
}

// Suspension is a tenant's usage stopped for an unpaid invoice.
type Suspension struct {
	TenantID  int64
	InvoiceID int64
	Number    string
	Since     time.Time
}

// DunningStore keeps the dunning settings, notices and suspensions.
type DunningStore interface {
	DunningSettings(ctx context.Context) (*DunningSettings, error) // nil: never saved
	SaveDunningSettings(ctx context.Context, d *DunningSettings) error
	// OverdueInvoices lists the open invoices whose latest charge failed.
	OverdueInvoices(ctx context.Context) ([]*Overdue, error)
	// AddNotice records that step was emailed for the invoice; false
	// when it was already.
	AddNotice(ctx context.Context, tenantID, invoiceID int64, step string) (bool, error)
	// Suspend stops the tenant's usage for the invoice (no change when
	// suspended already); the invoice's payment lifts it.
	Suspend(ctx context.Context, tenantID, invoiceID int64) (bool, error)
	// FindSuspension returns the tenant's suspension (nil: none).
	FindSuspension(ctx context.Context, tenantID int64) (*Suspension, error)
}

// Dunning returns the settings in force.
func (p *Payments) Dunning(ctx context.Context) (DunningSettings, error) {
	d, err := p.store.DunningSettings(ctx)
	if err != nil || d == nil {
		return DefaultDunning, err
	}
	return *d, nil
}

// SaveDunning validates and saves the settings. Returns EINVALID naming
// the field.
func (p *Payments) SaveDunning(ctx context.Context, d *DunningSettings) error {
	if d.SuspendAfterDays < 0 || d.SuspendAfterDays > 365 {
		return app.FieldErrorf("suspend_after_days", "Suspend after 0 (never) to 365 days.")
	}
	if len(d.RetryDays) > 10 || !slices.IsSorted(d.RetryDays) || slices.Contains(d.RetryDays, 0) {
		return app.FieldErrorf("retry_days", "Enter the retry days as increasing numbers of days after the first failure, like 3, 5, 7.")
	}
	return p.store.SaveDunningSettings(ctx, d)
}

// Notice is a dunning email to a client: the recipients are its owners.
type Notice struct {
	TenantID int64
	Subject  string
	Text     string
}

// RunDunning does what is due at now: it emails the client about each
// failed charge not emailed yet, charges again the invoices whose next
// retry day has come, and suspends the clients whose invoice has been
// failing SuspendAfterDays. Each email is sent at most once per invoice
// and step. It returns the charges made.
func (p *Payments) RunDunning(ctx context.Context, now time.Time) (int, error) {
	if !p.On() {
		return 0, nil
	}
	ds := p.store
	set, err := p.Dunning(ctx)
	if err != nil {
		return 0, err
	}
	due, err := ds.OverdueInvoices(ctx)
	if err != nil {
		return 0, err
	}
	charged := 0
	for _, o := range due {
		if err := p.notifyFailure(ctx, ds, set, o); err != nil {
			p.warn("billing: dunning email", "tenant", o.TenantID, "invoice", o.Number, "err", err)
		}
		retry := o.Attempts - 1 // retries made
		if retry < len(set.RetryDays) && !now.Before(o.FirstFailure.AddDate(0, 0, set.RetryDays[retry])) {
			pay, err := p.PayInvoice(ctx, o.TenantID, o.InvoiceID)
			if err != nil {
				p.warn("billing: dunning retry", "tenant", o.TenantID, "invoice", o.Number, "err", err)
			} else {
				charged++
				if pay.Status == PaymentFailed {
					o.Attempts, o.Message = pay.Attempt, pay.Message
					if err := p.notifyFailure(ctx, ds, set, o); err != nil {
						p.warn("billing: dunning email", "tenant", o.TenantID, "invoice", o.Number, "err", err)
					}
				} else {
					continue
				}
			}
		}
		if set.SuspendAfterDays > 0 && !o.Suspended && !now.Before(o.FirstFailure.AddDate(0, 0, set.SuspendAfterDays)) {
			added, err := ds.Suspend(ctx, o.TenantID, o.InvoiceID)
			if err != nil {
				return charged, err
			}
			if added {
				p.info("billing: usage suspended", "tenant", o.TenantID, "invoice", o.Number)
				if set.Email {
					p.notify(ctx, ds, o, "suspended", "Usage suspended: invoice "+o.Number+" is unpaid",
						fmt.Sprintf("Invoice %s has been unpaid since %s (%s).\n\nTexts, calls, AI and emails are suspended until it is paid. Pay it or update your card under Billing in your portal; they resume at once.",
							o.Number, o.FirstFailure.Format("Jan 2, 2006"), o.Message))
				}
			}
		}
	}
	return charged, nil
}

func (p *Payments) notifyFailure(ctx context.Context, ds DunningStore, set DunningSettings, o *Overdue) error {
	if !set.Email {
		return nil
	}
	next := "No further attempt is scheduled: pay it from the portal."
	if r := o.Attempts - 1; r < len(set.RetryDays) {
		next = "We will try the card again on " + o.FirstFailure.AddDate(0, 0, set.RetryDays[r]).Format("Jan 2, 2006") + "."
	}
	text := fmt.Sprintf("The payment of invoice %s failed: %s\n\n%s Update your card or pay now under Billing in your portal.", o.Number, o.Message, next)
	if set.SuspendAfterDays > 0 {
		text += fmt.Sprintf("\n\nIf it stays unpaid, texts, calls, AI and emails are suspended on %s.", o.FirstFailure.AddDate(0, 0, set.SuspendAfterDays).Format("Jan 2, 2006"))
	}
	p.notify(ctx, ds, o, "failed-"+strconv.Itoa(o.Attempts), "Payment failed: invoice "+o.Number, text)
	return nil
}

// notify emails a notice once per invoice and step (recorded first: at
// most once).
func (p *Payments) notify(ctx context.Context, ds DunningStore, o *Overdue, step, subject, text string) {
	if p.Billing.Notify == nil {
		return
	}
	added, err := ds.AddNotice(ctx, o.TenantID, o.InvoiceID, step)
	if err != nil || !added {
		if err != nil {
			p.warn("billing: dunning notice", "err", err)
		}
		return
	}
	if err := p.Billing.Notify(ctx, o.TenantID, subject, text, nil); err != nil {
		p.warn("billing: dunning email", "tenant", o.TenantID, "step", step, "err", err)
	}
}

// suspended returns the EFORBIDDEN message of a suspended tenant (nil:
// not suspended).
func (s *Service) suspended(ctx context.Context, tenantID int64, category string) error {
	sus, err := s.store.FindSuspension(ctx, tenantID)
	if err != nil || sus == nil {
		return err
	}
	return &app.PermanentError{Err: app.Errorf(app.EFORBIDDEN,
		"Usage is suspended: invoice %s is unpaid. Pay it or update the card under Billing to resume %s.", sus.Number, CategoryLabel(category))}
}

// Suspension returns the tenant's suspension (nil: none).
func (s *Service) Suspension(ctx context.Context, tenantID int64) (*Suspension, error) {
	return s.store.FindSuspension(ctx, tenantID)
}
