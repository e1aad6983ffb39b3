package store_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// seedDeliveries inserts n deliveries of the house tenant with the given
// status, created age before db.Now, each with attempts attempts; it
// returns their IDs.
func seedDeliveries(t *testing.T, db *store.DB, n int, status string, age time.Duration, attempts int) []int64 {
	t.Helper()
	ctx := context.Background()
	created := store.FormatTime(db.Now().Add(-age))
	var ids []int64
	err := db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO webhook_subscriptions (id, tenant_id, url, events, active, created_at) VALUES (1, 1, 'https://hooks.example.com/', '["person.created"]', 1, ?)`, created); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (tenant_id, subscription_id, event, event_id, payload, status, attempts, next_attempt_at, created_at)
				VALUES (1, 1, 'person.created', 'evt_' || abs(random()), '{}', ?, ?, ?, ?) RETURNING id`, status, attempts, created, created).Scan(&id); err != nil {
				return err
			}
			for a := 1; a <= attempts; a++ {
				if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (tenant_id, delivery_id, attempt, url, started_at, duration_ms, outcome) VALUES (1, ?, ?, 'https://hooks.example.com/', ?, 5, 'retry')`, id, a, created); err != nil {
					return err
				}
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// remaining returns the IDs of the deliveries left and how many attempts.
func remaining(t *testing.T, db *store.DB) (map[int64]bool, int) {
	t.Helper()
	rows, err := db.ReadDB().Query(`SELECT id FROM webhook_deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	var attempts int
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM webhook_attempts`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	return ids, attempts
}

// TestWebhookStore_PruneDeliveries: finished deliveries older than the
// cut-off go with their attempts, a batch per transaction; pending ones
// stay however old, recent ones stay; past the count limit the oldest
// finished ones go; each batch finds its rows through an index.
func TestWebhookStore_PruneDeliveries(t *testing.T) {
	db := MustOpenDB(t)
	s := store.NewWebhookStore(db)
	ctx := context.Background()
	day := 24 * time.Hour
	oldOK := seedDeliveries(t, db, 15, "succeeded", 40*day, 1)
	oldFailed := seedDeliveries(t, db, 10, "failed", 31*day, 3)
	oldPending := seedDeliveries(t, db, 3, "pending", 40*day, 2)
	recent := seedDeliveries(t, db, 5, "succeeded", 29*day, 1)

	got, err := s.PruneDeliveries(ctx, db.Now().Add(-30*day), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := (app.WebhookPruned{Deliveries: 25, Attempts: 15 + 30, Batches: 3}); got != want {
		t.Fatalf("pruned %+v, want %+v", got, want)
	}
	left, attempts := remaining(t, db)
	for _, id := range append(oldOK, oldFailed...) {
		if left[id] {
			t.Errorf("old finished delivery %d kept", id)
		}
	}
	for _, id := range append(oldPending, recent...) {
		if !left[id] {
			t.Errorf("delivery %d (pending or recent) deleted", id)
		}
	}
	if len(left) != 8 || attempts != 3*2+5 {
		t.Errorf("left %d deliveries and %d attempts, want 8 and 11", len(left), attempts)
	}
	if again, err := s.PruneDeliveries(ctx, db.Now().Add(-30*day), 0, 10); err != nil || again != (app.WebhookPruned{}) {
		t.Errorf("second prune: %+v %v, want nothing", again, err)
	}

	// The count limit: 17 finished recent deliveries, keep 10: the 7
	// oldest go, in one batch; pending ones do not count and stay.
	more := seedDeliveries(t, db, 12, "succeeded", day, 2)
	got, err = s.PruneDeliveries(ctx, db.Now().Add(-30*day), 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := (app.WebhookPruned{Deliveries: 7, Attempts: 5*1 + 2*2, Batches: 1}); got != want {
		t.Fatalf("count prune %+v, want %+v", got, want)
	}
	left, _ = remaining(t, db)
	for _, id := range append(recent, more[:2]...) {
		if left[id] {
			t.Errorf("delivery %d is past the newest 10 but kept", id)
		}
	}
	for _, id := range append(oldPending, more[2:]...) {
		if !left[id] {
			t.Errorf("delivery %d deleted, want kept", id)
		}
	}

	// The store's three queries (copied here) read their rows in index
	// order (ID or created_at) and stop at their limit: no sort of every
	// finished delivery, and no table scan when there is nothing to prune.
	for _, q := range []string{
		`SELECT id FROM webhook_deliveries WHERE +status IN ('succeeded', 'failed') ORDER BY id DESC LIMIT 1 OFFSET 10`,
		`SELECT id FROM webhook_deliveries WHERE id <= 5 AND +status IN ('succeeded', 'failed') ORDER BY id LIMIT 10`,
		`SELECT id FROM webhook_deliveries WHERE created_at < '2026-01-01' AND +status IN ('succeeded', 'failed') ORDER BY created_at, id LIMIT 10`,
	} {
		var plan []string
		rows, err := db.ReadDB().Query(`EXPLAIN QUERY PLAN ` + q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if strings.Contains(p, "TEMP B-TREE") || strings.Contains(p, "webhook_deliveries_due") {
			t.Errorf("plan for %s: %s", q, p)
		}
	}
}

// TestWebhookService_Retention: with no settings the log keeps 30 days:
// Run prunes when it starts (and hourly after), deleting a delivery
// finished 31 days ago and keeping one from 29 days ago; the page's note
// states the bounds.
func TestWebhookService_Retention(t *testing.T) {
	db := MustOpenDB(t)
	day := 24 * time.Hour
	old := seedDeliveries(t, db, 1, "failed", 31*day, 8)[0]
	kept := seedDeliveries(t, db, 1, "succeeded", 29*day, 1)[0]
	svc := app.NewWebhookService(store.NewWebhookStore(db))
	svc.Now, svc.Logger = db.Now, slog.New(slog.DiscardHandler)
	if got, want := svc.RetentionNote(), "kept for 30 days (at most the newest 100,000)"; !strings.Contains(got, want) {
		t.Errorf("note %q lacks %q", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left, _ := remaining(t, db)
		if !left[old] {
			if !left[kept] {
				t.Error("the 29-day-old delivery was deleted")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not prune the 31-day-old delivery")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done

	svc = app.NewWebhookService(store.NewWebhookStore(db))
	svc.Now, svc.Retention, svc.Keep = db.Now, 7*day, 2500
	if got, want := svc.RetentionNote(), "kept for 7 days (at most the newest 2,500)"; !strings.Contains(got, want) {
		t.Errorf("note %q lacks %q", got, want)
	}
	if p, err := svc.Prune(context.Background()); err != nil || p.Deliveries != 1 {
		t.Errorf("7-day retention pruned %+v %v, want the 29-day-old delivery", p, err)
	}
}
