package ui_test

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/brand"
	"orengen/app/creators"
	"orengen/ui"
)

// TestBrandFigures measures, in one run (make bench, ORENGEN_BENCH_BRAND=1):
// the press kit zip of a kit with N noise screenshots (read from SQLite,
// one-pager PDF rendered, zipped) beside a plain archive/zip of the same
// image bytes held in memory; and the board page of a campaign with 500
// deliverables beside the CRM people list, both through the portal
// handler. The figures go to docs/BENCHMARKS.md.
func TestBrandFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_BRAND") == "" {
		t.Skip("figures: ORENGEN_BENCH_BRAND=1 (make bench)")
	}
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	const n = brand.MaxScreenshots
	var files [][]byte
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 300, 300))
		for x := range 300 {
			for y := range 300 {
				img.Set(x, y, color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255})
			}
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		files = append(files, b.Bytes())
		if _, err := e.App.Brand.AddScreenshot(ctx, "shot "+strconv.Itoa(i), b.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, f := range files {
		total += len(f)
	}
	median := func(fn func()) time.Duration {
		var ds []time.Duration
		for range 7 {
			t0 := time.Now()
			fn()
			ds = append(ds, time.Since(t0))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	kit := median(func() {
		if _, err := e.App.Brand.KitZip(ctx); err != nil {
			t.Fatal(err)
		}
	})
	plain := median(func() {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i, f := range files {
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: "s" + strconv.Itoa(i) + ".png", Method: zip.Store})
			w.Write(f)
		}
		zw.Close()
	})
	t.Logf("press kit zip, %d screenshots (%.1f MiB): kit %v, plain zip of the same bytes %v, ratio %.1f", n, float64(total)/(1<<20), kit, plain, float64(kit)/float64(plain))

	// Board of 500 deliverables vs the CRM people list.
	p := &app.Person{FirstName: "Bench", LastName: "Creator"}
	if err := e.Server.CRM.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	pr := &creators.Profile{PersonID: p.ID}
	if err := e.App.Creators.CreateProfile(ctx, pr); err != nil {
		t.Fatal(err)
	}
	cp := &creators.Campaign{Name: "Bench", Brief: "b"}
	if err := e.App.Creators.SaveCampaign(ctx, cp); err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		d := &creators.Deliverable{CampaignID: cp.ID, CreatorID: pr.ID, Kind: "video " + strconv.Itoa(i), Due: "2027-01-15", AmountCents: 10000}
		if err := e.App.Creators.AddDeliverable(ctx, d); err != nil {
			t.Fatal(err)
		}
		if i%5 != 0 {
			e.App.Creators.Move(ctx, d.ID, creators.Statuses[i%5], "")
		}
	}
	page := func(path string) time.Duration {
		var ds []time.Duration
		for range 41 {
			t0 := time.Now()
			st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: map[string]string{"psid": e.A.Cookie}})
			ds = append(ds, time.Since(t0))
			if st != http.StatusOK {
				t.Fatalf("%s: %d", path, st)
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	boardP50 := page("/creators/campaigns/" + strconv.FormatInt(cp.ID, 10))
	peopleP50 := page("/crm/people")
	t.Logf("board of 500 deliverables p50 %v, CRM people list p50 %v, ratio %.1f", boardP50, peopleP50, float64(boardP50)/float64(peopleP50))
}
