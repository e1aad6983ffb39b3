package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/federal"
)

// FederalStore implements the federal stores (federal.Stores) on
// orengen.db, one type for all: they share the notice and pipeline
// tables. Every method but
// FederalTenants and SetFederalEnabled (which tenants have federal work:
// the admin's choice) takes the tenant from ctx (app.TenantIDFromContext,
// like the CRM's writes) and filters by it; a context without a tenant gets
// EUNAUTHORIZED, never every tenant's rows. Records passed in (a saved
// search, a pipeline entry, a section, a run, an alert) are written for
// the context's tenant, whatever their TenantID says.
type FederalStore struct{ db *DB }

// NewFederalStore returns a FederalStore on db.
func NewFederalStore(db *DB) *FederalStore { return &FederalStore{db: db} }

// Stores returns s as each of the federal stores, for federal.NewService
// and federal.NewScout.
func (s *FederalStore) Stores() federal.Stores {
	return federal.Stores{Profiles: s, Searches: s, Notices: s, Pursuits: s, Matrix: s,
		Sections: s, Grants: s, Alerts: s, Runs: s, Tenants: s}
}

func parseList(s string) []string {
	var v []string
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

func optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return FormatTime(t)
}

func sortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return FormatTime(t)
}

// FindProfile returns the tenant's profile; ENOTFOUND when none is saved.
func (s *FederalStore) FindProfile(ctx context.Context) (*federal.Profile, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	var p federal.Profile
	var other, psc, sa, kw, st string
	var exp NullTime
	err = s.db.read.QueryRowContext(ctx, `SELECT uei, cage, naics_primary, naics_other, psc_codes, set_asides, keywords, states, sam_expires
		FROM federal_profiles WHERE tenant_id = ?`, tenantID).Scan(&p.UEI, &p.CAGE, &p.NAICSPrimary, &other, &psc, &sa, &kw, &st, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "No federal profile yet: fill in Settings > Federal.")
	} else if err != nil {
		return nil, fmt.Errorf("find federal profile: %w", err)
	}
	p.NAICSOther, p.PSCCodes, p.SetAsides, p.Keywords, p.States = parseList(other), parseList(psc), parseList(sa), parseList(kw), parseList(st)
	if exp.T != nil {
		p.SAMExpires = *exp.T
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT name, number, expires FROM federal_certifications WHERE tenant_id = ? ORDER BY id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find certifications: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c federal.Certification
		var e NullTime
		if err := rows.Scan(&c.Name, &c.Number, &e); err != nil {
			return nil, err
		}
		if e.T != nil {
			c.Expires = *e.T
		}
		p.Certifications = append(p.Certifications, c)
	}
	return &p, rows.Err()
}

// SaveProfile replaces the tenant's profile and certifications and
// re-scores every stored notice against it, in one transaction.
func (s *FederalStore) SaveProfile(ctx context.Context, p *federal.Profile, now time.Time) error {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO federal_profiles (tenant_id, uei, cage, naics_primary, naics_other, psc_codes, set_asides, keywords, states, sam_expires, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET uei = excluded.uei, cage = excluded.cage, naics_primary = excluded.naics_primary,
		naics_other = excluded.naics_other, psc_codes = excluded.psc_codes, set_asides = excluded.set_asides, keywords = excluded.keywords,
		states = excluded.states, sam_expires = excluded.sam_expires, updated_at = excluded.updated_at`,
		tenantID, p.UEI, p.CAGE, p.NAICSPrimary, jsonList(p.NAICSOther), jsonList(p.PSCCodes), jsonList(p.SetAsides), jsonList(p.Keywords),
		jsonList(p.States), optTime(p.SAMExpires), FormatTime(tx.now))
	if err != nil {
		return FormatError(fmt.Errorf("save federal profile: %w", err), "Profile conflict.")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM federal_certifications WHERE tenant_id = ?`, tenantID); err != nil {
		return err
	}
	for _, c := range p.Certifications {
		if _, err := tx.ExecContext(ctx, `INSERT INTO federal_certifications (tenant_id, name, number, expires, created_at) VALUES (?, ?, ?, ?, ?)`,
			tenantID, c.Name, c.Number, optTime(c.Expires), FormatTime(tx.now)); err != nil {
			return fmt.Errorf("save certification: %w", err)
		}
	}
	if _, err := rescore(ctx, tx, tenantID, p, now); err != nil {
		return err
	}
	return tx.Commit()
}

// profileTx reads the profile inside tx; a tenant without one scores
// against the zero profile (every notice then shows why it scored low).
func profileTx(ctx context.Context, tx *Tx, tenantID int64) (federal.Profile, error) {
	var p federal.Profile
	var other, psc, sa, kw, st string
	var exp NullTime
	err := tx.QueryRowContext(ctx, `SELECT uei, cage, naics_primary, naics_other, psc_codes, set_asides, keywords, states, sam_expires
		FROM federal_profiles WHERE tenant_id = ?`, tenantID).Scan(&p.UEI, &p.CAGE, &p.NAICSPrimary, &other, &psc, &sa, &kw, &st, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	} else if err != nil {
		return p, fmt.Errorf("read federal profile: %w", err)
	}
	p.NAICSOther, p.PSCCodes, p.SetAsides, p.Keywords, p.States = parseList(other), parseList(psc), parseList(sa), parseList(kw), parseList(st)
	if exp.T != nil {
		p.SAMExpires = *exp.T
	}
	return p, nil
}

func rescore(ctx context.Context, tx *Tx, tenantID int64, p *federal.Profile, now time.Time) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT notice_id, raw, description_text FROM federal_notices WHERE tenant_id = ?`, tenantID)
	if err != nil {
		return 0, fmt.Errorf("rescore: %w", err)
	}
	var ns []federal.Notice
	for rows.Next() {
		var id, raw, desc string
		if err := rows.Scan(&id, &raw, &desc); err != nil {
			rows.Close()
			return 0, err
		}
		var n federal.Notice
		if err := json.Unmarshal([]byte(raw), &n); err != nil {
			rows.Close()
			return 0, fmt.Errorf("rescore notice %s: %w", id, err)
		}
		n.DescriptionText = desc
		ns = append(ns, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, n := range ns {
		if err := saveScore(ctx, tx, tenantID, federal.Score(*p, n, now), n.NoticeID); err != nil {
			return 0, err
		}
	}
	return len(ns), nil
}

func saveScore(ctx context.Context, tx *Tx, tenantID int64, fit federal.FitScore, noticeID string) error {
	reasons, err := json.Marshal(fit.Reasons)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO federal_fit_scores (tenant_id, notice_id, score, reasons, scored_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, notice_id) DO UPDATE SET score = excluded.score, reasons = excluded.reasons, scored_at = excluded.scored_at`,
		tenantID, noticeID, fit.Score, string(reasons), FormatTime(tx.now)); err != nil {
		return fmt.Errorf("save fit score: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE federal_notices SET score = ? WHERE tenant_id = ? AND notice_id = ?`, fit.Score, tenantID, noticeID); err != nil {
		return fmt.Errorf("save fit score: %w", err)
	}
	return nil
}

// RescoreNotices re-scores every stored notice of the tenant (deadlines
// pass, so scores change with time).
func (s *FederalStore) RescoreNotices(ctx context.Context, now time.Time) (int, error) {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	p, err := profileTx(ctx, tx, tenantID)
	if err != nil {
		return 0, err
	}
	n, err := rescore(ctx, tx, tenantID, &p, now)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// A saved search's NAICS, PSC and set-aside codes are kept comma-separated
// in the columns that held one code each (codes never contain commas), so
// searches saved before lists existed read as one-code lists.
func splitCodes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

const searchCols = `id, tenant_id, kind, name, naics, psc, set_aside, state, title, ptypes, posted_days, fetch_descriptions, last_run_at, last_status, last_error, created_at`

func scanSearch(row interface{ Scan(...any) error }) (*federal.SavedSearch, error) {
	var ss federal.SavedSearch
	var pt, naics, psc, setAsides string
	var last NullTime
	if err := row.Scan(&ss.ID, &ss.TenantID, &ss.Kind, &ss.Name, &naics, &psc, &setAsides, &ss.State, &ss.Title, &pt, &ss.PostedDays,
		&ss.FetchDescriptions, &last, &ss.LastStatus, &ss.LastError, Time{&ss.CreatedAt}); err != nil {
		return nil, err
	}
	ss.ProcurementTypes = parseList(pt)
	ss.NAICS, ss.PSC, ss.SetAsides = splitCodes(naics), splitCodes(psc), splitCodes(setAsides)
	ss.LastRunAt = last.T
	return &ss, nil
}

// FindSavedSearches lists the tenant's saved searches by name.
func (s *FederalStore) FindSavedSearches(ctx context.Context) ([]*federal.SavedSearch, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+searchCols+` FROM federal_searches WHERE tenant_id = ? ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find saved searches: %w", err)
	}
	return scanAll(rows, scanSearch)
}

// FindSavedSearch returns ENOTFOUND for another tenant's or a missing search.
func (s *FederalStore) FindSavedSearch(ctx context.Context, id int64) (*federal.SavedSearch, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := scanSearch(s.db.read.QueryRowContext(ctx, `SELECT `+searchCols+` FROM federal_searches WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Saved search not found.")
	}
	return ss, err
}

// CreateSavedSearch stores ss (already validated). Returns ECONFLICT for a
// name the tenant already uses.
func (s *FederalStore) CreateSavedSearch(ctx context.Context, ss *federal.SavedSearch) error {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return err
	}
	ss.TenantID = tenantID
	defer tx.Rollback()
	ss.CreatedAt = tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO federal_searches (tenant_id, kind, name, naics, psc, set_aside, state, title, ptypes, posted_days, fetch_descriptions, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ss.TenantID, ss.Kind, ss.Name, strings.Join(ss.NAICS, ","), strings.Join(ss.PSC, ","), strings.Join(ss.SetAsides, ","), ss.State, ss.Title,
		jsonList(ss.ProcurementTypes), ss.PostedDays, ss.FetchDescriptions, FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "A saved search with this name exists.")
	}
	if ss.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteSavedSearch returns ENOTFOUND when the tenant has no such search.
func (s *FederalStore) DeleteSavedSearch(ctx context.Context, id int64) error {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM federal_searches WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return fmt.Errorf("delete saved search: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Saved search not found.")
	}
	return nil
}

// MarkSearchRun records the outcome of a search's latest run.
func (s *FederalStore) MarkSearchRun(ctx context.Context, id int64, at time.Time, status, errMsg string) error {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	_, err = s.db.write.ExecContext(ctx, `UPDATE federal_searches SET last_run_at = ?, last_status = ?, last_error = ? WHERE tenant_id = ? AND id = ?`,
		FormatTime(at), status, errMsg, tenantID, id)
	return err
}

func noticeState(n *federal.Notice) string {
	if n.PlaceOfPerformance == nil {
		return ""
	}
	return firstNonEmpty(n.PlaceOfPerformance.State.Code, n.PlaceOfPerformance.State.Name)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// UpsertNotices implements federal.NoticeStore: one transaction for the batch.
func (s *FederalStore) UpsertNotices(ctx context.Context, ns []federal.Notice, now time.Time) (federal.UpsertCounts, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return federal.UpsertCounts{}, err
	}
	var c federal.UpsertCounts
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return c, err
	}
	defer tx.Rollback()
	p, err := profileTx(ctx, tx, tenantID)
	if err != nil {
		return c, err
	}
	for i := range ns {
		n := ns[i]
		if n.NoticeID == "" {
			return federal.UpsertCounts{}, app.FieldErrorf("noticeId", "A notice without a notice ID cannot be stored.")
		}
		if len(n.Raw) == 0 {
			b, err := json.Marshal(n)
			if err != nil {
				return federal.UpsertCounts{}, err
			}
			n.Raw = b
		}
		var oldRaw, oldDesc string
		err := tx.QueryRowContext(ctx, `SELECT raw, description_text FROM federal_notices WHERE tenant_id = ? AND notice_id = ?`, tenantID, n.NoticeID).Scan(&oldRaw, &oldDesc)
		isNew := errors.Is(err, sql.ErrNoRows)
		if err != nil && !isNew {
			return federal.UpsertCounts{}, fmt.Errorf("find notice %s: %w", n.NoticeID, err)
		}
		if n.DescriptionText == "" {
			n.DescriptionText = oldDesc // fetched separately; a new version keeps it
		}
		if !isNew {
			var old federal.Notice
			if err := json.Unmarshal([]byte(oldRaw), &old); err != nil {
				return federal.UpsertCounts{}, fmt.Errorf("decode stored notice %s: %w", n.NoticeID, err)
			}
			old.DescriptionText = oldDesc
			changes := federal.DiffNotice(old, n)
			if len(changes) == 0 {
				c.Unchanged++
				if err := saveScore(ctx, tx, tenantID, federal.Score(p, n, now), n.NoticeID); err != nil {
					return federal.UpsertCounts{}, err
				}
				continue
			}
			b, _ := json.Marshal(changes)
			if _, err := tx.ExecContext(ctx, `INSERT INTO federal_notice_changes (tenant_id, notice_id, changed_at, changes) VALUES (?, ?, ?, ?)`,
				tenantID, n.NoticeID, FormatTime(tx.now), string(b)); err != nil {
				return federal.UpsertCounts{}, fmt.Errorf("record amendment: %w", err)
			}
			c.Updated++
		} else {
			c.New++
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO federal_notices (tenant_id, notice_id, title, solicitation_number, agency, type, set_aside, naics, psc, state,
			active, posted_date, response_deadline, raw, description_text, first_seen_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, notice_id) DO UPDATE SET title = excluded.title, solicitation_number = excluded.solicitation_number,
			agency = excluded.agency, type = excluded.type, set_aside = excluded.set_aside, naics = excluded.naics, psc = excluded.psc,
			state = excluded.state, active = excluded.active, posted_date = excluded.posted_date, response_deadline = excluded.response_deadline,
			raw = excluded.raw, description_text = excluded.description_text, versions = versions + 1, updated_at = excluded.updated_at`,
			tenantID, n.NoticeID, n.Title, n.SolicitationNumber, n.Department, n.Type, n.SetAside, firstNonEmpty(n.NAICSCode, strings.Join(n.NAICSCodes, " ")),
			n.ClassificationCode, noticeState(&n), n.Active, sortTime(n.PostedDate), sortTime(n.ResponseDeadline), string(n.Raw), n.DescriptionText,
			FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return federal.UpsertCounts{}, fmt.Errorf("store notice %s: %w", n.NoticeID, err)
		}
		if err := saveScore(ctx, tx, tenantID, federal.Score(p, n, now), n.NoticeID); err != nil {
			return federal.UpsertCounts{}, err
		}
	}
	return c, tx.Commit()
}

// SetDescription stores a notice's fetched description text and re-scores
// it (keywords in descriptions count). Returns ENOTFOUND.
func (s *FederalStore) SetDescription(ctx context.Context, noticeID, text string) error {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var raw string
	if err := tx.QueryRowContext(ctx, `SELECT raw FROM federal_notices WHERE tenant_id = ? AND notice_id = ?`, tenantID, noticeID).Scan(&raw); errors.Is(err, sql.ErrNoRows) {
		return app.Errorf(app.ENOTFOUND, "Notice not found.")
	} else if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE federal_notices SET description_text = ? WHERE tenant_id = ? AND notice_id = ?`, text, tenantID, noticeID); err != nil {
		return fmt.Errorf("set description: %w", err)
	}
	var n federal.Notice
	if err := json.Unmarshal([]byte(raw), &n); err != nil {
		return fmt.Errorf("decode notice %s: %w", noticeID, err)
	}
	n.DescriptionText = text
	p, err := profileTx(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	if err := saveScore(ctx, tx, tenantID, federal.Score(p, n, tx.now), noticeID); err != nil {
		return err
	}
	return tx.Commit()
}

// noticeSortKey is the SQL expression and direction of each sort order.
// The cursor carries the last row's key and notice ID.
var noticeSortKey = map[string]struct{ expr, dir string }{
	federal.SortScore:    {"printf('%05d', n.score)", "DESC"},
	federal.SortPosted:   {"n.posted_date", "DESC"},
	federal.SortDeadline: {"CASE WHEN n.response_deadline = '' THEN '9999' ELSE n.response_deadline END", "ASC"},
}

type cursor struct {
	K  string `json:"k"`
	ID string `json:"i"`
}

func encodeCursor(k, id string) string {
	b, _ := json.Marshal(cursor{k, id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return c, app.FieldErrorf("cursor", "The cursor is not one this API returned.")
	}
	return c, nil
}

const noticeCols = `n.notice_id, n.raw, n.description_text, n.score, COALESCE(f.reasons, '[]'), n.versions, n.first_seen_at, n.updated_at, COALESCE(p.stage, '')`

func scanNotice(row interface{ Scan(...any) error }, tenantID int64, extra ...any) (*federal.StoredNotice, error) {
	var sn federal.StoredNotice
	var id, raw, desc, reasons string
	dest := append([]any{&id, &raw, &desc, &sn.Fit.Score, &reasons, &sn.Versions, Time{&sn.FirstSeenAt}, Time{&sn.UpdatedAt}, &sn.Stage}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(raw), &sn.Notice); err != nil {
		return nil, fmt.Errorf("decode notice %s: %w", id, err)
	}
	sn.DescriptionText = desc
	sn.TenantID = tenantID
	if err := json.Unmarshal([]byte(reasons), &sn.Fit.Reasons); err != nil {
		return nil, fmt.Errorf("decode reasons of %s: %w", id, err)
	}
	return &sn, nil
}

// FindNotices lists notices by filter and returns the cursor of the next
// page ("" on the last).
func (s *FederalStore) FindNotices(ctx context.Context, f federal.NoticeFilter) ([]*federal.StoredNotice, string, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, "", err
	}
	sk, ok := noticeSortKey[f.Sort]
	if f.Sort == "" {
		sk, ok = noticeSortKey[federal.SortScore], true
	}
	if !ok {
		return nil, "", app.FieldErrorf("sort", "Sort by score, posted or deadline.")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where := []string{"n.tenant_id = ?"}
	args := []any{tenantID}
	if q := ftsQuery(f.Query); q != "" {
		where = append(where, "n.id IN (SELECT rowid FROM federal_notices_fts WHERE federal_notices_fts MATCH ?)")
		args = append(args, q)
	}
	for col, v := range map[string]string{"n.naics": f.NAICS, "n.set_aside": f.SetAside, "n.state": f.State, "n.type": f.Type} {
		if v != "" {
			if col == "n.naics" {
				where = append(where, "(' ' || n.naics || ' ') LIKE ?")
				args = append(args, "% "+v+" %")
				continue
			}
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	if f.ActiveOnly {
		where = append(where, "n.active = 1")
	}
	if f.MinScore > 0 {
		where = append(where, "n.score >= ?")
		args = append(args, f.MinScore)
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		op := "<"
		if sk.dir == "ASC" {
			op = ">"
		}
		where = append(where, fmt.Sprintf("(%s %s ? OR (%s = ? AND n.notice_id > ?))", sk.expr, op, sk.expr))
		args = append(args, c.K, c.K, c.ID)
	}
	q := `SELECT ` + noticeCols + `, ` + sk.expr + ` FROM federal_notices n
		LEFT JOIN federal_fit_scores f ON f.tenant_id = n.tenant_id AND f.notice_id = n.notice_id
		LEFT JOIN federal_pipeline p ON p.tenant_id = n.tenant_id AND p.notice_id = n.notice_id
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + sk.expr + ` ` + sk.dir + `, n.notice_id LIMIT ?`
	args = append(args, f.Limit+1)
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("find notices: %w", err)
	}
	defer rows.Close()
	var out []*federal.StoredNotice
	var keys []string
	for rows.Next() {
		var k string
		sn, err := scanNotice(rows, tenantID, &k)
		if err != nil {
			return nil, "", err
		}
		out = append(out, sn)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = encodeCursor(keys[f.Limit-1], out[f.Limit-1].NoticeID)
	}
	return out, next, nil
}

// FindNotice returns ENOTFOUND for a notice the tenant does not have.
func (s *FederalStore) FindNotice(ctx context.Context, noticeID string) (*federal.StoredNotice, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	sn, err := scanNotice(s.db.read.QueryRowContext(ctx, `SELECT `+noticeCols+` FROM federal_notices n
		LEFT JOIN federal_fit_scores f ON f.tenant_id = n.tenant_id AND f.notice_id = n.notice_id
		LEFT JOIN federal_pipeline p ON p.tenant_id = n.tenant_id AND p.notice_id = n.notice_id
		WHERE n.tenant_id = ? AND n.notice_id = ?`, tenantID, noticeID), tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Notice not found.")
	}
	return sn, err
}

// FindNoticeChanges lists a notice's amendments, newest first.
func (s *FederalStore) FindNoticeChanges(ctx context.Context, noticeID string) ([]*federal.NoticeChange, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, notice_id, changed_at, changes FROM federal_notice_changes WHERE tenant_id = ? AND notice_id = ? ORDER BY id DESC`, tenantID, noticeID)
	if err != nil {
		return nil, fmt.Errorf("find notice changes: %w", err)
	}
	defer rows.Close()
	var out []*federal.NoticeChange
	for rows.Next() {
		var c federal.NoticeChange
		var ch string
		if err := rows.Scan(&c.ID, &c.NoticeID, Time{&c.ChangedAt}, &ch); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(ch), &c.Changes); err != nil {
			return nil, fmt.Errorf("decode changes: %w", err)
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

const pipelineCols = `p.id, p.tenant_id, p.notice_id, COALESCE(n.title, ''), COALESCE(n.response_deadline, ''), p.stage, p.estimated_value_cents, p.win_probability, p.owner, p.notes, p.created_at, p.updated_at`

func scanPipeline(row interface{ Scan(...any) error }) (*federal.PipelineEntry, error) {
	var e federal.PipelineEntry
	var dl string
	if err := row.Scan(&e.ID, &e.TenantID, &e.NoticeID, &e.Title, &dl, &e.Stage, &e.EstimatedValueCents, &e.WinProbability, &e.Owner, &e.Notes,
		Time{&e.CreatedAt}, Time{&e.UpdatedAt}); err != nil {
		return nil, err
	}
	if dl != "" {
		e.ResponseDeadline, _ = ParseTime(dl)
	}
	return &e, nil
}

// FindPipeline lists pursued notices in stage order, then by deadline.
func (s *FederalStore) FindPipeline(ctx context.Context) ([]*federal.PipelineEntry, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+pipelineCols+` FROM federal_pipeline p
		LEFT JOIN federal_notices n ON n.tenant_id = p.tenant_id AND n.notice_id = p.notice_id
		WHERE p.tenant_id = ? ORDER BY CASE p.stage WHEN 'triage' THEN 0 WHEN 'bid_decision' THEN 1 WHEN 'capture' THEN 2 WHEN 'proposal' THEN 3
		WHEN 'submitted' THEN 4 WHEN 'won' THEN 5 WHEN 'lost' THEN 6 ELSE 7 END, n.response_deadline, p.notice_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find pipeline: %w", err)
	}
	return scanAll(rows, scanPipeline)
}

// FindPipelineEntry returns ENOTFOUND when the notice is not pursued.
func (s *FederalStore) FindPipelineEntry(ctx context.Context, noticeID string) (*federal.PipelineEntry, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	e, err := scanPipeline(s.db.read.QueryRowContext(ctx, `SELECT `+pipelineCols+` FROM federal_pipeline p
		LEFT JOIN federal_notices n ON n.tenant_id = p.tenant_id AND n.notice_id = p.notice_id
		WHERE p.tenant_id = ? AND p.notice_id = ?`, tenantID, noticeID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "This notice is not in the pipeline.")
	}
	return e, err
}

// SavePipelineEntry creates or updates the entry. Returns ENOTFOUND when
// the tenant has no such notice.
func (s *FederalStore) SavePipelineEntry(ctx context.Context, e *federal.PipelineEntry, now time.Time) error {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return err
	}
	e.TenantID = tenantID
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM federal_notices WHERE tenant_id = ? AND notice_id = ?`, e.TenantID, e.NoticeID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return app.Errorf(app.ENOTFOUND, "Notice not found.")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO federal_pipeline (tenant_id, notice_id, stage, estimated_value_cents, win_probability, owner, notes, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, notice_id) DO UPDATE SET stage = excluded.stage, estimated_value_cents = excluded.estimated_value_cents,
		win_probability = excluded.win_probability, owner = excluded.owner, notes = excluded.notes, updated_at = excluded.updated_at`,
		e.TenantID, e.NoticeID, e.Stage, e.EstimatedValueCents, e.WinProbability, e.Owner, e.Notes, FormatTime(tx.now), FormatTime(tx.now)); err != nil {
		return fmt.Errorf("save pipeline entry: %w", err)
	}
	return tx.Commit()
}

// FindMatrix lists a notice's compliance matrix in extraction order.
func (s *FederalStore) FindMatrix(ctx context.Context, noticeID string) ([]*federal.MatrixRow, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, notice_id, section, text, kind, owner, status, answered_in, origin, created_at
		FROM federal_requirements WHERE tenant_id = ? AND notice_id = ? ORDER BY id`, tenantID, noticeID)
	if err != nil {
		return nil, fmt.Errorf("find matrix: %w", err)
	}
	defer rows.Close()
	var out []*federal.MatrixRow
	for rows.Next() {
		var r federal.MatrixRow
		if err := rows.Scan(&r.ID, &r.NoticeID, &r.Section, &r.Text, &r.Kind, &r.Owner, &r.Status, &r.AnsweredIn, &r.Origin, Time{&r.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// AddMatrixRows adds requirements not yet in the matrix (same section and
// text), in one transaction, and returns how many were added. Returns
// ENOTFOUND when the tenant has no such notice.
func (s *FederalStore) AddMatrixRows(ctx context.Context, noticeID string, reqs []federal.Requirement, now time.Time) (int, error) {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM federal_notices WHERE tenant_id = ? AND notice_id = ?`, tenantID, noticeID).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, app.Errorf(app.ENOTFOUND, "Notice not found.")
	}
	added := 0
	for _, r := range reqs {
		origin := r.Origin
		if origin == "" {
			origin = federal.OriginRules
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO federal_requirements (tenant_id, notice_id, section, text, kind, origin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, notice_id, section, text) DO NOTHING`, tenantID, noticeID, r.Section, r.Text, r.Kind, origin, FormatTime(tx.now))
		if err != nil {
			return 0, fmt.Errorf("add requirement: %w", err)
		}
		k, _ := res.RowsAffected()
		added += int(k)
	}
	return added, tx.Commit()
}

// UpdateMatrixRow saves owner, status and where-answered. Returns ENOTFOUND.
func (s *FederalStore) UpdateMatrixRow(ctx context.Context, r *federal.MatrixRow) error {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	res, err := s.db.write.ExecContext(ctx, `UPDATE federal_requirements SET owner = ?, status = ?, answered_in = ? WHERE tenant_id = ? AND id = ? AND notice_id = ?`,
		r.Owner, r.Status, r.AnsweredIn, tenantID, r.ID, r.NoticeID)
	if err != nil {
		return fmt.Errorf("update requirement: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Requirement not found.")
	}
	return nil
}

// RecordScoutRun stores r and sets its ID.
func (s *FederalStore) RecordScoutRun(ctx context.Context, r *federal.ScoutRun) error {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	r.TenantID = tenantID
	res, err := s.db.write.ExecContext(ctx, `INSERT INTO federal_scout_runs (tenant_id, trigger, started_at, finished_at, status, searches, requests, new_notices, updated_notices, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.TenantID, r.Trigger, FormatTime(r.StartedAt), FormatTime(r.FinishedAt), r.Status, r.Searches, r.Requests, r.New, r.Updated, r.Error)
	if err != nil {
		return fmt.Errorf("record scout run: %w", err)
	}
	r.ID, err = res.LastInsertId()
	return err
}

// FindScoutRuns lists the latest runs, newest first.
func (s *FederalStore) FindScoutRuns(ctx context.Context, limit int) ([]*federal.ScoutRun, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, tenant_id, trigger, started_at, finished_at, status, searches, requests, new_notices, updated_notices, error
		FROM federal_scout_runs WHERE tenant_id = ? ORDER BY id DESC LIMIT ?`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("find scout runs: %w", err)
	}
	defer rows.Close()
	var out []*federal.ScoutRun
	for rows.Next() {
		var r federal.ScoutRun
		if err := rows.Scan(&r.ID, &r.TenantID, &r.Trigger, Time{&r.StartedAt}, Time{&r.FinishedAt}, &r.Status, &r.Searches, &r.Requests, &r.New, &r.Updated, &r.Error); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// UpsertGrants stores each grant once per tenant, in one transaction.
func (s *FederalStore) UpsertGrants(ctx context.Context, gs []federal.Grant, now time.Time) (federal.UpsertCounts, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return federal.UpsertCounts{}, err
	}
	var c federal.UpsertCounts
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return c, err
	}
	defer tx.Rollback()
	for _, g := range gs {
		if g.ID == "" {
			return federal.UpsertCounts{}, app.FieldErrorf("id", "A grant without an id cannot be stored.")
		}
		var old struct{ title, status, closeDate string }
		err := tx.QueryRowContext(ctx, `SELECT title, status, close_date FROM federal_grants WHERE tenant_id = ? AND grant_id = ?`, tenantID, g.ID).Scan(&old.title, &old.status, &old.closeDate)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			c.New++
		case err != nil:
			return federal.UpsertCounts{}, err
		case old.title == g.Title && old.status == g.Status && old.closeDate == sortTime(g.CloseDate):
			c.Unchanged++
		default:
			c.Updated++
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO federal_grants (tenant_id, grant_id, number, title, agency_code, agency_name, open_date, close_date, status, doc_type, alns, first_seen_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, grant_id) DO UPDATE SET number = excluded.number, title = excluded.title, agency_code = excluded.agency_code,
			agency_name = excluded.agency_name, open_date = excluded.open_date, close_date = excluded.close_date, status = excluded.status,
			doc_type = excluded.doc_type, alns = excluded.alns, updated_at = excluded.updated_at`,
			tenantID, g.ID, g.Number, g.Title, g.AgencyCode, g.AgencyName, sortTime(g.OpenDate), sortTime(g.CloseDate), g.Status, g.DocType,
			jsonList(g.ALNs), FormatTime(tx.now), FormatTime(tx.now)); err != nil {
			return federal.UpsertCounts{}, fmt.Errorf("store grant %s: %w", g.ID, err)
		}
	}
	return c, tx.Commit()
}

// FindGrants lists grants, closing soonest first (open-ended last), with a
// cursor for the next page.
func (s *FederalStore) FindGrants(ctx context.Context, f federal.GrantFilter) ([]*federal.StoredGrant, string, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	key := "CASE WHEN close_date = '' THEN '9999' ELSE close_date END"
	where := []string{"tenant_id = ?"}
	args := []any{tenantID}
	if q := strings.TrimSpace(f.Query); q != "" {
		where = append(where, "(title LIKE ? OR number LIKE ?)")
		args = append(args, "%"+q+"%", "%"+q+"%")
	}
	if f.AgencyCode != "" {
		where = append(where, "agency_code = ?")
		args = append(args, f.AgencyCode)
	}
	if f.OpenOnly {
		where = append(where, "(close_date = '' OR close_date >= ?)")
		args = append(args, FormatTime(s.db.Now().UTC().Truncate(24*time.Hour)))
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "("+key+" > ? OR ("+key+" = ? AND grant_id > ?))")
		args = append(args, c.K, c.K, c.ID)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT grant_id, number, title, agency_code, agency_name, open_date, close_date, status, doc_type, alns,
		first_seen_at, updated_at, `+key+` FROM federal_grants WHERE `+strings.Join(where, " AND ")+` ORDER BY `+key+`, grant_id LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("find grants: %w", err)
	}
	defer rows.Close()
	var out []*federal.StoredGrant
	var keys []string
	for rows.Next() {
		var g federal.StoredGrant
		var open, cls, alns, k string
		if err := rows.Scan(&g.ID, &g.Number, &g.Title, &g.AgencyCode, &g.AgencyName, &open, &cls, &g.Status, &g.DocType, &alns,
			Time{&g.FirstSeenAt}, Time{&g.UpdatedAt}, &k); err != nil {
			return nil, "", err
		}
		g.OpenDate, _ = ParseTime(open)
		g.CloseDate, _ = ParseTime(cls)
		g.ALNs = parseList(alns)
		g.TenantID = tenantID
		out = append(out, &g)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = encodeCursor(keys[f.Limit-1], out[f.Limit-1].ID)
	}
	return out, next, nil
}

// FederalTenants lists the tenants whose federal work is enabled: the house
// tenant always, clients once the admin enabled them.
func (s *FederalStore) FederalTenants(ctx context.Context) ([]int64, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id FROM tenants WHERE is_house = 1
		UNION SELECT tenant_id FROM federal_profiles WHERE enabled = 1 ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("federal tenants: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetFederalEnabled turns federal work on or off for a client tenant (the
// house tenant is always on). Enabling creates an empty profile row when
// the tenant has none. Returns ENOTFOUND for an unknown tenant and
// EINVALID for the house tenant.
func (s *FederalStore) SetFederalEnabled(ctx context.Context, tenantID int64, on bool) error {
	if tenantID == app.HouseTenantID {
		return app.FieldErrorf("tenant", "Federal work is always on for the house tenant.")
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tenants WHERE id = ?`, tenantID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return app.Errorf(app.ENOTFOUND, "Tenant not found.")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO federal_profiles (tenant_id, enabled, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`, tenantID, on, FormatTime(tx.now)); err != nil {
		return fmt.Errorf("set federal enabled: %w", err)
	}
	return tx.Commit()
}
