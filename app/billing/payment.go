package billing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// Payments (issue #23): issued invoices are paid by the card a client
// saved through the processor's hosted page (Stripe Checkout in setup
// mode), charged off-session with one payment intent per attempt. The
// processor's own invoices are not used: our invoices already carry the
// gapless numbers, the lines and the PDF, and a second set of invoices in
// the processor would have to be kept equal to them. Every write to the
// processor carries an idempotency key derived from our own ids, so a
// retried request never charges twice; the processor's signed events
// settle what the synchronous answers leave open, each applied once (by
// event id) in the transaction that records it.

// Payment states.
const (
	PaymentPending    = "pending" // asked, no answer recorded yet
	PaymentProcessing = "processing"
	PaymentSucceeded  = "succeeded"
	PaymentFailed     = "failed"
)

// Card is the payment method a client saved.
type Card struct {
	PaymentMethodID string
	Brand           string
	Last4           string
}

// Customer is a tenant's customer at the payment processor.
type Customer struct {
	TenantID   int64
	CustomerID string
	Currency   string // lowercase ISO code the processor fixed for it ("" : none yet)
	Card       Card
	// CardAt is when the processor created the event that saved the card:
	// an older event never replaces a newer card.
	CardAt    *time.Time
	UpdatedAt time.Time
}

// HasCard reports whether the customer has a card to charge.
func (c *Customer) HasCard() bool {
	return c != nil && c.CustomerID != "" && c.Card.PaymentMethodID != ""
}

// Payment is one attempt to charge an invoice.
type Payment struct {
	ID           int64
	TenantID     int64
	InvoiceID    int64
	Attempt      int
	IntentID     string
	AmountMicros int64
	Currency     string
	Status       string
	Message      string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// IdempotencyKey is the key of the processor's charge for this attempt.
func (p *Payment) IdempotencyKey() string { return "orengen-payment-" + strconv.FormatInt(p.ID, 10) }

// Charge is what the gateway is asked to collect.
type Charge struct {
	CustomerID      string
	PaymentMethodID string
	AmountCents     int64
	Currency        string // lowercase
	Description     string
	TenantID        int64
	InvoiceID       int64
	PaymentID       int64
	RechargeID      int64 // a wallet auto-recharge (recharge.go) instead of an invoice
}

// ChargeResult is the processor's synchronous answer.
type ChargeResult struct {
	IntentID string
	Status   string // PaymentSucceeded, PaymentProcessing or PaymentFailed
	Message  string // why it failed, for the client and the agency
}

// CardSetupRequest asks for a hosted page where a client saves a card.
type CardSetupRequest struct {
	CustomerID string
	TenantID   int64
	SetupID    int64
	Currency   string
	SuccessURL string
	CancelURL  string
}

// GatewayEvent is a verified event of the processor, reduced to what
// billing reads.
type GatewayEvent struct {
	ID      string
	Type    string
	Created time.Time
	// A payment intent's event.
	IntentID    string
	CustomerID  string
	AmountCents int64
	Currency    string
	Message     string
	TenantID    int64 // from the intent's or session's metadata (0: none)
	InvoiceID   int64
	PaymentID   int64
	RechargeID  int64
	// A Checkout session's event.
	SessionID     string
	SessionMode   string
	SetupIntentID string
}

// Event types billing acts on.
const (
	EventPaymentSucceeded = "payment_intent.succeeded"
	EventPaymentFailed    = "payment_intent.payment_failed"
	EventCheckoutDone     = "checkout.session.completed"
)

// ErrBadSignature is returned by Gateway.ParseEvent for a request that
// is not the processor's (bad or missing signature, stale timestamp).
var ErrBadSignature = errors.New("bad signature")

// Gateway is the payment processor (stripe/). Every write takes an
// idempotency key.
type Gateway interface {
	CreateCustomer(ctx context.Context, idemKey string, tenantID int64, name, email string) (id, currency string, err error)
	CardSetup(ctx context.Context, idemKey string, r CardSetupRequest) (sessionID, url string, err error)
	// SaveCard reads the payment method a setup saved and makes it the
	// customer's default.
	SaveCard(ctx context.Context, idemKey, customerID, setupIntentID string) (Card, error)
	Charge(ctx context.Context, idemKey string, c Charge) (ChargeResult, error)
	// ParseEvent verifies the signature header and decodes the event
	// (ErrBadSignature when it is not the processor's).
	ParseEvent(ctx context.Context, payload []byte, signature string) (*GatewayEvent, error)
	// Intent reads a payment intent as an event of its state now:
	// EventPaymentSucceeded, EventPaymentFailed, or Type "" while it is
	// still processing. ID names the intent and its state, so the same
	// state applies once.
	Intent(ctx context.Context, intentID string) (*GatewayEvent, error)
}

// EventEffect is what one processor event changes, applied in one
// transaction with the record of the event (so a replay changes nothing).
type EventEffect struct {
	TenantID int64
	// Payment moves to PaymentStatus (with Message and IntentID), unless
	// it succeeded already; InvoicePaid marks its invoice paid.
	PaymentID     int64
	PaymentStatus string
	Message       string
	IntentID      string
	InvoicePaid   bool
	// Recharge moves to RechargeStatus (with Message and IntentID) unless
	// it succeeded already; a succeeded one credits the wallet once.
	RechargeID     int64
	RechargeStatus string
	// Card replaces the tenant's card unless a newer event saved one.
	Card *Card
	// Result is what the event log says was done.
	Result string
}

// PaymentStore keeps the customers, payments and processor events.
type PaymentStore interface {
	// FindCustomer returns the tenant's customer (ENOTFOUND: none).
	FindCustomer(ctx context.Context, tenantID int64) (*Customer, error)
	// FindCustomerByID returns the customer with the processor's id
	// (ENOTFOUND).
	FindCustomerByID(ctx context.Context, customerID string) (*Customer, error)
	// SaveCustomer creates or replaces the tenant's customer id and currency.
	SaveCustomer(ctx context.Context, c *Customer) error
	// CreateCardSetup records a card setup asked for and returns its id.
	CreateCardSetup(ctx context.Context, tenantID int64) (int64, error)
	// SetCardSetupSession records the processor's session of a setup.
	SetCardSetupSession(ctx context.Context, id int64, sessionID string) error
	// StartPayment records a new attempt to charge an invoice (the next
	// attempt number), or returns the latest attempt when it is still
	// pending (no answer recorded: the same idempotency key is reused).
	// ECONFLICT when the invoice is paid or an attempt is processing.
	StartPayment(ctx context.Context, p *Payment) error
	// FinishPayment records the processor's answer; a succeeded one marks
	// the invoice paid in the same transaction.
	FinishPayment(ctx context.Context, p *Payment) error
	FindPayments(ctx context.Context, tenantID, invoiceID int64) ([]*Payment, error)
	// FindPaymentByIntent returns the attempt of a processor's intent
	// (ENOTFOUND).
	FindPaymentByIntent(ctx context.Context, intentID string) (*Payment, error)
	// UnchargedInvoices returns up to limit open invoices (tenant id,
	// invoice id) never charged yet whose tenant has a card on file.
	UnchargedInvoices(ctx context.Context, limit int) ([][2]int64, error)
	// EventSeen reports whether the processor's event was applied.
	EventSeen(ctx context.Context, eventID string) (bool, error)
	// SetAutoRecharge saves a tenant's recharge threshold and amount.
	SetAutoRecharge(ctx context.Context, tenantID, belowMicros, amountMicros int64) error
	// StartRecharge records a new pending recharge of the tenant's
	// recharge amount (r gets its id and amount) when, inside the write
	// transaction, its wallet is under the threshold, no recharge is in
	// flight and none failed after st.RetryBefore (unless the card or the
	// settings changed since); or returns the pending one older than
	// st.StaleBefore (asked again with the same key). started is false
	// when nothing is to be charged.
	StartRecharge(ctx context.Context, r *Recharge, st RechargeStart) (started bool, err error)
	// FinishRecharge records the processor's answer (never moving away
	// from succeeded); a succeeded recharge credits the wallet in the same
	// transaction, once.
	FinishRecharge(ctx context.Context, r *Recharge) error
	FindRecharges(ctx context.Context, tenantID int64, limit int) ([]*Recharge, error)
	// FindRecharge and FindRechargeByIntent return ENOTFOUND.
	FindRecharge(ctx context.Context, tenantID, id int64) (*Recharge, error)
	FindRechargeByIntent(ctx context.Context, intentID string) (*Recharge, error)
	// FindProcessingRecharges lists every tenant's recharges still
	// processing that were last updated before before (at most 100).
	FindProcessingRecharges(ctx context.Context, before time.Time) ([]*Recharge, error)
	// ApplyEvent records ev and applies eff in one transaction; applied
	// is false (and nothing changes) when ev was recorded before.
	ApplyEvent(ctx context.Context, ev *GatewayEvent, eff *EventEffect) (applied bool, err error)

	// Dunning (dunning.go) keeps its settings, notices and suspensions
	// through the same store.
	DunningStore
}

// Payments are billing's payment use cases.
type Payments struct {
	Billing *Service
	store   PaymentStore
	Gateway Gateway // nil: payments are off
	Logger  interface {
		Info(msg string, args ...any)
		Warn(msg string, args ...any)
	}
}

// NewPayments returns the payment use cases over st; the caller sets
// Billing, Gateway (nil: payments are off) and Logger.
func NewPayments(st PaymentStore) *Payments { return &Payments{store: st} }

// On reports whether payments are wired.
func (p *Payments) On() bool { return p != nil && p.Gateway != nil }

func (p *Payments) info(msg string, args ...any) {
	if p.Logger != nil {
		p.Logger.Info(msg, args...)
	}
}

func (p *Payments) warn(msg string, args ...any) {
	if p.Logger != nil {
		p.Logger.Warn(msg, args...)
	}
}

// Customer returns the tenant's customer (nil, nil when it has none).
func (p *Payments) Customer(ctx context.Context, tenantID int64) (*Customer, error) {
	c, err := p.store.FindCustomer(ctx, tenantID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, nil
	}
	return c, err
}

// ensureCustomer returns the tenant's customer, creating it at the
// processor (idempotency key from the tenant's id) the first time.
func (p *Payments) ensureCustomer(ctx context.Context, tenantID int64, name, email string) (*Customer, error) {
	c, err := p.Customer(ctx, tenantID)
	if err != nil || c != nil {
		return c, err
	}
	id, cur, err := p.Gateway.CreateCustomer(ctx, "orengen-customer-"+strconv.FormatInt(tenantID, 10), tenantID, name, email)
	if err != nil {
		return nil, gatewayError("create the customer", err)
	}
	c = &Customer{TenantID: tenantID, CustomerID: id, Currency: strings.ToLower(cur)}
	if err := p.store.SaveCustomer(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// StartCardSetup returns the processor's hosted page where the tenant
// saves (or replaces) its card; the processor's checkout.session.completed
// event saves it. Returns EINVALID when payments are off.
func (p *Payments) StartCardSetup(ctx context.Context, tenantID int64, name, email, successURL, cancelURL string) (string, error) {
	if !p.On() {
		return "", app.Errorf(app.EINVALID, "Card payments are not set up: the agency has to connect Stripe first.")
	}
	c, err := p.ensureCustomer(ctx, tenantID, name, email)
	if err != nil {
		return "", err
	}
	id, err := p.store.CreateCardSetup(ctx, tenantID)
	if err != nil {
		return "", err
	}
	sid, u, err := p.Gateway.CardSetup(ctx, "orengen-card-setup-"+strconv.FormatInt(id, 10), CardSetupRequest{
		CustomerID: c.CustomerID, TenantID: tenantID, SetupID: id, Currency: "usd", SuccessURL: successURL, CancelURL: cancelURL})
	if err != nil {
		return "", gatewayError("start the card update", err)
	}
	if err := p.store.SetCardSetupSession(ctx, id, sid); err != nil {
		return "", err
	}
	return u, nil
}

// PayInvoice charges an open invoice to the tenant's saved card now.
// Returns ENOTFOUND, ECONFLICT (paid already, a payment in progress, no
// card on file, nothing to pay) or EINVALID (payments off, a currency the
// customer cannot pay in). A declined card is not an error: the returned
// payment says failed, with the processor's message.
func (p *Payments) PayInvoice(ctx context.Context, tenantID, invoiceID int64) (*Payment, error) {
	if !p.On() {
		return nil, app.Errorf(app.EINVALID, "Card payments are not set up: the agency has to connect Stripe first.")
	}
	inv, err := p.Billing.Invoice(ctx, tenantID, invoiceID)
	if err != nil {
		return nil, err
	}
	switch {
	case inv.Kind != KindInvoice:
		return nil, app.Errorf(app.ECONFLICT, "%s is a credit note: there is nothing to pay.", inv.Number)
	case inv.Status == InvoicePaid:
		return nil, app.Errorf(app.ECONFLICT, "%s is paid already.", inv.Number)
	case inv.Status != InvoiceOpen:
		return nil, app.Errorf(app.ECONFLICT, "%s is %s: it cannot be paid.", inv.Number, inv.Status)
	}
	credited, err := p.Billing.store.CreditedMicros(ctx, inv.ID)
	if err != nil {
		return nil, err
	}
	due := inv.TotalMicros - credited - Cents(Tax(credited, inv.TaxRateBP))
	if due < 10000 {
		return nil, app.Errorf(app.ECONFLICT, "%s has nothing left to pay.", inv.Number)
	}
	c, err := p.Customer(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !c.HasCard() {
		return nil, app.Errorf(app.ECONFLICT, "No card on file: the client must add one under Billing (Update card) before %s can be charged.", inv.Number)
	}
	if cur := strings.ToLower(inv.Currency); c.Currency != "" && c.Currency != cur {
		return nil, app.FieldErrorf("currency", "%s is in %s, but the client's Stripe customer pays in %s (a Stripe customer has one currency): credit it and invoice in %s, or collect it outside Stripe.",
			inv.Number, strings.ToUpper(cur), strings.ToUpper(c.Currency), strings.ToUpper(c.Currency))
	}
	pay := &Payment{TenantID: tenantID, InvoiceID: inv.ID, AmountMicros: due, Currency: strings.ToLower(inv.Currency), Status: PaymentPending}
	if err := p.store.StartPayment(ctx, pay); err != nil {
		return nil, err
	}
	res, err := p.Gateway.Charge(ctx, pay.IdempotencyKey(), Charge{CustomerID: c.CustomerID, PaymentMethodID: c.Card.PaymentMethodID,
		AmountCents: pay.AmountMicros / 10000, Currency: pay.Currency, Description: inv.Number, TenantID: tenantID, InvoiceID: inv.ID, PaymentID: pay.ID})
	if err != nil {
		// No answer: the attempt stays pending, and the next try reuses
		// its idempotency key, so the processor charges at most once.
		return nil, gatewayError("charge the card", err)
	}
	pay.IntentID, pay.Status, pay.Message = res.IntentID, res.Status, res.Message
	if err := p.store.FinishPayment(ctx, pay); err != nil {
		return nil, err
	}
	p.info("billing: payment", "tenant", tenantID, "invoice", inv.Number, "status", pay.Status)
	return pay, nil
}

// ChargeIssued charges each open invoice not charged yet to its client's
// saved card (the month-end run, after the invoices are issued). A
// failure is logged and the next invoice tried; it returns the attempts
// made.
func (p *Payments) ChargeIssued(ctx context.Context) (int, error) {
	if !p.On() {
		return 0, nil
	}
	due, err := p.store.UnchargedInvoices(ctx, 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range due {
		if _, err := p.PayInvoice(ctx, d[0], d[1]); err != nil {
			p.warn("billing: charge invoice", "tenant", d[0], "invoice", d[1], "err", err)
			continue
		}
		n++
	}
	return n, nil
}

// PaymentsOf lists an invoice's payment attempts, latest first.
func (p *Payments) PaymentsOf(ctx context.Context, tenantID, invoiceID int64) ([]*Payment, error) {
	return p.store.FindPayments(ctx, tenantID, invoiceID)
}

// HandleEvent verifies and applies one processor event (the webhook).
// A bad signature returns ErrBadSignature and changes nothing; an event
// seen before changes nothing (applied false). An event that does not
// fit (another customer, an amount or currency other than the invoice's)
// is recorded with why and changes nothing else.
func (p *Payments) HandleEvent(ctx context.Context, payload []byte, signature string) (ev *GatewayEvent, applied bool, err error) {
	if !p.On() {
		return nil, false, app.Errorf(app.ENOTFOUND, "Payments are not set up.")
	}
	ev, err = p.Gateway.ParseEvent(ctx, payload, signature)
	if err != nil {
		return nil, false, err
	}
	if seen, err := p.store.EventSeen(ctx, ev.ID); err != nil || seen {
		return ev, false, err
	}
	eff, err := p.effect(ctx, ev)
	if err != nil {
		return ev, false, err
	}
	if eff.Result != "" && !strings.HasPrefix(eff.Result, "applied") {
		p.warn("billing: stripe event not applied", "event", ev.ID, "type", ev.Type, "why", eff.Result)
	}
	applied, err = p.store.ApplyEvent(ctx, ev, eff)
	return ev, applied, err
}

// effect works out what ev changes.
func (p *Payments) effect(ctx context.Context, ev *GatewayEvent) (*EventEffect, error) {
	switch ev.Type {
	case EventPaymentSucceeded, EventPaymentFailed:
		if r, err := p.rechargeOf(ctx, ev); err != nil {
			return nil, err
		} else if r != nil {
			return p.rechargeEffect(ctx, ev, r) // recharge.go
		}
		pay, err := p.store.FindPaymentByIntent(ctx, ev.IntentID)
		if app.ErrorCode(err) == app.ENOTFOUND && ev.PaymentID != 0 {
			// The intent was created but its answer never recorded: the
			// metadata names our attempt.
			var ps []*Payment
			if ps, err = p.store.FindPayments(ctx, ev.TenantID, ev.InvoiceID); err == nil {
				err = app.Errorf(app.ENOTFOUND, "Payment not found.")
				for _, x := range ps {
					if x.ID == ev.PaymentID {
						pay, err = x, nil
					}
				}
			}
		}
		if app.ErrorCode(err) == app.ENOTFOUND {
			return &EventEffect{Result: "ignored: not one of our payments"}, nil
		} else if err != nil {
			return nil, err
		}
		eff := &EventEffect{TenantID: pay.TenantID, PaymentID: pay.ID, IntentID: ev.IntentID}
		if ev.Type == EventPaymentFailed {
			eff.PaymentStatus, eff.Message = PaymentFailed, cmpOr(ev.Message, "The card was declined.")
			eff.Result = "applied: payment failed"
			return eff, nil
		}
		c, err := p.Customer(ctx, pay.TenantID)
		if err != nil {
			return nil, err
		}
		switch {
		case c == nil || (ev.CustomerID != "" && ev.CustomerID != c.CustomerID):
			return &EventEffect{Result: "refused: the intent's customer is not the tenant's"}, nil
		case strings.ToLower(ev.Currency) != pay.Currency:
			return &EventEffect{Result: fmt.Sprintf("refused: currency mismatch: paid in %s, invoiced in %s; not marked paid",
				strings.ToUpper(ev.Currency), strings.ToUpper(pay.Currency))}, nil
		case ev.AmountCents*10000 != pay.AmountMicros:
			return &EventEffect{Result: fmt.Sprintf("refused: amount mismatch: paid %d cents, due %d; not marked paid", ev.AmountCents, pay.AmountMicros/10000)}, nil
		}
		eff.PaymentStatus, eff.InvoicePaid, eff.Result = PaymentSucceeded, true, "applied: invoice paid"
		return eff, nil
	case EventCheckoutDone:
		if ev.SessionMode != "setup" || ev.SetupIntentID == "" {
			return &EventEffect{Result: "ignored: not a card setup"}, nil
		}
		c, err := p.store.FindCustomerByID(ctx, ev.CustomerID)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return &EventEffect{Result: "ignored: not one of our customers"}, nil
		} else if err != nil {
			return nil, err
		}
		if ev.TenantID != 0 && ev.TenantID != c.TenantID {
			return &EventEffect{Result: "refused: the session's tenant is not the customer's"}, nil
		}
		card, err := p.Gateway.SaveCard(ctx, "orengen-card-"+ev.ID, c.CustomerID, ev.SetupIntentID)
		if err != nil {
			return nil, gatewayError("read the saved card", err)
		}
		return &EventEffect{TenantID: c.TenantID, Card: &card, Result: "applied: card saved"}, nil
	}
	return &EventEffect{Result: "ignored: " + ev.Type}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// gatewayError keeps the processor's own message (it holds no secret)
// for the admin, as an EINVALID app error when it is the processor's
// refusal of the request, else wrapped.
func gatewayError(what string, err error) error {
	var ae *app.Error
	if errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("stripe: %s: %w", what, err)
}
