package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/creators"
)

// CreatorStore implements creators.Store (issue #22): profiles,
// campaigns, deliverables and comments of the tenant in ctx.
type CreatorStore struct{ db *DB }

var _ creators.Store = (*CreatorStore)(nil)

// NewCreatorStore returns a CreatorStore on db.
func NewCreatorStore(db *DB) *CreatorStore { return &CreatorStore{db: db} }

const creatorProfileColumns = `c.id, c.tenant_id, c.person_id, TRIM(p.first_name || ' ' || p.last_name), COALESCE(json_extract(p.emails, '$[0]'), ''),
	c.handles, c.audience, c.rate_cents, c.niches, c.samples, c.created_at`

func scanCreatorProfile(row scanner) (*creators.Profile, error) {
	var p creators.Profile
	var handles, niches, samples string
	if err := row.Scan(&p.ID, &p.TenantID, &p.PersonID, &p.PersonName, &p.PersonEmail, &handles, &p.Audience, &p.RateCents, &niches, &samples, Time{&p.CreatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(handles), &p.Handles); err != nil {
		return nil, err
	}
	p.Niches = splitLines(niches)
	p.Samples = splitLines(samples)
	return &p, nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// FindProfiles lists the tenant's creators by name.
func (s *CreatorStore) FindProfiles(ctx context.Context) ([]*creators.Profile, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+creatorProfileColumns+` FROM creator_profiles c JOIN crm_people p ON p.id = c.person_id
		WHERE c.tenant_id = ? ORDER BY p.name_key, c.id LIMIT 1000`, tid)
	if err != nil {
		return nil, fmt.Errorf("find creators: %w", err)
	}
	return scanAll(rows, scanCreatorProfile)
}

// FindProfile returns ENOTFOUND.
func (s *CreatorStore) FindProfile(ctx context.Context, id int64) (*creators.Profile, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	p, err := scanCreatorProfile(s.db.read.QueryRowContext(ctx, `SELECT `+creatorProfileColumns+` FROM creator_profiles c JOIN crm_people p ON p.id = c.person_id
		WHERE c.tenant_id = ? AND c.id = ?`, tid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Creator not found.")
	}
	return p, err
}

// CreateProfile inserts a profile for one of the tenant's people.
func (s *CreatorStore) CreateProfile(ctx context.Context, p *creators.Profile) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	handles, _ := json.Marshal(p.Handles)
	return s.db.Update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM crm_people WHERE tenant_id = ? AND id = ?`, tid, p.PersonID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return app.FieldErrorf("person_id", "No such person in your CRM.")
		}
		p.TenantID, p.CreatedAt = tid, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO creator_profiles (tenant_id, person_id, handles, audience, rate_cents, niches, samples, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			tid, p.PersonID, string(handles), p.Audience, p.RateCents, strings.Join(p.Niches, "\n"), strings.Join(p.Samples, "\n"), FormatTime(tx.now))
		if err != nil {
			if app.ErrorCode(FormatError(err, "")) == app.ECONFLICT {
				return &app.Error{Code: app.ECONFLICT, Field: "person_id", Message: "This person is a creator already."}
			}
			return fmt.Errorf("create creator: %w", err)
		}
		p.ID, err = res.LastInsertId()
		return err
	})
}

const creatorCampaignColumns = `c.id, c.tenant_id, c.name, c.brief, c.created_at, c.updated_at,
	(SELECT COUNT(*) FROM creator_deliverables d WHERE d.campaign_id = c.id),
	(SELECT COALESCE(SUM(d.amount_cents), 0) FROM creator_deliverables d WHERE d.campaign_id = c.id),
	(SELECT COALESCE(SUM(d.paid_cents), 0) FROM creator_deliverables d WHERE d.campaign_id = c.id)`

func scanCreatorCampaign(row scanner) (*creators.Campaign, error) {
	var c creators.Campaign
	err := row.Scan(&c.ID, &c.TenantID, &c.Name, &c.Brief, Time{&c.CreatedAt}, Time{&c.UpdatedAt}, &c.Deliverables, &c.OwedCents, &c.PaidCents)
	return &c, err
}

// FindCampaigns lists campaigns, newest first, with their totals.
func (s *CreatorStore) FindCampaigns(ctx context.Context) ([]*creators.Campaign, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+creatorCampaignColumns+` FROM creator_campaigns c WHERE c.tenant_id = ? ORDER BY c.id DESC LIMIT 500`, tid)
	if err != nil {
		return nil, fmt.Errorf("find campaigns: %w", err)
	}
	return scanAll(rows, scanCreatorCampaign)
}

// FindCampaign returns ENOTFOUND.
func (s *CreatorStore) FindCampaign(ctx context.Context, id int64) (*creators.Campaign, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	c, err := scanCreatorCampaign(s.db.read.QueryRowContext(ctx, `SELECT `+creatorCampaignColumns+` FROM creator_campaigns c WHERE c.tenant_id = ? AND c.id = ?`, tid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Campaign not found.")
	}
	return c, err
}

// SaveCampaign inserts (ID 0) or updates a campaign. Returns ENOTFOUND.
func (s *CreatorStore) SaveCampaign(ctx context.Context, c *creators.Campaign) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		c.TenantID, c.UpdatedAt = tid, tx.now
		if c.ID == 0 {
			c.CreatedAt = tx.now
			res, err := tx.ExecContext(ctx, `INSERT INTO creator_campaigns (tenant_id, name, brief, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				tid, c.Name, c.Brief, FormatTime(tx.now), FormatTime(tx.now))
			if err != nil {
				return fmt.Errorf("create campaign: %w", err)
			}
			c.ID, err = res.LastInsertId()
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE creator_campaigns SET name = ?, brief = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, c.Name, c.Brief, FormatTime(tx.now), tid, c.ID)
		if err != nil {
			return fmt.Errorf("update campaign: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Campaign not found.")
		}
		return nil
	})
}

const creatorDeliverableColumns = `d.id, d.tenant_id, d.campaign_id, d.creator_id, TRIM(p.first_name || ' ' || p.last_name), d.kind, d.due_date, d.status,
	d.amount_cents, d.paid_cents, d.usage_until, d.reminded_at, d.submission_url, d.submission_note, d.file_name, d.file_type, d.file_data IS NOT NULL,
	d.submitted_at, d.link_nonce, d.link_expires_at, d.created_at, d.updated_at`

const creatorDeliverableFrom = ` FROM creator_deliverables d JOIN creator_profiles c ON c.id = d.creator_id JOIN crm_people p ON p.id = c.person_id`

func scanCreatorDeliverable(row scanner) (*creators.Deliverable, error) {
	var d creators.Deliverable
	var reminded, submitted NullTime
	err := row.Scan(&d.ID, &d.TenantID, &d.CampaignID, &d.CreatorID, &d.CreatorName, &d.Kind, &d.Due, &d.Status, &d.AmountCents, &d.PaidCents, &d.UsageUntil,
		&reminded, &d.SubmissionURL, &d.SubmissionNote, &d.FileName, &d.FileType, &d.HasFile, &submitted, &d.LinkNonce, Time{&d.LinkExpiresAt},
		Time{&d.CreatedAt}, Time{&d.UpdatedAt})
	d.RemindedAt, d.SubmittedAt = reminded.T, submitted.T
	return &d, err
}

// FindDeliverables lists a campaign's deliverables.
func (s *CreatorStore) FindDeliverables(ctx context.Context, campaignID int64) ([]*creators.Deliverable, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+creatorDeliverableColumns+creatorDeliverableFrom+` WHERE d.tenant_id = ? AND d.campaign_id = ? ORDER BY d.id LIMIT 5000`, tid, campaignID)
	if err != nil {
		return nil, fmt.Errorf("find deliverables: %w", err)
	}
	return scanAll(rows, scanCreatorDeliverable)
}

// FindDeliverable returns ENOTFOUND.
func (s *CreatorStore) FindDeliverable(ctx context.Context, id int64) (*creators.Deliverable, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	d, err := scanCreatorDeliverable(s.db.read.QueryRowContext(ctx, `SELECT `+creatorDeliverableColumns+creatorDeliverableFrom+` WHERE d.tenant_id = ? AND d.id = ?`, tid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Deliverable not found.")
	}
	return d, err
}

// FindDeliverableFile returns the submitted file's bytes.
func (s *CreatorStore) FindDeliverableFile(ctx context.Context, id int64) ([]byte, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	var b []byte
	err = s.db.read.QueryRowContext(ctx, `SELECT file_data FROM creator_deliverables WHERE tenant_id = ? AND id = ? AND file_data IS NOT NULL`, tid, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "No file was submitted.")
	}
	return b, err
}

// CreateDeliverable inserts a deliverable of the tenant's campaign and
// creator.
func (s *CreatorStore) CreateDeliverable(ctx context.Context, d *creators.Deliverable) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM creator_campaigns WHERE tenant_id = ? AND id = ?`, tid, d.CampaignID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return app.Errorf(app.ENOTFOUND, "Campaign not found.")
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM creator_profiles WHERE tenant_id = ? AND id = ?`, tid, d.CreatorID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return app.FieldErrorf("creator_id", "No such creator.")
		}
		d.TenantID, d.CreatedAt, d.UpdatedAt = tid, tx.now, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO creator_deliverables (tenant_id, campaign_id, creator_id, kind, due_date, status, amount_cents, paid_cents, usage_until,
			link_nonce, link_expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tid, d.CampaignID, d.CreatorID, d.Kind, d.Due, d.Status, d.AmountCents, d.PaidCents, d.UsageUntil, d.LinkNonce, FormatTime(d.LinkExpiresAt), FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("create deliverable: %w", err)
		}
		d.ID, err = res.LastInsertId()
		return err
	})
}

func addCreatorComment(ctx context.Context, tx *Tx, tid, id int64, c *creators.Comment) error {
	c.DeliverableID, c.CreatedAt = id, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO creator_comments (tenant_id, deliverable_id, author, body, created_at) VALUES (?, ?, ?, ?, ?)`, tid, id, c.Author, c.Body, FormatTime(tx.now))
	if err != nil {
		return fmt.Errorf("add comment: %w", err)
	}
	c.ID, err = res.LastInsertId()
	return err
}

// SetStatus moves a deliverable and adds the comment in one transaction.
func (s *CreatorStore) SetStatus(ctx context.Context, id int64, status string, c *creators.Comment) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE creator_deliverables SET status = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, status, FormatTime(tx.now), tid, id)
		if err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Deliverable not found.")
		}
		if c != nil {
			return addCreatorComment(ctx, tx, tid, id, c)
		}
		return nil
	})
}

// Submit stores a submission if the link's nonce is still the
// deliverable's, moves it to drafted and adds the note, in one
// transaction.
func (s *CreatorStore) Submit(ctx context.Context, id int64, nonce string, sub *creators.Submission) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		var file any
		if len(sub.File) > 0 {
			file = sub.File
		}
		res, err := tx.ExecContext(ctx, `UPDATE creator_deliverables SET status = 'drafted', submission_url = ?, submission_note = ?,
			file_name = CASE WHEN ? IS NULL THEN file_name ELSE ? END, file_type = CASE WHEN ? IS NULL THEN file_type ELSE ? END, file_data = COALESCE(?, file_data),
			submitted_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND link_nonce = ? AND status NOT IN ('approved', 'published')`,
			sub.URL, sub.Note, file, sub.FileName, file, sub.FileType, file, FormatTime(tx.now), FormatTime(tx.now), tid, id, nonce)
		if err != nil {
			return fmt.Errorf("submit: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.EFORBIDDEN, "This link is not valid any more. Ask for a new one.")
		}
		if sub.Note != "" {
			return addCreatorComment(ctx, tx, tid, id, &creators.Comment{Author: creators.AuthorCreator, Body: sub.Note})
		}
		return nil
	})
}

func (s *CreatorStore) updateDeliverable(ctx context.Context, id int64, set string, args ...any) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE creator_deliverables SET `+set+`, updated_at = ? WHERE tenant_id = ? AND id = ?`, append(args, FormatTime(tx.now), tid, id)...)
		if err != nil {
			return fmt.Errorf("update deliverable: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Deliverable not found.")
		}
		return nil
	})
}

// SetPaid records the amount paid.
func (s *CreatorStore) SetPaid(ctx context.Context, id int64, paid int64) error {
	return s.updateDeliverable(ctx, id, `paid_cents = ?`, paid)
}

// SetLink replaces the private link's nonce and expiry.
func (s *CreatorStore) SetLink(ctx context.Context, id int64, nonce string, expires time.Time) error {
	return s.updateDeliverable(ctx, id, `link_nonce = ?, link_expires_at = ?`, nonce, FormatTime(expires))
}

// FindComments lists a deliverable's comments, oldest first.
func (s *CreatorStore) FindComments(ctx context.Context, id int64) ([]*creators.Comment, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, deliverable_id, author, body, created_at FROM creator_comments WHERE tenant_id = ? AND deliverable_id = ? ORDER BY id`, tid, id)
	if err != nil {
		return nil, fmt.Errorf("find comments: %w", err)
	}
	return scanAll(rows, func(r scanner) (*creators.Comment, error) {
		var c creators.Comment
		err := r.Scan(&c.ID, &c.DeliverableID, &c.Author, &c.Body, Time{&c.CreatedAt})
		return &c, err
	})
}

// ClaimReminders marks every tenant's deliverables whose usage rights
// end by until (YYYY-MM-DD) and were never reminded, in one transaction,
// and returns them.
func (s *CreatorStore) ClaimReminders(ctx context.Context, until string, now time.Time) ([]*creators.Reminder, error) {
	var out []*creators.Reminder
	err := s.db.Update(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+creatorDeliverableColumns+`, (SELECT name FROM creator_campaigns WHERE id = d.campaign_id)`+creatorDeliverableFrom+`
			WHERE d.reminded_at IS NULL AND d.usage_until != '' AND d.usage_until <= ? ORDER BY d.id LIMIT 500`, until)
		if err != nil {
			return err
		}
		out, err = scanAll(rows, func(r scanner) (*creators.Reminder, error) {
			var name string
			d, err := scanCreatorDeliverable(suffixScanner{r, &name})
			return &creators.Reminder{Deliverable: d, CampaignName: name}, err
		})
		if err != nil {
			return err
		}
		for _, r := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE creator_deliverables SET reminded_at = ? WHERE id = ?`, FormatTime(now), r.Deliverable.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// suffixScanner scans the extra columns after a row's known ones.
type suffixScanner struct {
	r     scanner
	extra *string
}

func (s suffixScanner) Scan(dest ...any) error { return s.r.Scan(append(dest, s.extra)...) }

// UnclaimReminder clears a reminder's claim (its mail failed).
func (s *CreatorStore) UnclaimReminder(ctx context.Context, tenantID, id int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE creator_deliverables SET reminded_at = NULL WHERE tenant_id = ? AND id = ?`, tenantID, id)
		return err
	})
}

// UpdateProfile saves a profile's handles, audience, rate, niches and
// samples. Returns ENOTFOUND.
func (s *CreatorStore) UpdateProfile(ctx context.Context, p *creators.Profile) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	handles, _ := json.Marshal(p.Handles)
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE creator_profiles SET handles = ?, audience = ?, rate_cents = ?, niches = ?, samples = ? WHERE tenant_id = ? AND id = ?`,
			string(handles), p.Audience, p.RateCents, strings.Join(p.Niches, "\n"), strings.Join(p.Samples, "\n"), tid, p.ID)
		if err != nil {
			return fmt.Errorf("update creator: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Creator not found.")
		}
		return nil
	})
}

// UpdateDeliverable saves a deliverable's type, due date, amount and
// usage end; a changed usage end clears the reminder so the new end is
// reminded. Returns ENOTFOUND.
func (s *CreatorStore) UpdateDeliverable(ctx context.Context, d *creators.Deliverable) error {
	return s.updateDeliverable(ctx, d.ID, `kind = ?, due_date = ?, amount_cents = ?,
		reminded_at = CASE WHEN usage_until = ? THEN reminded_at END, usage_until = ?`, d.Kind, d.Due, d.AmountCents, d.UsageUntil, d.UsageUntil)
}

// DeleteCampaign deletes a campaign; its deliverables and their comments
// go with it (foreign keys cascade). Returns ENOTFOUND.
func (s *CreatorStore) DeleteCampaign(ctx context.Context, id int64) error {
	return s.deleteCreatorRow(ctx, "creator_campaigns", id, "Campaign not found.")
}

// DeleteDeliverable deletes a deliverable and its comments. Returns
// ENOTFOUND.
func (s *CreatorStore) DeleteDeliverable(ctx context.Context, id int64) error {
	return s.deleteCreatorRow(ctx, "creator_deliverables", id, "Deliverable not found.")
}

func (s *CreatorStore) deleteCreatorRow(ctx context.Context, table string, id int64, notFound string) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE tenant_id = ? AND id = ?`, tid, id)
		if err != nil {
			return fmt.Errorf("delete from %s: %w", table, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "%s", notFound)
		}
		return nil
	})
}
