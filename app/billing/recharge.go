package billing

import (
	"context"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// Wallet auto-recharge (issue #23): a tenant sets a threshold and an
// amount; when a usage debit takes its wallet under the threshold, the
// amount is charged to its saved card off-session and, once paid,
// credited to the wallet. Each attempt is a Recharge whose id is the
// idempotency key of the processor's charge; the store keeps at most one
// in flight per tenant, so concurrent debits charge once. The wallet is
// credited once per recharge (the entry's ref is "recharge:<id>"), by the
// synchronous answer or by the processor's payment_intent.succeeded event,
// whichever comes first. A failed recharge is kept with its reason for
// the tenant to see, and not retried automatically until the card or the
// settings change, or RechargeRetryAfter has passed.

// Recharge limits.
const (
	MinRechargeMicros  = 5_000_000       // $5.00
	MaxRechargeMicros  = 10_000_000_000  // $10,000
	RechargeRetryAfter = 24 * time.Hour  // after a failure
	rechargeStaleAfter = 2 * time.Minute // a charge without an answer is asked again (same key)
)

// Recharge is one automatic top-up of a wallet charged to the card.
type Recharge struct {
	ID           int64
	TenantID     int64
	AmountMicros int64
	Currency     string
	Status       string // PaymentPending, PaymentProcessing, PaymentSucceeded, PaymentFailed
	IntentID     string
	Message      string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// IdempotencyKey is the key of the processor's charge for this recharge.
func (r *Recharge) IdempotencyKey() string { return "orengen-recharge-" + strconv.FormatInt(r.ID, 10) }

// WalletRef is the ref of the wallet entry that credits this recharge.
func (r *Recharge) WalletRef() string { return "recharge:" + strconv.FormatInt(r.ID, 10) }

// RechargeStart is what StartRecharge decides from the wallet, inside its
// transaction.
type RechargeStart struct {
	Now         time.Time
	StaleBefore time.Time // a pending recharge older than this is asked again
	RetryBefore time.Time // a failure newer than this (and than the card and settings) blocks
}

// SetAutoRecharge saves the tenant's auto-recharge: when a usage debit
// takes the wallet under belowMicros, amountMicros is charged to the card
// on file (both 0: off). Turning it on needs payments and a card (ECONFLICT
// "No card on file ..." otherwise); a wallet under the threshold already
// is recharged now (the returned recharge, nil when none was started).
// Returns EINVALID naming recharge_below or recharge_amount.
func (p *Payments) SetAutoRecharge(ctx context.Context, tenantID, belowMicros, amountMicros int64) (*Recharge, error) {
	switch {
	case belowMicros < 0 || belowMicros > MaxRechargeMicros:
		return nil, app.FieldErrorf("recharge_below", "The threshold must be between 0 and 10,000 dollars.")
	case amountMicros == 0 && belowMicros == 0:
	case amountMicros < MinRechargeMicros || amountMicros > MaxRechargeMicros:
		return nil, app.FieldErrorf("recharge_amount", "The recharge amount must be between 5 and 10,000 dollars (0 with a threshold of 0 turns auto-recharge off).")
	case belowMicros == 0:
		return nil, app.FieldErrorf("recharge_below", "Set a threshold above 0: the wallet is recharged when its balance falls under it.")
	}
	if amountMicros > 0 {
		if !p.On() {
			return nil, app.Errorf(app.EINVALID, "Auto-recharge needs card payments: the agency has to connect Stripe first.")
		}
		c, err := p.Customer(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		if !c.HasCard() {
			return nil, app.Errorf(app.ECONFLICT, "No card on file: add a card under Billing (Add a card) first, then turn on auto-recharge.")
		}
	}
	if err := p.store.SetAutoRecharge(ctx, tenantID, belowMicros, amountMicros); err != nil {
		return nil, err
	}
	if amountMicros == 0 {
		return nil, nil
	}
	return p.AutoRecharge(ctx, tenantID)
}

// AfterDebit is billing's hook after a usage debit of a tenant's wallet
// (Service.AfterDebit): it recharges the wallet when it fell under the
// threshold. A failure is recorded on the recharge and logged, never
// returned to the step that used the service.
func (p *Payments) AfterDebit(ctx context.Context, tenantID int64) {
	if _, err := p.AutoRecharge(ctx, tenantID); err != nil {
		p.warn("billing: auto-recharge", "tenant", tenantID, "err", err)
	}
}

// AutoRecharge charges the tenant's recharge amount to its card when its
// wallet is under its threshold and no recharge is in flight (nor failed
// recently). It returns the recharge started (nil: none was needed or
// allowed). A processor that gives no answer leaves the recharge pending:
// the next try asks again with the same idempotency key.
func (p *Payments) AutoRecharge(ctx context.Context, tenantID int64) (*Recharge, error) {
	if !p.On() {
		return nil, nil
	}
	w, err := p.Billing.store.FindWallet(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if w.RechargeMicros <= 0 || w.BalanceMicros >= w.RechargeBelowMicros {
		return nil, nil
	}
	now := p.Billing.now()
	r := &Recharge{TenantID: tenantID, Currency: "usd"}
	started, err := p.store.StartRecharge(ctx, r, RechargeStart{Now: now, StaleBefore: now.Add(-rechargeStaleAfter), RetryBefore: now.Add(-RechargeRetryAfter)})
	if err != nil || !started {
		return nil, err
	}
	c, err := p.Customer(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	fail := func(msg string) (*Recharge, error) {
		r.Status, r.Message = PaymentFailed, msg
		return r, p.store.FinishRecharge(ctx, r)
	}
	switch {
	case !c.HasCard():
		return fail("No card on file: add a card under Billing so the wallet can be recharged.")
	case c.Currency != "" && c.Currency != r.Currency:
		return fail("The card's Stripe customer pays in " + strings.ToUpper(c.Currency) + ", but the wallet is in USD: add funds another way.")
	}
	res, err := p.Gateway.Charge(ctx, r.IdempotencyKey(), Charge{CustomerID: c.CustomerID, PaymentMethodID: c.Card.PaymentMethodID,
		AmountCents: r.AmountMicros / 10000, Currency: r.Currency, Description: "Wallet auto-recharge", TenantID: tenantID, RechargeID: r.ID})
	if err != nil {
		return nil, gatewayError("charge the wallet recharge", err)
	}
	r.IntentID, r.Status, r.Message = res.IntentID, res.Status, res.Message
	if err := p.store.FinishRecharge(ctx, r); err != nil {
		return nil, err
	}
	p.info("billing: auto-recharge", "tenant", tenantID, "amount", FormatMicros(r.AmountMicros), "status", r.Status)
	return r, nil
}

// RechargeSettleAfter is how long a recharge may stay processing (the
// processor's event not come) before the processor is asked.
const RechargeSettleAfter = 30 * time.Minute

// SettleRecharges asks the processor about recharges processing for
// longer than RechargeSettleAfter (their webhook lost, or the process
// stopped between the charge and its answer) and applies what it says,
// as its event would have: a paid one credits the wallet once, a failed
// one is kept with its reason; one still processing is left. It returns
// how many changed.
func (p *Payments) SettleRecharges(ctx context.Context) (int, error) {
	if !p.On() {
		return 0, nil
	}
	rs, err := p.store.FindProcessingRecharges(ctx, p.Billing.now().Add(-RechargeSettleAfter))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rs {
		if r.IntentID == "" {
			continue
		}
		ev, err := p.Gateway.Intent(ctx, r.IntentID)
		if err != nil {
			p.warn("billing: settle a recharge", "tenant", r.TenantID, "recharge", r.ID, "err", err)
			continue
		}
		if ev.Type == "" { // still processing
			continue
		}
		if seen, err := p.store.EventSeen(ctx, ev.ID); err != nil || seen {
			continue
		}
		eff, err := p.rechargeEffect(ctx, ev, r)
		if err != nil {
			return n, err
		}
		if eff.RechargeID == 0 {
			p.warn("billing: recharge not settled", "tenant", r.TenantID, "recharge", r.ID, "why", eff.Result)
			continue
		}
		if applied, err := p.store.ApplyEvent(ctx, ev, eff); err != nil {
			return n, err
		} else if applied {
			n++
			p.info("billing: recharge settled from the processor", "tenant", r.TenantID, "recharge", r.ID, "status", eff.RechargeStatus)
		}
	}
	return n, nil
}

// Recharges lists the tenant's latest recharges, newest first.
func (p *Payments) Recharges(ctx context.Context, tenantID int64, limit int) ([]*Recharge, error) {
	return p.store.FindRecharges(ctx, tenantID, limit)
}

// rechargeOf returns the recharge a payment intent's event is about (nil:
// not a recharge).
func (p *Payments) rechargeOf(ctx context.Context, ev *GatewayEvent) (*Recharge, error) {
	r, err := p.store.FindRechargeByIntent(ctx, ev.IntentID)
	if app.ErrorCode(err) == app.ENOTFOUND && ev.RechargeID != 0 && ev.TenantID != 0 {
		// The intent was created but its answer never recorded: the
		// metadata names our recharge.
		r, err = p.store.FindRecharge(ctx, ev.TenantID, ev.RechargeID)
	}
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, nil
	}
	return r, err
}

// rechargeEffect is what a payment intent's event changes on recharge r.
func (p *Payments) rechargeEffect(ctx context.Context, ev *GatewayEvent, r *Recharge) (*EventEffect, error) {
	eff := &EventEffect{TenantID: r.TenantID, RechargeID: r.ID, IntentID: ev.IntentID}
	if ev.Type == EventPaymentFailed {
		eff.RechargeStatus, eff.Message = PaymentFailed, cmpOr(ev.Message, "The card was declined.")
		eff.Result = "applied: recharge failed"
		return eff, nil
	}
	c, err := p.Customer(ctx, r.TenantID)
	if err != nil {
		return nil, err
	}
	switch {
	case c == nil || (ev.CustomerID != "" && ev.CustomerID != c.CustomerID):
		return &EventEffect{Result: "refused: the intent's customer is not the tenant's"}, nil
	case strings.ToLower(ev.Currency) != r.Currency:
		return &EventEffect{Result: "refused: currency mismatch: paid in " + strings.ToUpper(ev.Currency) + ", recharge in " + strings.ToUpper(r.Currency) + "; not credited"}, nil
	case ev.AmountCents*10000 != r.AmountMicros:
		return &EventEffect{Result: "refused: amount mismatch: paid " + strconv.FormatInt(ev.AmountCents, 10) + " cents, recharge " +
			strconv.FormatInt(r.AmountMicros/10000, 10) + "; not credited"}, nil
	}
	eff.RechargeStatus, eff.Result = PaymentSucceeded, "applied: wallet recharged"
	return eff, nil
}

// RechargeNotice is the line a tenant reads about its latest recharge
// ("" : nothing to say).
func RechargeNotice(r *Recharge) string {
	if r == nil {
		return ""
	}
	when := r.UpdatedAt.Format("Jan 2 15:04 UTC")
	switch r.Status {
	case PaymentSucceeded:
		return "Auto-recharge: " + FormatMicros(r.AmountMicros) + " added to the wallet on " + when + "."
	case PaymentFailed:
		return "Auto-recharge of " + FormatMicros(r.AmountMicros) + " failed on " + when + ": " + r.Message +
			" Update your card (or add funds); auto-recharge tries again when the card or its settings change, or after a day."
	}
	return "Auto-recharge of " + FormatMicros(r.AmountMicros) + " is being charged to the card (since " + when + ")."
}
