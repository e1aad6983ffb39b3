package store_test

import (
	"context"
	"testing"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/billing"
	"orengen/store"
)

// AI usage recorded by Agent Studio lands in the billing ledger as
// ai_tokens (tokens in + out, at the agents' computed cost) in the same
// transaction; its texts and voice seconds do not (they are metered where
// they are sent).
func TestBillingStore_AgentTokensInLedger(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	tn := &app.Tenant{Name: "Tokens Inc"}
	if err := store.NewTenantStore(db).CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	err := store.NewAgentStore(db).AddUsage(ctx, 0, []agents.Usage{
		{TenantID: tn.ID, Kind: agents.UsageTokens, Model: "gpt-4o-mini", TokensIn: 1200, TokensOut: 300, CostMicros: 450},
		{TenantID: tn.ID, Kind: agents.UsageEmbed, Model: "text-embedding-3-small", TokensIn: 1000, CostMicros: 20},
		{TenantID: tn.ID, Kind: agents.UsageSMS, Quantity: 2, CostMicros: 15800},
	})
	if err != nil {
		t.Fatal(err)
	}
	bs := store.NewBillingStore(db)
	us, err := bs.UsageTotals(ctx, tn.ID, "2026-11-01", "2026-11-30")
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 1 || us[0].Category != billing.AITokens || us[0].Quantity != 2500 || us[0].CostMicros != 470 || us[0].Events != 2 {
		t.Fatalf("ledger = %+v, want ai_tokens 2500 tokens, 470 micros, 2 events", us)
	}
}
