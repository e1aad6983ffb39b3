package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
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

// RollUp implements sites.AnalyticsStore: each site's days before
// before that still have raw events are summed into the daily tables and
// their events deleted, a site's day per transaction (a day rolled up
// twice, by events that came late, adds up).
func (s *SiteBuilderStore) RollUp(ctx context.Context, before string) (int, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT DISTINCT site_id, day FROM web_events WHERE day < ? ORDER BY day, site_id`, before)
	if err != nil {
		return 0, fmt.Errorf("site analytics rollup: %w", err)
	}
	type siteDay struct {
		site int64
		day  string
	}
	todo, err := scanAll(rows, func(r scanner) (siteDay, error) { var d siteDay; return d, r.Scan(&d.site, &d.day) })
	if err != nil {
		return 0, err
	}
	for _, d := range todo {
		err := s.db.Update(ctx, func(tx *Tx) error {
			for _, q := range []string{
				`INSERT INTO web_daily_sites (site_id, day, views, visitors, conversions)
				SELECT site_id, day, sum(kind = 'view'), count(DISTINCT CASE WHEN kind = 'view' THEN visitor END), sum(kind = 'conversion')
				FROM web_events WHERE site_id = ?1 AND day = ?2 GROUP BY site_id, day
				ON CONFLICT (site_id, day) DO UPDATE SET views = views + excluded.views, visitors = visitors + excluded.visitors, conversions = conversions + excluded.conversions`,
				`INSERT INTO web_daily_pages (site_id, day, path, views, visitors, conversions, converters)
				SELECT site_id, day, path, sum(kind = 'view'), count(DISTINCT CASE WHEN kind = 'view' THEN visitor END),
					sum(kind = 'conversion'), count(DISTINCT CASE WHEN kind = 'conversion' THEN visitor END)
				FROM web_events WHERE site_id = ?1 AND day = ?2 GROUP BY site_id, day, path
				ON CONFLICT (site_id, day, path) DO UPDATE SET views = views + excluded.views, visitors = visitors + excluded.visitors,
					conversions = conversions + excluded.conversions, converters = converters + excluded.converters`,
				`INSERT INTO web_daily_names (site_id, day, dim, name, count)
				SELECT site_id, day, 'referrer', referrer, count(*) FROM web_events WHERE site_id = ?1 AND day = ?2 AND kind = 'view' AND referrer <> '' GROUP BY referrer
				UNION ALL SELECT site_id, day, 'source', source, count(*) FROM web_events WHERE site_id = ?1 AND day = ?2 AND kind = 'view' AND source <> '' GROUP BY source
				UNION ALL SELECT site_id, day, 'device', device, count(*) FROM web_events WHERE site_id = ?1 AND day = ?2 AND kind = 'view' AND device <> '' GROUP BY device
				ON CONFLICT (site_id, day, dim, name) DO UPDATE SET count = count + excluded.count`,
				`INSERT INTO web_daily_forms (site_id, day, form_id, count)
				SELECT site_id, day, form_id, count(*) FROM web_events WHERE site_id = ?1 AND day = ?2 AND kind = 'conversion' GROUP BY form_id
				ON CONFLICT (site_id, day, form_id) DO UPDATE SET count = count + excluded.count`,
				`DELETE FROM web_events WHERE site_id = ?1 AND day = ?2`,
			} {
				if _, err := tx.ExecContext(ctx, q, d.site, d.day); err != nil {
					return fmt.Errorf("site analytics rollup %s: %w", d.day, err)
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

// Report implements sites.AnalyticsStore: the rollups of past days and
// the raw events of the days not yet rolled up, added together.
func (s *SiteBuilderStore) Report(ctx context.Context, siteID int64, from, to string) (*sites.Report, error) {
	if _, err := s.FindSite(ctx, siteID); err != nil {
		return nil, err
	}
	r := &sites.Report{From: from, To: to}
	where := ` WHERE site_id = ? AND day >= ? AND day <= ?`
	args := []any{siteID, from, to}
	both := append(slices.Clone(args), args...) // raw events, then rollups
	q := s.db.read
	if err := q.QueryRowContext(ctx, `SELECT coalesce(sum(v), 0), coalesce(sum(u), 0), coalesce(sum(c), 0) FROM (
		SELECT sum(kind = 'view') v, count(DISTINCT CASE WHEN kind = 'view' THEN day || visitor END) u, sum(kind = 'conversion') c FROM web_events`+where+`
		UNION ALL SELECT sum(views), sum(visitors), sum(conversions) FROM web_daily_sites`+where+`)`, both...).
		Scan(&r.Views, &r.Visitors, &r.Conversions); err != nil {
		return nil, fmt.Errorf("site report: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT day, sum(v), sum(u) FROM (
		SELECT day, count(*) v, count(DISTINCT visitor) u FROM web_events`+where+` AND kind = 'view' GROUP BY day
		UNION ALL SELECT day, views, visitors FROM web_daily_sites`+where+` AND views > 0) GROUP BY day ORDER BY day`, both...)
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
	rows, err = q.QueryContext(ctx, `SELECT path, sum(v), sum(u), sum(c), sum(cu) FROM (
		SELECT path, sum(kind = 'view') v, count(DISTINCT CASE WHEN kind = 'view' THEN day || visitor END) u,
			sum(kind = 'conversion') c, count(DISTINCT CASE WHEN kind = 'conversion' THEN day || visitor END) cu FROM web_events`+where+` GROUP BY path
		UNION ALL SELECT path, views, visitors, conversions, converters FROM web_daily_pages`+where+`) GROUP BY path ORDER BY 3 DESC, path`, both...)
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
	top := func(raw, rolled string, extra ...any) ([]sites.NameCount, error) {
		rows, err := q.QueryContext(ctx, `SELECT name, sum(n) FROM (`+raw+` UNION ALL `+rolled+`) GROUP BY name ORDER BY 2 DESC, 1 LIMIT 10`,
			append(slices.Clone(args), append(slices.Clone(args), extra...)...)...)
		if err != nil {
			return nil, err
		}
		return scanAll(rows, func(row scanner) (sites.NameCount, error) {
			var n sites.NameCount
			err := row.Scan(&n.Name, &n.Count)
			return n, err
		})
	}
	for _, d := range []struct {
		dim string
		out *[]sites.NameCount
	}{{"referrer", &r.Referrers}, {"source", &r.Sources}, {"device", &r.Devices}} {
		if *d.out, err = top(`SELECT `+d.dim+` AS name, count(*) n FROM web_events`+where+` AND kind = 'view' AND `+d.dim+` <> '' GROUP BY 1`,
			`SELECT name, count FROM web_daily_names`+where+` AND dim = ?`, d.dim); err != nil {
			return nil, err
		}
	}
	if r.Forms, err = top(`SELECT CAST(form_id AS TEXT) AS name, count(*) n FROM web_events`+where+` AND kind = 'conversion' GROUP BY 1`,
		`SELECT CAST(form_id AS TEXT), count FROM web_daily_forms`+where); err != nil {
		return nil, err
	}
	for i := range r.Forms {
		if r.Forms[i].Name == "0" {
			r.Forms[i].Name = "booking"
		}
	}
	return r, nil
}
