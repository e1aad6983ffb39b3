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

// TestInboxFigures measures the inbox list (the default view: not
// closed, newest first, 50 rows) at 100,000 conversations of one tenant,
// against the same query at 1,000 in the same run. ORENGEN_BENCH_INBOX=1.
func TestInboxFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_INBOX") != "1" {
		t.Skip("figures: ORENGEN_BENCH_INBOX=1")
	}
	e := newEnv(t)
	ctx := e.owner(e.tA)
	next := 0
	fill := func(n int) {
		if err := e.db.Update(context.Background(), func(tx *store.Tx) error {
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := next; i < next+n; i++ {
				at := store.FormatTime(base.Add(time.Duration(i) * time.Minute))
				status := []string{"open", "pending", "closed", "open"}[i%4]
				if _, err := tx.Exec(`INSERT INTO inbox_conversations (tenant_id, channel, thread_key, address, status, last_message_at, last_preview, created_at, updated_at)
					VALUES (?, 'sms', ?, ?, ?, ?, 'hello', ?, ?)`, e.tA.ID, fmt.Sprintf("k%d", i), fmt.Sprintf("+1512555%04d", i%10000), status, at, at, at); err != nil {
					return err
				}
			}
			next += n
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	p50 := func() time.Duration {
		var ds []time.Duration
		for i := 0; i < 200; i++ {
			t0 := time.Now()
			cs, err := e.svc.Conversations(ctx, inbox.Filter{})
			if err != nil || len(cs) != 50 {
				t.Fatalf("%d rows %v", len(cs), err)
			}
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	fill(1000)
	small := p50()
	fill(99000)
	big := p50()
	t.Logf("inbox list p50: %v at 100,000 conversations, %v at 1,000 (ratio %.1f)", big, small, float64(big)/float64(small))
}

// TestInboxLiveFigures measures an inbound text from the verified
// webhook's call into the inbox (InboundSMS: CRM person, thread, message,
// timeline in one transaction) to the live event at an open inbox's
// subscriber, p50 and p99 over 500 texts, against the bare store write
// (Receive) in the same run. ORENGEN_BENCH_INBOX=1.
func TestInboxLiveFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_INBOX") != "1" {
		t.Skip("figures: ORENGEN_BENCH_INBOX=1")
	}
	e := newEnv(t)
	sub, err := e.svc.Subscribe(e.owner(e.tA))
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	pct := func(ds []time.Duration) (time.Duration, time.Duration) {
		slices.Sort(ds)
		return ds[len(ds)/2], ds[len(ds)*99/100]
	}
	var live, bare []time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		e.text(e.tA.ID, fmt.Sprintf("+1512666%04d", i%50), numberA, "Is Saturday open?", fmt.Sprintf("SMfig%d", i))
		select {
		case <-sub.C:
		case <-time.After(5 * time.Second):
			t.Fatal("no live event")
		}
		live = append(live, time.Since(t0))
	}
	st := store.NewInboxStore(e.db)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		from := fmt.Sprintf("+1512777%04d", i%50)
		if _, _, _, err := st.Receive(context.Background(), &inbox.Inbound{TenantID: e.tA.ID, Channel: inbox.ChannelSMS, ThreadKey: from + "|" + numberA, Address: from,
			LocalAddress: numberA, Phone: from, Message: inbox.Message{Direction: inbox.DirIn, Body: "Is Saturday open?", ProviderID: fmt.Sprintf("SMbare%d", i)}}); err != nil {
			t.Fatal(err)
		}
		bare = append(bare, time.Since(t0))
	}
	l50, l99 := pct(live)
	b50, b99 := pct(bare)
	t.Logf("text → live event at an open inbox: p50 %v p99 %v; the bare store write: p50 %v p99 %v (ratio p50 %.2f)", l50, l99, b50, b99, float64(l50)/float64(b50))
}
