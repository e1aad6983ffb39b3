package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"orengen/app/sites"
)

var _ sites.AnalyticsStore = (*SiteBuilderStore)(nil)

// RecordEvents implements sites.AnalyticsStore.
func (s *SiteBuilderStore) RecordEvents(ctx context.Context, es []sites.Event) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO web_events (site_id, kind, day, path, visitor, referrer, source, device, form_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, e := range es {
			if _, err := st.ExecContext(ctx, e.SiteID, e.Kind, e.Day, e.Path, e.Visitor, e.Referrer, e.Source, e.Device, e.FormID, FormatTime(e.At)); err != nil {
				// A site deleted meanwhile: its events go with it.
				if FormatError(err, "") != err {
					continue
				}
				return fmt.Errorf("record site events: %w", err)
			}
		}
		return nil
	})
}

// DailySalt implements sites.AnalyticsStore.
func (s *SiteBuilderStore) DailySalt(ctx context.Context, day string) (string, error) {
	var salt string
	err := s.db.read.QueryRowContext(ctx, `SELECT salt FROM web_salts WHERE day = ?`, day).Scan(&salt)
	if err == nil {
		return salt, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	b := make([]byte, 16)
	rand.Read(b)
	fresh := hex.EncodeToString(b)
	err = s.db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO web_salts (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING`, day, fresh); err != nil {
			return err
		}
		if t, err := time.Parse(time.DateOnly, day); err == nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM web_salts WHERE day < ?`, t.AddDate(0, 0, -1).Format(time.DateOnly)); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `SELECT salt FROM web_salts WHERE day = ?`, day).Scan(&salt)
	})
	return salt, err
}

// Report implements sites.AnalyticsStore.
func (s *SiteBuilderStore) Report(ctx context.Context, siteID int64, from, to string) (*sites.Report, error) {
	if _, err := s.FindSite(ctx, siteID); err != nil {
		return nil, err
	}
	r := &sites.Report{From: from, To: to}
	where := ` FROM web_events WHERE site_id = ? AND day >= ? AND day <= ?`
	args := []any{siteID, from, to}
	q := s.db.read
	if err := q.QueryRowContext(ctx, `SELECT coalesce(sum(kind = 'view'), 0), count(DISTINCT CASE WHEN kind = 'view' THEN day || visitor END), coalesce(sum(kind = 'conversion'), 0)`+where, args...).
		Scan(&r.Views, &r.Visitors, &r.Conversions); err != nil {
		return nil, fmt.Errorf("site report: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT day, count(*), count(DISTINCT visitor)`+where+` AND kind = 'view' GROUP BY day ORDER BY day`, args...)
	if err != nil {
		return nil, err
	}
	if r.Days, err = scanAll(rows, func(row scanner) (sites.DayCount, error) {
		var d sites.DayCount
		err := row.Scan(&d.Day, &d.Views, &d.Visitors)
		return d, err
	}); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT path, sum(kind = 'view'), count(DISTINCT CASE WHEN kind = 'view' THEN day || visitor END),
		sum(kind = 'conversion'), count(DISTINCT CASE WHEN kind = 'conversion' THEN day || visitor END)`+where+` GROUP BY path ORDER BY 3 DESC, path`, args...)
	if err != nil {
		return nil, err
	}
	if r.Pages, err = scanAll(rows, func(row scanner) (sites.PageCount, error) {
		var p sites.PageCount
		err := row.Scan(&p.Path, &p.Views, &p.Visitors, &p.Conversions, &p.Converters)
		return p, err
	}); err != nil {
		return nil, err
	}
	names := func(col, kind string) ([]sites.NameCount, error) {
		rows, err := q.QueryContext(ctx, `SELECT `+col+`, count(*)`+where+` AND kind = ? AND `+col+` <> '' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`, append(args, kind)...)
		if err != nil {
			return nil, err
		}
		return scanAll(rows, func(row scanner) (sites.NameCount, error) {
			var n sites.NameCount
			err := row.Scan(&n.Name, &n.Count)
			return n, err
		})
	}
	if r.Referrers, err = names("referrer", sites.EventView); err != nil {
		return nil, err
	}
	if r.Sources, err = names("source", sites.EventView); err != nil {
		return nil, err
	}
	if r.Devices, err = names("device", sites.EventView); err != nil {
		return nil, err
	}
	if r.Forms, err = names("CAST(form_id AS TEXT)", sites.EventConversion); err != nil {
		return nil, err
	}
	for i := range r.Forms {
		if r.Forms[i].Name == "0" {
			r.Forms[i].Name = "booking"
		}
	}
	return r, nil
}
