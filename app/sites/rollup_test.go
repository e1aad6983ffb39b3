package sites_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"
	"time"

	"orengen/app/sites"
	"orengen/store"
)

// TestAnalytics_RollUpKeepsEveryFigure: a scripted sequence of visits
// over four days reports the same figures (views, daily-unique visitors,
// conversions, per page, per day, referrers, sources, devices, forms and
// bookings) before and after the days before yesterday are rolled up;
// their raw events are gone, yesterday's and today's are kept, a second
// rollup changes nothing, and another tenant's site's figures are its own.
func TestAnalytics_RollUpKeepsEveryFigure(t *testing.T) {
	e := newSiteEnv(t)
	s := e.site(t, e.A, "alpha.example.com")
	other := e.site(t, e.B, "bravo.example.com")
	st := store.NewSiteBuilderStore(e.DB)
	rec := sites.NewRecorder(st)
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	day := func(back int) string { return now.AddDate(0, 0, -back).Format(time.DateOnly) }
	var evs []sites.Event
	add := func(site int64, back int, kind, path, visitor, ref, src, dev string, form int64) {
		evs = append(evs, sites.Event{SiteID: site, Kind: kind, Day: day(back), Path: path, Visitor: visitor, Referrer: ref, Source: src, Device: dev, FormID: form, At: now.AddDate(0, 0, -back)})
	}
	for back := 0; back < 4; back++ {
		for v := 0; v < 3+back; v++ {
			vis := fmt.Sprintf("v%d-%d", back, v)
			add(s.ID, back, sites.EventView, "", vis, "news.example", "", "desktop", 0)
			add(s.ID, back, sites.EventView, "pricing", vis, "", "mail", "mobile", 0)
			if v%2 == 0 {
				add(s.ID, back, sites.EventView, "", vis, "", "", "desktop", 0) // a second view of the home page
				add(s.ID, back, sites.EventConversion, "", vis, "", "", "desktop", 7)
			}
			if v == 1 {
				add(s.ID, back, sites.EventConversion, "book", vis, "", "", "mobile", 0) // a booking
			}
		}
		add(other.ID, back, sites.EventView, "", "o", "", "", "tablet", 0)
	}
	if err := st.RecordEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	report := func(site int64) *sites.Report {
		t.Helper()
		ctx := e.A
		if site == other.ID {
			ctx = e.B
		}
		r, err := st.Report(ctx, site, day(3), day(0))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	before, beforeOther := report(s.ID), report(other.ID)
	// The script, counted by hand: 3+4+5+6 = 18 visitors over the days,
	// each viewing home and pricing, half of them home twice.
	if before.Views != 18*2+2+2+3+3 || before.Visitors != 18 || before.Conversions != 10+4 {
		t.Fatalf("raw figures: views %d visitors %d conversions %d", before.Views, before.Visitors, before.Conversions)
	}
	n, err := rec.RollUp(context.Background(), now)
	if err != nil || n != 2*2 { // two sites, days 3 and 2 back
		t.Fatalf("rolled up %d site days, %v; want 4", n, err)
	}
	after, afterOther := report(s.ID), report(other.ID)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("the rollup changed the report:\nbefore %+v\nafter  %+v", before, after)
	}
	if !reflect.DeepEqual(beforeOther, afterOther) || afterOther.Views != 4 {
		t.Fatalf("the other site: before %+v after %+v", beforeOther, afterOther)
	}
	ro, err := sql.Open("sqlite3", "file:"+e.DB.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var raw, rawOld int
	if err := ro.QueryRow(`SELECT count(*), count(CASE WHEN day < ? THEN 1 END) FROM web_events`, day(1)).Scan(&raw, &rawOld); err != nil {
		t.Fatal(err)
	}
	if rawOld != 0 || raw == 0 {
		t.Fatalf("raw events after the rollup: %d, %d of them before yesterday", raw, rawOld)
	}
	if n, err := rec.RollUp(context.Background(), now); err != nil || n != 0 || !reflect.DeepEqual(report(s.ID), before) {
		t.Fatalf("a second rollup: %d %v", n, err)
	}
}
