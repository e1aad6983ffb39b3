package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// WebhookStore implements app.WebhookStore.
type WebhookStore struct{ db *DB }

var _ app.WebhookStore = (*WebhookStore)(nil)

// NewWebhookStore returns a WebhookStore on db.
func NewWebhookStore(db *DB) *WebhookStore { return &WebhookStore{db: db} }

// CreateSubscription stores a subscription for its TenantID (the service
// sets it from ctx).
func (s *WebhookStore) CreateSubscription(ctx context.Context, w *app.WebhookSubscription) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	events, _ := json.Marshal(w.Events)
	return s.db.Update(ctx, func(tx *Tx) error {
		w.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (tenant_id, url, events, active, created_at) VALUES (?, ?, ?, 1, ?)`,
			tid, w.URL, string(events), FormatTime(tx.now))
		if err != nil {
			return err
		}
		w.ID, err = res.LastInsertId()
		return err
	})
}

const subscriptionColumns = `id, tenant_id, url, events, active, created_at`

func scanSubscription(row interface{ Scan(...any) error }) (*app.WebhookSubscription, error) {
	var w app.WebhookSubscription
	var events string
	if err := row.Scan(&w.ID, &w.TenantID, &w.URL, &events, &w.Active, Time{&w.CreatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("subscription %d events: %w", w.ID, err)
	}
	return &w, nil
}

// FindSubscriptions lists the tenant's subscriptions.
func (s *WebhookStore) FindSubscriptions(ctx context.Context) ([]*app.WebhookSubscription, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM webhook_subscriptions WHERE tenant_id = ? ORDER BY id`, tid)
	if err != nil {
		return nil, fmt.Errorf("find subscriptions: %w", err)
	}
	return scanAll(rows, scanSubscription)
}

// DeleteSubscription deletes a subscription of the tenant and its
// deliveries. Returns ENOTFOUND for another tenant's.
func (s *WebhookStore) DeleteSubscription(ctx context.Context, id int64) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE id = ? AND tenant_id = ?`, id, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Webhook not found.")
		}
		return nil
	})
}

const deliveryColumns = `d.id, d.tenant_id, d.subscription_id, s.url, d.event, d.event_id, d.payload, d.status, d.attempts, d.next_attempt_at,
	d.last_status_code, d.last_error, d.created_at, d.delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (*app.WebhookDelivery, error) {
	var d app.WebhookDelivery
	var delivered NullTime
	if err := row.Scan(&d.ID, &d.TenantID, &d.SubscriptionID, &d.URL, &d.Event, &d.EventID, &d.Payload, &d.Status, &d.Attempts, Time{&d.NextAttemptAt},
		&d.LastStatusCode, &d.LastError, Time{&d.CreatedAt}, &delivered); err != nil {
		return nil, err
	}
	d.DeliveredAt = delivered.T
	return &d, nil
}

// FindDeliveries returns the tenant's newest deliveries first.
func (s *WebhookStore) FindDeliveries(ctx context.Context, limit int) ([]*app.WebhookDelivery, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
		WHERE d.tenant_id = ? ORDER BY d.id DESC LIMIT ?`, tid, limit)
	if err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	return scanAll(rows, scanDelivery)
}

// ListDeliveries is the delivery log, newest first, in the read scope
// (app.CRMReadScope: the tenant of ctx, or every tenant for an admin
// across tenants, narrowed by f.TenantID).
func (s *WebhookStore) ListDeliveries(ctx context.Context, f app.WebhookDeliveryFilter) ([]*app.WebhookDelivery, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	if tid == 0 {
		tid = f.TenantID
	}
	var where []string
	var args []any
	if tid != 0 {
		where, args = append(where, "d.tenant_id = ?"), append(args, tid)
	}
	if f.Status != "" {
		where, args = append(where, "d.status = ?"), append(args, f.Status)
	}
	if f.Event != "" {
		where, args = append(where, "d.event = ?"), append(args, f.Event)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "d.id < ?"), append(args, f.BeforeID)
	}
	q := `SELECT ` + deliveryColumns + `, t.name FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id JOIN tenants t ON t.id = d.tenant_id`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := s.db.read.QueryContext(ctx, q+` ORDER BY d.id DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return scanAll(rows, func(row interface{ Scan(...any) error }) (*app.WebhookDelivery, error) {
		var d app.WebhookDelivery
		var delivered NullTime
		if err := row.Scan(&d.ID, &d.TenantID, &d.SubscriptionID, &d.URL, &d.Event, &d.EventID, &d.Payload, &d.Status, &d.Attempts, Time{&d.NextAttemptAt},
			&d.LastStatusCode, &d.LastError, Time{&d.CreatedAt}, &delivered, &d.TenantName); err != nil {
			return nil, err
		}
		d.DeliveredAt = delivered.T
		return &d, nil
	})
}

// FindDelivery returns a delivery of the read scope with its attempts,
// oldest first. Returns ENOTFOUND for one outside it.
func (s *WebhookStore) FindDelivery(ctx context.Context, id int64) (*app.WebhookDelivery, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	d, err := scanDelivery(s.db.read.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
		WHERE d.id = ? AND (? = 0 OR d.tenant_id = ?)`, id, tid, tid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Delivery not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find delivery: %w", err)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, tenant_id, delivery_id, attempt, redelivery, url, started_at, duration_ms, status_code, error, response, outcome, next_attempt_at
		FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt`, d.ID)
	if err != nil {
		return nil, fmt.Errorf("find delivery attempts: %w", err)
	}
	d.Log, err = scanAll(rows, func(row interface{ Scan(...any) error }) (*app.WebhookAttempt, error) {
		var a app.WebhookAttempt
		var ms int64
		var next NullTime
		if err := row.Scan(&a.ID, &a.TenantID, &a.DeliveryID, &a.Attempt, &a.Redelivery, &a.URL, Time{&a.StartedAt}, &ms, &a.StatusCode, &a.Error, &a.Response, &a.Outcome, &next); err != nil {
			return nil, err
		}
		a.Duration, a.NextAttemptAt = time.Duration(ms)*time.Millisecond, next.T
		return &a, nil
	})
	if err != nil {
		return nil, fmt.Errorf("find delivery attempts: %w", err)
	}
	return d, nil
}

// Redeliver leases a delivery of the read scope to send it now, with a
// fresh attempt budget, and returns it with its URL. Returns ENOTFOUND
// outside the scope, ECONFLICT while another attempt holds its lease.
func (s *WebhookStore) Redeliver(ctx context.Context, id int64, leaseUntil time.Time) (*app.WebhookDelivery, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	var d *app.WebhookDelivery
	err = s.db.Update(ctx, func(tx *Tx) error {
		var status, next string
		err := tx.QueryRowContext(ctx, `SELECT status, next_attempt_at FROM webhook_deliveries WHERE id = ? AND (? = 0 OR tenant_id = ?)`, id, tid, tid).Scan(&status, &next)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Delivery not found.")
		} else if err != nil {
			return err
		}
		if status == "sending" && next > FormatTime(tx.now) {
			return app.Errorf(app.ECONFLICT, "Delivery #%d is being sent now; look again in a few seconds.", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'sending', attempts = 0, next_attempt_at = ? WHERE id = ?`, FormatTime(leaseUntil), id); err != nil {
			return err
		}
		d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = ?`, id))
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// FanOut reads timeline entries after the cursor, queues a delivery per
// subscription that wants each event, and moves the cursor, atomically.
func (s *WebhookStore) FanOut(ctx context.Context, limit int, event func(*app.TimelineEntry) (string, []byte)) (int, error) {
	if behind, err := timelineBehind(ctx, s.db, "webhook_cursor"); err != nil || !behind {
		return 0, err
	}
	n := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		entries, err := timelineAfterCursor(ctx, tx, "webhook_cursor", limit)
		if err != nil {
			return err
		}
		n = len(entries)
		if n == 0 {
			return nil
		}
		subs, err := activeSubscriptions(ctx, tx)
		if err != nil {
			return err
		}
		for _, e := range entries {
			for _, w := range subs[e.TenantID] {
				name, payload := event(e)
				if !w.Wants(name) {
					continue
				}
				if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO webhook_deliveries (tenant_id, subscription_id, event, event_id, payload, status, next_attempt_at, created_at)
					VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`, e.TenantID, w.ID, name, "evt_"+strconv.FormatInt(e.ID, 10), string(payload), FormatTime(tx.now), FormatTime(tx.now)); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_cursor SET timeline_id = ? WHERE id = 1`, entries[len(entries)-1].ID)
		return err
	})
	return n, err
}

// timelineBehind reports, from the read pool, whether the timeline has
// entries past the cursor table's: when it has none (most seconds) the
// fan-outs need not take the writer that form posts queue for.
func timelineBehind(ctx context.Context, db *DB, table string) (bool, error) {
	var behind bool
	err := db.read.QueryRowContext(ctx, `SELECT coalesce((SELECT max(id) FROM crm_timeline), 0) > (SELECT timeline_id FROM `+table+` WHERE id = 1)`).Scan(&behind)
	return behind, err
}

// timelineAfterCursor reads at most limit timeline entries after the one
// the cursor table (webhook_cursor, automation_cursor) names. Entries a
// tenant import brought (tx ImportedTimelineTx) are history, not news:
// they are never returned, and a batch of nothing else moves the cursor
// past them here.
func timelineAfterCursor(ctx context.Context, tx *Tx, table string, limit int) ([]*app.TimelineEntry, error) {
	var cursor int64
	if err := tx.QueryRowContext(ctx, `SELECT timeline_id FROM `+table+` WHERE id = 1`).Scan(&cursor); err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, tenant_id, record_type, record_id, kind, actor, field, old, new, body, ref_type, ref_id, created_at, tx
		FROM crm_timeline WHERE id > ? ORDER BY id LIMIT ?`, cursor, limit)
		if err != nil {
			return nil, err
		}
		var entries []*app.TimelineEntry
		var last int64
		for rows.Next() {
			var e app.TimelineEntry
			if err := rows.Scan(&e.ID, &e.TenantID, &e.RecordType, &e.RecordID, &e.Kind, &e.Actor, &e.Field, &e.Old, &e.New, &e.Body, &e.RefType, &e.RefID, Time{&e.CreatedAt}, &e.Tx); err != nil {
				rows.Close()
				return nil, err
			}
			last = e.ID
			if e.Tx != ImportedTimelineTx {
				entries = append(entries, &e)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(entries) > 0 || last == 0 {
			return entries, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET timeline_id = ? WHERE id = 1`, last); err != nil {
			return nil, err
		}
		cursor = last
	}
}

func activeSubscriptions(ctx context.Context, tx *Tx) (map[int64][]*app.WebhookSubscription, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM webhook_subscriptions WHERE active = 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]*app.WebhookSubscription{}
	for rows.Next() {
		w, err := scanSubscription(rows)
		if err != nil {
			return nil, err
		}
		out[w.TenantID] = append(out[w.TenantID], w)
	}
	return out, rows.Err()
}

// ClaimDeliveries leases due deliveries (pending and due, or sending with
// an expired lease after a crash) and returns them with their URL.
func (s *WebhookStore) ClaimDeliveries(ctx context.Context, limit int, leaseUntil time.Time) ([]*app.WebhookDelivery, error) {
	var out []*app.WebhookDelivery
	err := s.db.Update(ctx, func(tx *Tx) error {
		now := FormatTime(tx.now)
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET status = 'sending', next_attempt_at = ?
			WHERE id IN (SELECT id FROM webhook_deliveries WHERE status IN ('pending', 'sending') AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
			RETURNING id`, FormatTime(leaseUntil), now, limit)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, strconv.FormatInt(id, 10))
		}
		rows.Close()
		if len(ids) == 0 {
			return rows.Err()
		}
		rs, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
			WHERE d.id IN (`+strings.Join(ids, ",")+`) ORDER BY d.id`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			d, err := scanDelivery(rs)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rs.Err()
	})
	return out, err
}

// FinishDelivery records an attempt on its delivery and appends it to
// the delivery's log, numbered after the attempts before it.
func (s *WebhookStore) FinishDelivery(ctx context.Context, d *app.WebhookDelivery, a *app.WebhookAttempt) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var delivered, next any
		if d.DeliveredAt != nil {
			delivered = FormatTime(*d.DeliveredAt)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?, delivered_at = ? WHERE id = ?`,
			d.Status, d.Attempts, FormatTime(d.NextAttemptAt), d.LastStatusCode, truncateString(d.LastError, 500), delivered, d.ID); err != nil {
			return err
		}
		if a.NextAttemptAt != nil {
			next = FormatTime(*a.NextAttemptAt)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO webhook_attempts (tenant_id, delivery_id, attempt, redelivery, url, started_at, duration_ms, status_code, error, response, outcome, next_attempt_at)
			SELECT ?, ?, coalesce(max(attempt), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM webhook_attempts WHERE delivery_id = ? RETURNING id, attempt`,
			d.TenantID, d.ID, a.Redelivery, a.URL, FormatTime(a.StartedAt), a.Duration.Milliseconds(), a.StatusCode, truncateString(a.Error, 500),
			truncateString(a.Response, app.WebhookResponseExcerpt), a.Outcome, next, d.ID).Scan(&a.ID, &a.Attempt)
		return err
	})
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// PruneDeliveries deletes finished deliveries, with their attempts, past
// the log's retention: first those beyond the keep newest finished ones,
// then those created before before, oldest first, at most batch
// deliveries per write transaction so that a large prune (the first one
// after an upgrade, say) never holds the write lock for long.
func (s *WebhookStore) PruneDeliveries(ctx context.Context, before time.Time, keep, batch int) (app.WebhookPruned, error) {
	var out app.WebhookPruned
	if batch <= 0 {
		return out, fmt.Errorf("prune webhook deliveries: batch %d", batch)
	}
	// The newest finished delivery past the keep newest, read once:
	// deliveries finish only at the top of the ID range, so a bound read
	// a moment ago deletes fewer rows, never more.
	var bound int64
	if keep > 0 {
		err := s.db.read.QueryRowContext(ctx, `SELECT id FROM webhook_deliveries WHERE +status IN ('succeeded', 'failed') ORDER BY id DESC LIMIT 1 OFFSET ?`, keep).Scan(&bound)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return out, fmt.Errorf("prune webhook deliveries: %w", err)
		}
	}
	// "+status" keeps the planner off the (status, next_attempt_at)
	// index, which would read every finished delivery and sort them: the
	// ID and created_at orders stop after batch rows.
	for _, pass := range []struct {
		pick string
		arg  any
	}{
		{`SELECT id FROM webhook_deliveries WHERE id <= ? AND +status IN ('succeeded', 'failed') ORDER BY id LIMIT ?`, bound},
		{`SELECT id FROM webhook_deliveries WHERE created_at < ? AND +status IN ('succeeded', 'failed') ORDER BY created_at, id LIMIT ?`, FormatTime(before)},
	} {
		for {
			var n, a int64
			err := s.db.Update(ctx, func(tx *Tx) error {
				res, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (`+pass.pick+`)`, pass.arg, batch)
				if err != nil {
					return err
				}
				if a, err = res.RowsAffected(); err != nil {
					return err
				}
				if res, err = tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (`+pass.pick+`)`, pass.arg, batch); err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return out, fmt.Errorf("prune webhook deliveries: %w", err)
			}
			if n > 0 {
				out.Deliveries, out.Attempts, out.Batches = out.Deliveries+int(n), out.Attempts+int(a), out.Batches+1
			}
			if n < int64(batch) {
				break
			}
		}
	}
	return out, nil
}
