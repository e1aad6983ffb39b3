package store

import (
	"context"
	"fmt"
	"time"

	"orengen/app/billing"
)

var _ billing.MeterStore = (*BillingStore)(nil)

// UnmeteredTenants implements billing.MeterStore: the client tenants
// (not the house) without the day's active-contacts event, the last one
// the daily meter records.
func (s *BillingStore) UnmeteredTenants(ctx context.Context, day string) ([]int64, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT t.id FROM tenants t WHERE t.is_house = 0 AND NOT EXISTS (SELECT 1 FROM billing_usage_events e
		WHERE e.tenant_id = t.id AND e.source = ? AND e.source_id = 'contacts:' || t.id || ':' || ?) ORDER BY t.id`, billing.SourceMeter, day)
	if err != nil {
		return nil, fmt.Errorf("unmetered tenants: %w", err)
	}
	return scanAll(rows, func(r scanner) (int64, error) {
		var id int64
		err := r.Scan(&id)
		return id, err
	})
}

// storageQuery sums the bytes of every file a tenant keeps: the logo,
// knowledge (wiki) attachments, Conversations attachments, lesson files,
// website files, brand assets, creators' deliverables and the AI agents'
// knowledge documents. Each term is filtered by the tenant.
const storageQuery = `SELECT
	(SELECT COALESCE(SUM(length(data)), 0) FROM tenant_logos WHERE tenant_id = ?1) +
	(SELECT COALESCE(SUM(size), 0) FROM wiki_attachments WHERE tenant_id = ?1) +
	(SELECT COALESCE(SUM(size), 0) FROM inbox_attachments WHERE tenant_id = ?1) +
	(SELECT COALESCE(SUM(size), 0) FROM course_lesson_files WHERE tenant_id = ?1) +
	(SELECT COALESCE(SUM(length(f.body)), 0) FROM web_files f JOIN web_sites w ON w.id = f.site_id WHERE w.tenant_id = ?1) +
	(SELECT COALESCE(SUM(length(data)), 0) FROM brand_assets WHERE tenant_id = ?1) +
	(SELECT COALESCE(SUM(length(file_data)), 0) FROM creator_deliverables WHERE tenant_id = ?1) +
	(SELECT COALESCE(SUM(bytes), 0) FROM agent_documents WHERE tenant_id = ?1)`

// StorageBytes implements billing.MeterStore.
func (s *BillingStore) StorageBytes(ctx context.Context, tenantID int64) (int64, error) {
	var n int64
	if err := s.db.read.QueryRowContext(ctx, storageQuery, tenantID).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage bytes: %w", err)
	}
	return n, nil
}

// MarkActiveContacts implements billing.MeterStore: in one transaction it
// marks the people active on day (not yet marked this month) and counts
// those whose first activity this month is day.
func (s *BillingStore) MarkActiveContacts(ctx context.Context, tenantID int64, day string) (int64, error) {
	d, err := time.Parse("2006-01-02", day)
	if err != nil {
		return 0, fmt.Errorf("active contacts day: %w", err)
	}
	from, to := day, d.AddDate(0, 0, 1).Format("2006-01-02")
	var n int64
	err = s.db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO billing_active_contacts (tenant_id, month, person_id, day)
			SELECT ?1, ?4, id, ?2 FROM (
				SELECT id FROM crm_people WHERE tenant_id = ?1 AND (created_at >= ?2 AND created_at < ?3 OR updated_at >= ?2 AND updated_at < ?3)
				UNION SELECT record_id FROM crm_timeline WHERE tenant_id = ?1 AND record_type = 'person' AND created_at >= ?2 AND created_at < ?3
				UNION SELECT c.person_id FROM inbox_messages m JOIN inbox_conversations c ON c.id = m.conversation_id AND c.tenant_id = ?1
					WHERE m.tenant_id = ?1 AND c.person_id IS NOT NULL AND m.direction IN ('in', 'out') AND m.created_at >= ?2 AND m.created_at < ?3)
			WHERE true ON CONFLICT (tenant_id, month, person_id) DO NOTHING`, tenantID, from, to, day[:7]); err != nil {
			return fmt.Errorf("mark active contacts: %w", err)
		}
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM billing_active_contacts WHERE tenant_id = ? AND day = ?`, tenantID, day).Scan(&n)
	})
	return n, err
}
