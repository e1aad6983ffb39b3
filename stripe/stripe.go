// Package stripe is billing's payment gateway (issue #23) over Stripe's
// API with stripe-go v82: a customer per tenant, Checkout in setup mode
// for the client's card, off-session payment intents for issued
// invoices, and signed webhook events. It implements billing.Gateway.
//
// Only the per-resource packages billing needs are imported (customer,
// checkout/session, setupintent, paymentintent, webhook), not the client
// of every Stripe product. Every request goes through the project's
// guarded outbound HTTP client (HTTP), to the base URL of the moment
// (--stripe-api-url or the admin's setting; stripe-mock in tests), with
// the secret key read from the vault for each call, so a key saved in
// Nexus applies without a restart. Every write carries the idempotency
// key billing derived from its own ids; the library's own retries are off
// (billing retries with the same key).
package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	stripe "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/checkout/session"
	"github.com/stripe/stripe-go/v82/customer"
	"github.com/stripe/stripe-go/v82/paymentintent"
	"github.com/stripe/stripe-go/v82/setupintent"
	"github.com/stripe/stripe-go/v82/webhook"

	"orengen/app"
	"orengen/app/billing"
)

// DefaultAPIURL is Stripe's API.
const DefaultAPIURL = "https://api.stripe.com"

// Client talks to Stripe for billing.
type Client struct {
	// APIURL is the base URL of the moment ("" : DefaultAPIURL).
	APIURL func(ctx context.Context) string
	// Key is the secret key (sk_...); WebhookSecret the endpoint's signing
	// secret (whsec_...). Errors and empty values stop the call.
	Key           func(ctx context.Context) (string, error)
	WebhookSecret func(ctx context.Context) (string, error)
	HTTP          *http.Client
	// Tolerance is how old a signed event may be (0: stripe-go's 5 minutes).
	Tolerance time.Duration
}

var _ billing.Gateway = (*Client)(nil)

// quietLogger keeps stripe-go from logging request details.
type quietLogger struct{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}

// backend returns the backend for the base URL of the moment and the key.
func (c *Client) backend(ctx context.Context) (stripe.Backend, string, error) {
	if c.Key == nil {
		return nil, "", app.Errorf(app.EINVALID, "Stripe is not connected: add stripe_secret_key to the vault.")
	}
	key, err := c.Key(ctx)
	if err != nil {
		return nil, "", err
	}
	if key == "" {
		return nil, "", app.Errorf(app.EINVALID, "Stripe is not connected: add stripe_secret_key to the vault.")
	}
	base := DefaultAPIURL
	if c.APIURL != nil {
		if u := c.APIURL(ctx); u != "" {
			base = u
		}
	}
	b := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL: stripe.String(strings.TrimRight(base, "/")), HTTPClient: c.HTTP, MaxNetworkRetries: stripe.Int64(0),
		EnableTelemetry: stripe.Bool(false), LeveledLogger: quietLogger{}})
	return b, key, nil
}

func params(ctx context.Context, p *stripe.Params, idemKey string) {
	p.Context = ctx
	if idemKey != "" {
		p.SetIdempotencyKey(idemKey)
	}
}

// CreateCustomer creates the tenant's customer.
func (c *Client) CreateCustomer(ctx context.Context, idemKey string, tenantID int64, name, email string) (string, string, error) {
	b, key, err := c.backend(ctx)
	if err != nil {
		return "", "", err
	}
	p := &stripe.CustomerParams{Name: stripe.String(name), Metadata: map[string]string{"tenant_id": strconv.FormatInt(tenantID, 10)}}
	if email != "" {
		p.Email = stripe.String(email)
	}
	params(ctx, &p.Params, idemKey)
	cu, err := customer.Client{B: b, Key: key}.New(p)
	if err != nil {
		return "", "", apiError(err)
	}
	return cu.ID, string(cu.Currency), nil
}

// CardSetup creates a Checkout session in setup mode for the customer.
func (c *Client) CardSetup(ctx context.Context, idemKey string, r billing.CardSetupRequest) (string, string, error) {
	b, key, err := c.backend(ctx)
	if err != nil {
		return "", "", err
	}
	tid := strconv.FormatInt(r.TenantID, 10)
	p := &stripe.CheckoutSessionParams{Mode: stripe.String(string(stripe.CheckoutSessionModeSetup)), Customer: stripe.String(r.CustomerID),
		Currency: stripe.String(r.Currency), PaymentMethodTypes: stripe.StringSlice([]string{"card"}), ClientReferenceID: stripe.String(tid),
		SuccessURL: stripe.String(r.SuccessURL), CancelURL: stripe.String(r.CancelURL),
		Metadata: map[string]string{"tenant_id": tid, "setup_id": strconv.FormatInt(r.SetupID, 10)}}
	params(ctx, &p.Params, idemKey)
	s, err := session.Client{B: b, Key: key}.New(p)
	if err != nil {
		return "", "", apiError(err)
	}
	if s.URL == "" {
		return "", "", errors.New("stripe: the Checkout session has no URL")
	}
	return s.ID, s.URL, nil
}

// SaveCard reads the setup's payment method and makes it the customer's
// default for invoices.
func (c *Client) SaveCard(ctx context.Context, idemKey, customerID, setupIntentID string) (billing.Card, error) {
	b, key, err := c.backend(ctx)
	if err != nil {
		return billing.Card{}, err
	}
	gp := &stripe.SetupIntentParams{}
	gp.Context = ctx
	gp.AddExpand("payment_method")
	si, err := setupintent.Client{B: b, Key: key}.Get(setupIntentID, gp)
	if err != nil {
		return billing.Card{}, apiError(err)
	}
	if si.PaymentMethod == nil || si.PaymentMethod.ID == "" {
		return billing.Card{}, errors.New("stripe: the setup saved no payment method")
	}
	card := billing.Card{PaymentMethodID: si.PaymentMethod.ID}
	if cd := si.PaymentMethod.Card; cd != nil {
		card.Brand, card.Last4 = string(cd.Brand), cd.Last4
	}
	up := &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(card.PaymentMethodID)}}
	params(ctx, &up.Params, idemKey)
	if _, err := (customer.Client{B: b, Key: key}).Update(customerID, up); err != nil {
		return billing.Card{}, apiError(err)
	}
	return card, nil
}

// Charge confirms an off-session payment intent for the invoice (or
// the wallet recharge). A
// declined card is a failed result with Stripe's message, not an error.
func (c *Client) Charge(ctx context.Context, idemKey string, ch billing.Charge) (billing.ChargeResult, error) {
	b, key, err := c.backend(ctx)
	if err != nil {
		return billing.ChargeResult{}, err
	}
	p := &stripe.PaymentIntentParams{Amount: stripe.Int64(ch.AmountCents), Currency: stripe.String(ch.Currency), Customer: stripe.String(ch.CustomerID),
		PaymentMethod: stripe.String(ch.PaymentMethodID), OffSession: stripe.Bool(true), Confirm: stripe.Bool(true), Description: stripe.String(ch.Description),
		Metadata: map[string]string{"tenant_id": strconv.FormatInt(ch.TenantID, 10)}}
	if ch.RechargeID != 0 { // a wallet auto-recharge
		p.Metadata["recharge_id"] = strconv.FormatInt(ch.RechargeID, 10)
	} else {
		p.Metadata["invoice_id"], p.Metadata["payment_id"] = strconv.FormatInt(ch.InvoiceID, 10), strconv.FormatInt(ch.PaymentID, 10)
	}
	params(ctx, &p.Params, idemKey)
	pi, err := paymentintent.Client{B: b, Key: key}.New(p)
	var se *stripe.Error
	if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
		r := billing.ChargeResult{Status: billing.PaymentFailed, Message: cardMessage(se)}
		if se.PaymentIntent != nil {
			r.IntentID = se.PaymentIntent.ID
		}
		return r, nil
	} else if err != nil {
		return billing.ChargeResult{}, apiError(err)
	}
	return result(pi), nil
}

func cardMessage(se *stripe.Error) string {
	m := se.Msg
	if m == "" {
		m = "The card was declined."
	}
	if se.DeclineCode != "" {
		m += " (" + string(se.DeclineCode) + ")"
	}
	return m
}

// result maps an intent's state after an off-session confirmation.
func result(pi *stripe.PaymentIntent) billing.ChargeResult {
	r := billing.ChargeResult{IntentID: pi.ID}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		r.Status = billing.PaymentSucceeded
	case stripe.PaymentIntentStatusProcessing, stripe.PaymentIntentStatusRequiresCapture:
		r.Status = billing.PaymentProcessing
	case stripe.PaymentIntentStatusRequiresAction:
		r.Status, r.Message = billing.PaymentFailed, "The bank asks the cardholder to confirm this payment (3-D Secure): the client must update its card."
	default:
		r.Status, r.Message = billing.PaymentFailed, "The card was not charged (Stripe status "+string(pi.Status)+")."
		if pi.LastPaymentError != nil && pi.LastPaymentError.Msg != "" {
			r.Message = cardMessage(pi.LastPaymentError)
		}
	}
	return r
}

// ParseEvent verifies the Stripe-Signature header with the endpoint's
// secret (stripe-go's webhook package: HMAC-SHA256 of "t.body", within the
// tolerance) and reduces the event to what billing reads. Events of
// another API version are accepted: the fields read here are the same
// in every version.
func (c *Client) ParseEvent(ctx context.Context, payload []byte, signature string) (*billing.GatewayEvent, error) {
	if c.WebhookSecret == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Stripe webhooks are not set up.")
	}
	secret, err := c.WebhookSecret(ctx)
	if err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, app.Errorf(app.ENOTFOUND, "Stripe webhooks are not set up: add stripe_webhook_secret to the vault.")
	}
	e, err := webhook.ConstructEventWithOptions(payload, signature, secret, webhook.ConstructEventOptions{Tolerance: c.Tolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return nil, fmt.Errorf("%w: %s", billing.ErrBadSignature, err.Error())
	}
	if e.ID == "" || e.Data == nil {
		return nil, app.Errorf(app.EINVALID, "The event has no id or data.")
	}
	ev := &billing.GatewayEvent{ID: e.ID, Type: string(e.Type), Created: time.Unix(e.Created, 0).UTC()}
	switch ev.Type {
	case billing.EventPaymentSucceeded, billing.EventPaymentFailed:
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(e.Data.Raw, &pi); err != nil {
			return nil, app.Errorf(app.EINVALID, "The event's payment intent does not read: %s", err.Error())
		}
		intentFields(ev, &pi)
	case billing.EventCheckoutDone:
		var s stripe.CheckoutSession
		if err := json.Unmarshal(e.Data.Raw, &s); err != nil {
			return nil, app.Errorf(app.EINVALID, "The event's Checkout session does not read: %s", err.Error())
		}
		ev.SessionID, ev.SessionMode = s.ID, string(s.Mode)
		if s.Customer != nil {
			ev.CustomerID = s.Customer.ID
		}
		if s.SetupIntent != nil {
			ev.SetupIntentID = s.SetupIntent.ID
		}
		ev.TenantID = metaID(s.Metadata, "tenant_id")
	}
	return ev, nil
}

// intentFields copies what billing reads of a payment intent.
func intentFields(ev *billing.GatewayEvent, pi *stripe.PaymentIntent) {
	ev.IntentID, ev.AmountCents, ev.Currency = pi.ID, pi.Amount, string(pi.Currency)
	if pi.AmountReceived > 0 {
		ev.AmountCents = pi.AmountReceived
	}
	if pi.Customer != nil {
		ev.CustomerID = pi.Customer.ID
	}
	if pi.LastPaymentError != nil {
		ev.Message = cardMessage(pi.LastPaymentError)
	}
	ev.TenantID, ev.InvoiceID, ev.PaymentID = metaID(pi.Metadata, "tenant_id"), metaID(pi.Metadata, "invoice_id"), metaID(pi.Metadata, "payment_id")
	ev.RechargeID = metaID(pi.Metadata, "recharge_id")
}

// Intent implements billing.Gateway: the payment intent read now, as
// the event its state would have sent.
func (c *Client) Intent(ctx context.Context, intentID string) (*billing.GatewayEvent, error) {
	b, key, err := c.backend(ctx)
	if err != nil {
		return nil, err
	}
	p := &stripe.PaymentIntentParams{}
	params(ctx, &p.Params, "")
	pi, err := paymentintent.Client{B: b, Key: key}.Get(intentID, p)
	if err != nil {
		return nil, apiError(err)
	}
	ev := &billing.GatewayEvent{ID: "intent:" + pi.ID + ":" + string(pi.Status), Created: time.Now().UTC()}
	intentFields(ev, pi)
	switch r := result(pi); r.Status {
	case billing.PaymentSucceeded:
		ev.Type = billing.EventPaymentSucceeded
	case billing.PaymentFailed:
		ev.Type = billing.EventPaymentFailed
		if ev.Message == "" {
			ev.Message = r.Message
		}
	}
	return ev, nil
}

func metaID(m map[string]string, k string) int64 {
	n, _ := strconv.ParseInt(m[k], 10, 64)
	return n
}

// Ping lists one customer: a read that proves the key (nothing is
// created or charged). It returns how the key looks (test or live mode).
func (c *Client) Ping(ctx context.Context) (string, error) {
	b, key, err := c.backend(ctx)
	if err != nil {
		return "", err
	}
	lp := &stripe.CustomerListParams{}
	lp.Context = ctx
	lp.Limit = stripe.Int64(1)
	it := customer.Client{B: b, Key: key}.List(lp)
	it.Next()
	if err := it.Err(); err != nil {
		return "", apiError(err)
	}
	mode := "live"
	if strings.HasPrefix(key, "sk_test_") || strings.HasPrefix(key, "rk_test_") {
		mode = "test"
	}
	return mode, nil
}

// apiError turns Stripe's refusal into an EINVALID app error with its
// message (Stripe's messages hold no secret; an authentication error
// says so without the key), and wraps anything else.
func apiError(err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("stripe: %w", err)
	}
	switch {
	case se.HTTPStatusCode == http.StatusUnauthorized:
		return app.Errorf(app.EINVALID, "Stripe refused the secret key (401): check stripe_secret_key in the vault.")
	case se.HTTPStatusCode >= 500 || se.HTTPStatusCode == 0:
		return fmt.Errorf("stripe: %d %s", se.HTTPStatusCode, se.Msg)
	}
	return app.Errorf(app.EINVALID, "Stripe refused the request (%d): %s", se.HTTPStatusCode, se.Msg)
}
