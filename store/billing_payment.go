package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/billing"
)

// BillingPaymentStore keeps billing's customers at the payment processor,
// payment attempts and processor events (billing.PaymentStore).
type BillingPaymentStore struct{ db *DB }

var _ billing.PaymentStore = (*BillingPaymentStore)(nil)

// NewBillingPaymentStore returns a BillingPaymentStore on db.
func NewBillingPaymentStore(db *DB) *BillingPaymentStore { return &BillingPaymentStore{db: db} }

const customerCols = `tenant_id, customer_ref, currency, payment_method, card_brand, card_last4, card_at, updated_at`

func scanCustomer(r scanner) (*billing.Customer, error) {
	var c billing.Customer
	var at NullTime
	err := r.Scan(&c.TenantID, &c.CustomerID, &c.Currency, &c.Card.PaymentMethodID, &c.Card.Brand, &c.Card.Last4, &at, Time{&c.UpdatedAt})
	c.CardAt = at.T
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "No Stripe customer.")
	}
	return &c, err
}

// FindCustomer implements billing.PaymentStore.
func (s *BillingPaymentStore) FindCustomer(ctx context.Context, tenantID int64) (*billing.Customer, error) {
	return scanCustomer(s.db.read.QueryRowContext(ctx, `SELECT `+customerCols+` FROM billing_customers WHERE tenant_id = ?`, tenantID))
}

// FindCustomerByID implements billing.PaymentStore.
func (s *BillingPaymentStore) FindCustomerByID(ctx context.Context, customerID string) (*billing.Customer, error) {
	return scanCustomer(s.db.read.QueryRowContext(ctx, `SELECT `+customerCols+` FROM billing_customers WHERE customer_ref = ?`, customerID))
}

// SaveCustomer implements billing.PaymentStore.
func (s *BillingPaymentStore) SaveCustomer(ctx context.Context, c *billing.Customer) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO billing_customers (tenant_id, customer_ref, currency, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET customer_ref = excluded.customer_ref, currency = excluded.currency, updated_at = excluded.updated_at`,
			c.TenantID, c.CustomerID, c.Currency, FormatTime(tx.now))
		return FormatError(err, "That Stripe customer belongs to another client.")
	})
}

// CreateCardSetup implements billing.PaymentStore.
func (s *BillingPaymentStore) CreateCardSetup(ctx context.Context, tenantID int64) (int64, error) {
	var id int64
	err := s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO billing_card_setups (tenant_id, created_at) VALUES (?, ?)`, tenantID, FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("card setup: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// SetCardSetupSession implements billing.PaymentStore.
func (s *BillingPaymentStore) SetCardSetupSession(ctx context.Context, id int64, sessionID string) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE billing_card_setups SET session_ref = ? WHERE id = ?`, sessionID, id)
		return err
	})
}

const paymentCols = `id, tenant_id, invoice_id, attempt, intent_ref, amount_micros, currency, status, message, created_at, updated_at`

func scanPayment(r scanner) (*billing.Payment, error) {
	var p billing.Payment
	err := r.Scan(&p.ID, &p.TenantID, &p.InvoiceID, &p.Attempt, &p.IntentID, &p.AmountMicros, &p.Currency, &p.Status, &p.Message, Time{&p.CreatedAt}, Time{&p.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Payment not found.")
	}
	return &p, err
}

// StartPayment implements billing.PaymentStore.
func (s *BillingPaymentStore) StartPayment(ctx context.Context, p *billing.Payment) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM billing_invoices WHERE id = ? AND tenant_id = ?`, p.InvoiceID, p.TenantID).Scan(&status); errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Invoice not found.")
		} else if err != nil {
			return fmt.Errorf("payment invoice: %w", err)
		}
		if status != billing.InvoiceOpen {
			return app.Errorf(app.ECONFLICT, "The invoice is %s already.", status)
		}
		last, err := scanPayment(tx.QueryRowContext(ctx, `SELECT `+paymentCols+` FROM billing_payments WHERE invoice_id = ? ORDER BY attempt DESC LIMIT 1`, p.InvoiceID))
		switch {
		case err != nil && app.ErrorCode(err) != app.ENOTFOUND:
			return fmt.Errorf("last payment: %w", err)
		case err == nil && last.Status == billing.PaymentPending && last.AmountMicros == p.AmountMicros && last.Currency == p.Currency:
			*p = *last // no answer was recorded: ask again with the same key
			return nil
		case err == nil && (last.Status == billing.PaymentProcessing || last.Status == billing.PaymentSucceeded):
			return app.Errorf(app.ECONFLICT, "A payment of this invoice is in progress: wait for Stripe's answer.")
		}
		attempt := 1
		if err == nil {
			attempt = last.Attempt + 1
		}
		now := tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO billing_payments (tenant_id, invoice_id, attempt, amount_micros, currency, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.TenantID, p.InvoiceID, attempt, p.AmountMicros, p.Currency, billing.PaymentPending, FormatTime(now), FormatTime(now))
		if err != nil {
			return FormatError(fmt.Errorf("start payment: %w", err), "Another payment of this invoice started meanwhile.")
		}
		p.ID, _ = res.LastInsertId()
		p.Attempt, p.Status, p.CreatedAt, p.UpdatedAt = attempt, billing.PaymentPending, now, now
		return nil
	})
}

// setPayment moves a payment (never away from succeeded) and, when it
// succeeded, marks its invoice paid.
func setPayment(ctx context.Context, tx *Tx, id int64, intentID, status, message string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE billing_payments SET status = ?, message = ?, intent_ref = CASE WHEN ? != '' THEN ? ELSE intent_ref END, updated_at = ?
		WHERE id = ? AND status != 'succeeded'`, status, message, intentID, intentID, FormatTime(tx.now), id); err != nil {
		return fmt.Errorf("payment: %w", err)
	}
	if status != billing.PaymentSucceeded {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE billing_invoices SET status = 'paid', paid_at = ? WHERE id = (SELECT invoice_id FROM billing_payments WHERE id = ?) AND status = 'open'`,
		FormatTime(tx.now), id); err != nil {
		return fmt.Errorf("invoice paid: %w", err)
	}
	// The payment lifts a suspension for this invoice (dunning).
	if _, err := tx.ExecContext(ctx, `DELETE FROM billing_suspensions WHERE invoice_id = (SELECT invoice_id FROM billing_payments WHERE id = ?)`, id); err != nil {
		return fmt.Errorf("lift suspension: %w", err)
	}
	// The customer pays in the currency it paid in from now on.
	_, err := tx.ExecContext(ctx, `UPDATE billing_customers SET currency = (SELECT currency FROM billing_payments WHERE id = ?)
		WHERE tenant_id = (SELECT tenant_id FROM billing_payments WHERE id = ?) AND currency = ''`, id, id)
	return err
}

// FinishPayment implements billing.PaymentStore.
func (s *BillingPaymentStore) FinishPayment(ctx context.Context, p *billing.Payment) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		return setPayment(ctx, tx, p.ID, p.IntentID, p.Status, p.Message)
	})
}

// FindPayments implements billing.PaymentStore.
func (s *BillingPaymentStore) FindPayments(ctx context.Context, tenantID, invoiceID int64) ([]*billing.Payment, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+paymentCols+` FROM billing_payments WHERE tenant_id = ? AND invoice_id = ? ORDER BY attempt DESC`, tenantID, invoiceID)
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	return scanAll(rows, scanPayment)
}

// FindPaymentByIntent implements billing.PaymentStore.
func (s *BillingPaymentStore) FindPaymentByIntent(ctx context.Context, intentID string) (*billing.Payment, error) {
	if intentID == "" {
		return nil, app.Errorf(app.ENOTFOUND, "Payment not found.")
	}
	return scanPayment(s.db.read.QueryRowContext(ctx, `SELECT `+paymentCols+` FROM billing_payments WHERE intent_ref = ? ORDER BY id DESC LIMIT 1`, intentID))
}

// UnchargedInvoices implements billing.PaymentStore.
func (s *BillingPaymentStore) UnchargedInvoices(ctx context.Context, limit int) ([][2]int64, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT i.tenant_id, i.id FROM billing_invoices i JOIN billing_customers c ON c.tenant_id = i.tenant_id
		WHERE i.kind = 'invoice' AND i.status = 'open' AND i.total_micros > 0 AND c.payment_method != ''
		AND NOT EXISTS (SELECT 1 FROM billing_payments p WHERE p.invoice_id = i.id) ORDER BY i.id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("uncharged invoices: %w", err)
	}
	return scanAll(rows, func(r scanner) ([2]int64, error) {
		var v [2]int64
		err := r.Scan(&v[0], &v[1])
		return v, err
	})
}

// EventSeen implements billing.PaymentStore.
func (s *BillingPaymentStore) EventSeen(ctx context.Context, eventID string) (bool, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM billing_gateway_events WHERE event_ref = ?`, eventID).Scan(&n)
	return n > 0, err
}

// ApplyEvent implements billing.PaymentStore.
func (s *BillingPaymentStore) ApplyEvent(ctx context.Context, ev *billing.GatewayEvent, eff *billing.EventEffect) (bool, error) {
	applied := false
	err := s.db.Update(ctx, func(tx *Tx) error {
		var tenant any
		if eff.TenantID != 0 {
			tenant = eff.TenantID
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO billing_gateway_events (event_ref, type, tenant_id, result, created_at, received_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (event_ref) DO NOTHING`, ev.ID, ev.Type, tenant, eff.Result, FormatTime(ev.Created), FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("record event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // a replay
		}
		applied = true
		if eff.PaymentID != 0 && eff.PaymentStatus != "" {
			if err := setPayment(ctx, tx, eff.PaymentID, eff.IntentID, eff.PaymentStatus, eff.Message); err != nil {
				return err
			}
		}
		if eff.RechargeID != 0 && eff.RechargeStatus != "" {
			if err := finishRecharge(ctx, tx, eff.TenantID, eff.RechargeID, eff.IntentID, eff.RechargeStatus, eff.Message); err != nil {
				return err
			}
		}
		if eff.Card != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE billing_customers SET payment_method = ?, card_brand = ?, card_last4 = ?, card_at = ?, updated_at = ?
				WHERE tenant_id = ? AND (card_at IS NULL OR card_at <= ?)`, eff.Card.PaymentMethodID, eff.Card.Brand, eff.Card.Last4, FormatTime(ev.Created),
				FormatTime(tx.now), eff.TenantID, FormatTime(ev.Created)); err != nil {
				return fmt.Errorf("save card: %w", err)
			}
		}
		return nil
	})
	return applied, err
}
