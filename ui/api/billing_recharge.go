package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app/billing"
	"orengen/ui/web"
)

// Wallet and its auto-recharge (issue #23): a tenant key reads its own
// wallet (balance, ledger, recharge settings and latest recharges) and
// sets the auto-recharge; an admin key does the same for ?tenant=.

type apiRecharge struct {
	ID           int64     `json:"id"`
	AmountMicros int64     `json:"amount_micros"`
	Currency     string    `json:"currency"`
	Status       string    `json:"status"`
	Message      string    `json:"message"`
	IntentID     string    `json:"stripe_payment_intent"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func toAPIRecharge(r *billing.Recharge) *apiRecharge {
	if r == nil {
		return nil
	}
	return &apiRecharge{r.ID, r.AmountMicros, r.Currency, r.Status, r.Message, r.IntentID, r.CreatedAt, r.UpdatedAt}
}

type apiWalletEntry struct {
	ID            int64     `json:"id"`
	Kind          string    `json:"kind"`
	AmountMicros  int64     `json:"amount_micros"`
	BalanceMicros int64     `json:"balance_micros"`
	Note          string    `json:"note"`
	CreatedAt     time.Time `json:"created_at"`
}

func (s *Handler) walletJSON(c *fiber.Ctx, tid int64) (fiber.Map, error) {
	ctx := c.UserContext()
	w, es, err := s.Billing.Wallet(ctx, tid, 50)
	if err != nil {
		return nil, err
	}
	rs, err := s.Payments.Recharges(ctx, tid, 10)
	if err != nil {
		return nil, err
	}
	entries, recharges := []apiWalletEntry{}, []*apiRecharge{}
	for _, e := range es {
		entries = append(entries, apiWalletEntry{e.ID, e.Kind, e.AmountMicros, e.BalanceMicros, e.Note, e.CreatedAt})
	}
	for _, r := range rs {
		recharges = append(recharges, toAPIRecharge(r))
	}
	return fiber.Map{"tenant_id": tid, "balance_micros": w.BalanceMicros, "recharge_below_micros": w.RechargeBelowMicros,
		"recharge_micros": w.RechargeMicros, "recharges": recharges, "entries": entries}, nil
}

func (s *Handler) apiBillingWallet(c *fiber.Ctx) error {
	tid, err := s.billingTenant(c)
	if err != nil {
		return err
	}
	m, err := s.walletJSON(c, tid)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": m})
}

func (s *Handler) apiBillingWalletRecharge(c *fiber.Ctx) error {
	tid, err := s.billingTenant(c)
	if err != nil {
		return err
	}
	var in struct {
		Below  int64 `json:"recharge_below_micros"`
		Amount int64 `json:"recharge_micros"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	r, err := s.Payments.SetAutoRecharge(c.UserContext(), tid, in.Below, in.Amount)
	if err != nil {
		return err
	}
	m, err := s.walletJSON(c, tid)
	if err != nil {
		return err
	}
	m["recharge_started"] = toAPIRecharge(r)
	return c.JSON(fiber.Map{"data": m})
}

func addBillingRechargeAPI(paths, schemas obj, std func(obj, ...string) obj) {
	tenant := qparam("tenant", "admin keys: the tenant (ID or slug), required", str)
	schemas["BillingRecharge"] = props([]string{"id", "amount_micros", "status"}, obj{"id": integ, "amount_micros": integ, "currency": str,
		"status":  obj{"type": "string", "enum": []string{billing.PaymentPending, billing.PaymentProcessing, billing.PaymentSucceeded, billing.PaymentFailed}},
		"message": obj{"type": "string", "description": "why it failed (no card, the card issuer's answer)"}, "stripe_payment_intent": str,
		"created_at": tstamp, "updated_at": tstamp})
	wallet := props([]string{"tenant_id", "balance_micros", "recharge_below_micros", "recharge_micros", "recharges", "entries"}, obj{
		"tenant_id": integ, "balance_micros": obj{"type": "integer", "description": "the sum of the entries"},
		"recharge_below_micros": obj{"type": "integer", "description": "auto-recharge threshold (0: off)"},
		"recharge_micros":       obj{"type": "integer", "description": "charged to the card when a usage debit takes the balance under the threshold (0: off)"},
		"recharges":             obj{"type": "array", "items": ref("BillingRecharge"), "description": "the latest 10, newest first"},
		"entries": obj{"type": "array", "description": "the ledger's latest 50 entries, newest first", "items": props([]string{"id", "kind", "amount_micros", "balance_micros"},
			obj{"id": integ, "kind": obj{"type": "string", "enum": []string{billing.EntryTopUp, billing.EntryUsage, billing.EntryAdjustment}}, "amount_micros": integ,
				"balance_micros": integ, "note": str, "created_at": tstamp})},
		"recharge_started": obj{"oneOf": []obj{ref("BillingRecharge"), {"type": "null"}}, "description": "PUT: the recharge started at once (the wallet was under the new threshold)"}})
	schemas["BillingWallet"] = wallet
	paths["/api/v1/billing/wallet"] = obj{"get": obj{"summary": "The tenant's prepaid wallet: balance, ledger, auto-recharge settings and latest recharges",
		"parameters": []obj{tenant}, "responses": std(obj{"200": jsonResp("OK", dataOf(ref("BillingWallet")))}, "400")}}
	paths["/api/v1/billing/wallet/recharge"] = obj{"put": obj{"summary": "Set the wallet's auto-recharge: when a usage debit takes the balance under recharge_below_micros, recharge_micros is charged to the saved card (Stripe, off-session, one at a time) and credited once paid. Both 0 turn it off; turning it on needs a card on file (409)",
		"parameters":  []obj{tenant},
		"requestBody": jsonBody(props([]string{"recharge_below_micros", "recharge_micros"}, obj{"recharge_below_micros": integ, "recharge_micros": obj{"type": "integer", "description": "5,000,000 to 10,000,000,000 (5 to 10,000 dollars), or 0 to turn it off"}})),
		"responses":   std(obj{"200": jsonResp("Saved", dataOf(ref("BillingWallet")))}, "400", "403", "409")}}
}
