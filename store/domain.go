package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"orengen/app"
)

// DomainStore implements app.DomainStore on custom_domains.
type DomainStore struct{ db *DB }

var _ app.DomainStore = (*DomainStore)(nil)

// NewDomainStore returns a DomainStore on db.
func NewDomainStore(db *DB) *DomainStore { return &DomainStore{db: db} }

const domainColumns = `id, tenant_id, name, status, verify_token, dns_checked_at, dns_ok, dns_error, cert_issuer, cert_expiry, last_error, created_at`

func scanDomain(row interface{ Scan(...any) error }) (*app.CustomDomain, error) {
	var d app.CustomDomain
	var tenant sql.NullInt64
	var checked, expiry NullTime
	if err := row.Scan(&d.ID, &tenant, &d.Name, &d.Status, &d.VerifyToken, &checked, &d.DNSOK, &d.DNSError,
		&d.CertIssuer, &expiry, &d.LastError, Time{&d.CreatedAt}); err != nil {
		return nil, err
	}
	if tenant.Valid {
		d.TenantID = &tenant.Int64
	}
	d.DNSCheckedAt, d.CertExpiry = checked.T, expiry.T
	return &d, nil
}

// FindDomains lists every custom domain by name.
func (s *DomainStore) FindDomains(ctx context.Context) ([]*app.CustomDomain, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+domainColumns+` FROM custom_domains ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("find domains: %w", err)
	}
	defer rows.Close()
	var out []*app.CustomDomain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, fmt.Errorf("find domains: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// FindDomainByID returns ENOTFOUND if no domain has the ID.
func (s *DomainStore) FindDomainByID(ctx context.Context, id int64) (*app.CustomDomain, error) {
	return findDomain(ctx, s.db.read, `id = ?`, id)
}

// FindDomainByName returns ENOTFOUND if the name is not registered.
func (s *DomainStore) FindDomainByName(ctx context.Context, name string) (*app.CustomDomain, error) {
	return findDomain(ctx, s.db.read, `name = ?`, strings.ToLower(name))
}

func findDomain(ctx context.Context, q queryer, where string, arg any) (*app.CustomDomain, error) {
	d, err := scanDomain(q.QueryRowContext(ctx, `SELECT `+domainColumns+` FROM custom_domains WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Domain not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find domain: %w", err)
	}
	return d, nil
}

// CreateDomain returns ECONFLICT if the name is registered.
func (s *DomainStore) CreateDomain(ctx context.Context, d *app.CustomDomain) error {
	if err := d.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	d.CreatedAt = tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO custom_domains (tenant_id, name, status, verify_token, dns_ok, dns_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.TenantID, d.Name, d.Status, d.VerifyToken, d.DNSOK, d.DNSError, FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "This domain is already registered.")
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateDomain returns ENOTFOUND if no domain has the ID.
func (s *DomainStore) UpdateDomain(ctx context.Context, id int64, upd app.DomainUpdate) (*app.CustomDomain, error) {
	var set []string
	var args []any
	add := func(col string, v any) { set = append(set, col+" = ?"); args = append(args, v) }
	if upd.Status != nil {
		add("status", *upd.Status)
	}
	if upd.DNSCheckedAt != nil {
		add("dns_checked_at", FormatTime(*upd.DNSCheckedAt))
	}
	if upd.DNSOK != nil {
		add("dns_ok", *upd.DNSOK)
	}
	if upd.DNSError != nil {
		add("dns_error", *upd.DNSError)
	}
	if upd.CertIssuer != nil {
		add("cert_issuer", *upd.CertIssuer)
	}
	if upd.CertExpiry != nil {
		add("cert_expiry", FormatTime(*upd.CertExpiry))
	}
	if upd.LastError != nil {
		add("last_error", *upd.LastError)
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if len(set) > 0 {
		res, err := tx.ExecContext(ctx, `UPDATE custom_domains SET `+strings.Join(set, ", ")+` WHERE id = ?`, append(args, id)...)
		if err != nil {
			return nil, fmt.Errorf("update domain: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, app.Errorf(app.ENOTFOUND, "Domain not found.")
		}
	}
	d, err := findDomain(ctx, tx, `id = ?`, id)
	if err != nil {
		return nil, err
	}
	return d, tx.Commit()
}

// DeleteDomain returns ENOTFOUND if no domain has the ID.
func (s *DomainStore) DeleteDomain(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM custom_domains WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete domain: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Domain not found.")
	}
	return tx.Commit()
}
