package inbox_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"orengen/app/inbox"
	"orengen/store"
)

// TestInboxReportFigures measures the inbox report (first-response and
// resolution medians, by channel, by hour, per assignee) over 30 days
// holding all of 100,000 conversations of one tenant, and over the last
// 7 days of them, against the inbox list (the default view, 50 rows) at
// the same size in the same run. ORENGEN_BENCH_INBOX=1.
func TestInboxReportFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_INBOX") != "1" {
		t.Skip("figures: ORENGEN_BENCH_INBOX=1")
	}
	e := newEnv(t)
	ctx := e.owner(e.tA)
	const n = 100000
	start := e.now.Add(-29 * 24 * time.Hour)
	chans := []string{"sms", "email", "chat", "call"}
	if err := e.db.Update(context.Background(), func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			opened := start.Add(time.Duration(i) * 25 * time.Second)
			at := store.FormatTime(opened)
			status := []string{"open", "pending", "closed", "closed"}[i%4]
			who := ""
			if i%6 != 0 {
				who = fmt.Sprintf("user:agent%d@alpha.test", i%5)
			}
			res, err := tx.Exec(`INSERT INTO inbox_conversations (tenant_id, channel, thread_key, address, status, assignee, last_message_at, last_preview, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'hello', ?, ?)`, e.tA.ID, chans[i%4], fmt.Sprintf("k%d", i), fmt.Sprintf("+1512555%04d", i%10000), status, who, at, at, at)
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			var first, closed any
			if i%5 != 0 {
				first = store.FormatTime(opened.Add(time.Duration(30+i%7200) * time.Second))
			}
			if status == "closed" {
				closed = store.FormatTime(opened.Add(time.Duration(600+i%86400) * time.Second))
			}
			if _, err := tx.Exec(`INSERT INTO inbox_episodes (tenant_id, conversation_id, channel, assignee, opened_at, customer_at, first_response_at, closed_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.tA.ID, id, chans[i%4], who, at, at, first, closed); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p50 := func(runs int, fn func()) time.Duration {
		var ds []time.Duration
		for i := 0; i < runs; i++ {
			t0 := time.Now()
			fn()
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	list := p50(200, func() {
		if cs, err := e.svc.Conversations(ctx, inbox.Filter{}); err != nil || len(cs) != 50 {
			t.Fatalf("%d rows %v", len(cs), err)
		}
	})
	month := p50(21, func() {
		if r, err := e.svc.Report(ctx, inbox.ReportQuery{}); err != nil || r.Totals.Conversations != n {
			t.Fatalf("report: %v", err)
		}
	})
	var week int
	last7 := p50(51, func() {
		to := e.now.In(time.UTC)
		r, err := e.svc.Report(ctx, inbox.ReportQuery{From: to.AddDate(0, 0, -6).Format(time.DateOnly), To: to.Format(time.DateOnly)})
		if err != nil {
			t.Fatal(err)
		}
		week = r.Totals.Conversations
	})
	t.Logf("inbox report at 100,000 conversations: p50 %v over 30 days (all %d), %v over 7 days (%d); inbox list p50 %v (ratio %.0f and %.0f)",
		month, n, last7, week, list, float64(month)/float64(list), float64(last7)/float64(list))
}
