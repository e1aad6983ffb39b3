package billing_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"orengen/app/billing"
	"orengen/store"
)

// TestService_MeterDay: the daily meter records each tenant's storage
// (its files' bytes, in MB rounded up) and active contacts (people
// created, changed, with a timeline entry or a Conversations message that
// day, once per calendar month), matching figures the test computes from
// what it stored itself; metering a day twice counts once, and another
// tenant's files and people never count.
func TestService_MeterDay(t *testing.T) {
	s, db, ts := openBilling(t)
	ctx := context.Background()
	acme, bravo := ts[0].ID, ts[1].ID
	d1 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	d2 := d1.AddDate(0, 0, 1) // a new month: contacts count again
	at := func(d time.Time, h int) string {
		return d.Add(time.Duration(h) * time.Hour).Format("2006-01-02T15:04:05.000Z")
	}
	exec := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.Update(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, q, args...)
			if err == nil {
				id, err = res.LastInsertId()
			}
			return err
		}); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	// Files: Acme's logo, a brand asset, a knowledge document and a
	// Conversations attachment; Bravo's logo.
	logo, asset := bytes.Repeat([]byte{1}, 1_500_000), bytes.Repeat([]byte{2}, 700_001)
	exec(`INSERT INTO tenant_logos (tenant_id, content_type, data, hash, updated_at) VALUES (?, 'image/png', ?, 'h', ?)`, acme, logo, at(d1, 1))
	exec(`INSERT INTO tenant_logos (tenant_id, content_type, data, hash, updated_at) VALUES (?, 'image/png', ?, 'h', ?)`, bravo, []byte("0123456789"), at(d1, 1))
	exec(`INSERT INTO brand_assets (tenant_id, kind, content_type, data, hash, created_at) VALUES (?, 'photo', 'image/png', ?, 'h', ?)`, acme, asset, at(d1, 1))
	exec(`INSERT INTO agent_documents (tenant_id, title, kind, ref, bytes, created_at, updated_at) VALUES (?, 'FAQ', 'text', 'faq', 2500, ?, ?)`, acme, at(d1, 1), at(d1, 1))
	person := func(tenant int64, created, updated string) int64 {
		return exec(`INSERT INTO crm_people (tenant_id, first_name, name_key, created_at, updated_at) VALUES (?, 'P', 'p', ?, ?)`, tenant, created, updated)
	}
	old := at(d1.AddDate(0, -2, 0), 0)
	person(acme, at(d1, 9), at(d1, 9))       // created on d1
	changed := person(acme, old, at(d1, 15)) // changed on d1, and again on d2
	noted := person(acme, old, old)          // a timeline entry on d1
	texted := person(acme, old, old)         // a text in on d1
	later := person(acme, old, at(d2, 10))   // active on d2 only
	idle := person(acme, old, old)           // never active
	person(bravo, at(d1, 9), at(d1, 9))      // Bravo's
	exec(`INSERT INTO crm_timeline (tenant_id, record_type, record_id, kind, created_at) VALUES (?, 'person', ?, 'note', ?)`, acme, noted, at(d1, 11))
	conv := exec(`INSERT INTO inbox_conversations (tenant_id, channel, thread_key, person_id, last_message_at, created_at, updated_at) VALUES (?, 'sms', 'k', ?, ?, ?, ?)`,
		acme, texted, at(d1, 12), at(d1, 12), at(d1, 12))
	msg := exec(`INSERT INTO inbox_messages (tenant_id, conversation_id, direction, created_at, updated_at) VALUES (?, ?, 'in', ?, ?)`, acme, conv, at(d1, 12), at(d1, 12))
	exec(`INSERT INTO inbox_attachments (tenant_id, message_id, conversation_id, name, size, data, created_at) VALUES (?, ?, ?, 'a.jpg', 4000, ?, ?)`,
		acme, msg, conv, bytes.Repeat([]byte{3}, 4000), at(d1, 12))
	// An internal note on the idle person's conversation is not activity.
	conv2 := exec(`INSERT INTO inbox_conversations (tenant_id, channel, thread_key, person_id, last_message_at, created_at, updated_at) VALUES (?, 'sms', 'k2', ?, ?, ?, ?)`,
		acme, idle, at(d1, 12), at(d1, 12), at(d1, 12))
	exec(`INSERT INTO inbox_messages (tenant_id, conversation_id, direction, created_at, updated_at) VALUES (?, ?, 'note', ?, ?)`, acme, conv2, at(d1, 13), at(d1, 13))

	acmeBytes := int64(len(logo) + len(asset) + 2500 + 4000) // 2,206,501 bytes
	wantMB := (acmeBytes + 999_999) / 1_000_000              // 3
	for range 2 {
		if n, err := s.MeterDay(ctx, d1.Add(20*time.Hour)); err != nil {
			t.Fatal(err)
		} else if n > 2 {
			t.Fatalf("metered %d tenants", n)
		}
	}
	day := func(tenant int64, d time.Time) map[string]billing.UsageTotal { return totalsOf(t, s, tenant, d, d) }
	got := day(acme, d1)
	if g := got[billing.Storage]; g.Quantity != wantMB || g.Events != 1 {
		t.Errorf("Acme storage on d1 = %+v, want %d MB in 1 event (%d bytes)", g, wantMB, acmeBytes)
	}
	if g := got[billing.Contacts]; g.Quantity != 4 || g.Events != 1 {
		t.Errorf("Acme contacts on d1 = %+v, want 4 (created, changed, noted, texted) in 1 event", g)
	}
	var detail string
	if err := db.ReadDB().QueryRow(`SELECT detail FROM billing_usage_events WHERE tenant_id = ? AND source_id = ?`, acme, "storage:"+itoa(acme)+":2026-11-30").Scan(&detail); err != nil || detail != itoa(acmeBytes)+" bytes" {
		t.Errorf("storage event detail %q %v", detail, err)
	}
	got = day(bravo, d1)
	if g := got[billing.Storage]; g.Quantity != 1 {
		t.Errorf("Bravo storage = %+v, want 1 MB (10 bytes)", g)
	}
	if g := got[billing.Contacts]; g.Quantity != 1 {
		t.Errorf("Bravo contacts = %+v, want 1", g)
	}
	// d2 is a new month: the person changed again counts again, with the
	// one active on d2 only; the others were not active.
	exec(`UPDATE crm_people SET updated_at = ? WHERE id = ?`, at(d2, 8), changed)
	if _, err := s.MeterDay(ctx, d2); err != nil {
		t.Fatal(err)
	}
	if g := day(acme, d2)[billing.Contacts]; g.Quantity != 2 {
		t.Errorf("Acme contacts on d2 = %+v, want 2", g)
	}
	// Within a month a person counts once: a third day where the same two
	// are active again adds nothing.
	d3 := d2.AddDate(0, 0, 1)
	exec(`UPDATE crm_people SET updated_at = ? WHERE id IN (?, ?)`, at(d3, 8), changed, later)
	if _, err := s.MeterDay(ctx, d3); err != nil {
		t.Fatal(err)
	}
	if g := day(acme, d3)[billing.Contacts]; g.Quantity != 0 || g.Events != 1 {
		t.Errorf("Acme contacts on d3 = %+v, want 0 in 1 event", g)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
