package billing

import (
	"context"
	"time"

	"orengen/app"
)

// Wallet entry kinds.
const (
	EntryTopUp      = "topup"
	EntryUsage      = "usage"
	EntryAdjustment = "adjustment"
)

// Wallet is a tenant's prepaid balance for usage.
type Wallet struct {
	TenantID      int64
	BalanceMicros int64
	// Auto-recharge: when the balance falls below RechargeBelowMicros,
	// RechargeMicros is charged to the card on file (with payments).
	RechargeBelowMicros int64
	RechargeMicros      int64
	UpdatedAt           time.Time
}

// WalletEntry is one line of a wallet's ledger: the balance is the sum of
// the entries, and BalanceMicros is the balance after this one.
type WalletEntry struct {
	ID            int64
	TenantID      int64
	Kind          string
	AmountMicros  int64
	BalanceMicros int64
	Ref           string
	Note          string
	CreatedAt     time.Time
}

// ErrWalletEmpty is the message a usage-heavy step stops with.
func walletEmpty(category string) error {
	return &app.PermanentError{Err: app.Errorf(app.EFORBIDDEN,
		"The prepaid wallet is empty: add funds under Billing to resume %s.", CategoryLabel(category))}
}

// Allow returns nil when the tenant may use category now: always, unless
// its plan pays usage from the wallet and the wallet is empty (then an
// EFORBIDDEN PermanentError with a message for the user, so a workflow
// step fails without retrying). Gate, when set, decides instead.
func (s *Service) Allow(ctx context.Context, tenantID int64, category string) error {
	if s.Gate != nil {
		return s.Gate(ctx, tenantID, category)
	}
	if err := s.suspended(ctx, tenantID, category); err != nil { // dunning.go
		return err
	}
	sub, err := s.store.FindSubscription(ctx, tenantID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if !sub.Plan.Wallet || sub.Status == Cancelled {
		return nil
	}
	w, err := s.store.FindWallet(ctx, tenantID)
	if err != nil {
		return err
	}
	if w.BalanceMicros <= 0 {
		return walletEmpty(category)
	}
	return nil
}

// TopUp adds funds to a tenant's wallet. ref identifies the payment (a
// second top-up with the same ref changes nothing and returns false).
// Returns EINVALID naming "amount".
func (s *Service) TopUp(ctx context.Context, tenantID, amountMicros int64, ref, note string) (bool, error) {
	if amountMicros <= 0 || amountMicros > 1e12 {
		return false, app.FieldErrorf("amount", "Amount must be between 0.01 and 1,000,000.")
	}
	if ref == "" {
		ref = randomID()
	}
	return s.store.AddWalletEntry(ctx, &WalletEntry{TenantID: tenantID, Kind: EntryTopUp, AmountMicros: amountMicros, Ref: ref, Note: truncate(note, 200)})
}

// Wallet returns the tenant's wallet (zero when never used) and its
// latest entries, newest first.
func (s *Service) Wallet(ctx context.Context, tenantID int64, limit int) (*Wallet, []*WalletEntry, error) {
	w, err := s.store.FindWallet(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	es, err := s.store.FindWalletEntries(ctx, tenantID, limit)
	return w, es, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
