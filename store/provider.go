package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"orengen/app"
)

// ProviderStore implements app.ProviderStore: one site setting,
// "providers".
type ProviderStore struct{ db *DB }

var _ app.ProviderStore = (*ProviderStore)(nil)

// NewProviderStore returns a ProviderStore on db.
func NewProviderStore(db *DB) *ProviderStore { return &ProviderStore{db: db} }

// FindProviderSettings returns the saved settings (zero when none).
func (s *ProviderStore) FindProviderSettings(ctx context.Context) (app.ProviderSettings, error) {
	var p app.ProviderSettings
	var v string
	err := s.db.read.QueryRowContext(ctx, `SELECT value FROM site_settings WHERE key = 'providers'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	} else if err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return p, fmt.Errorf("provider settings: %w", err)
	}
	return p, nil
}

// SaveProviderSettings replaces the settings.
func (s *ProviderStore) SaveProviderSettings(ctx context.Context, p app.ProviderSettings) error {
	return s.db.Update(ctx, func(tx *Tx) error { return saveSetting(ctx, tx, "providers", p) })
}
