package sites_test

import (
	"reflect"
	"testing"

	"orengen/app"
	"orengen/app/sites"
)

// The editor's line formats read what they write, and say which line is
// wrong.
func TestEditorFormats(t *testing.T) {
	fs, err := sites.ParseFunnels("\n Quote | /, /thanks , /book \n")
	if err != nil || !reflect.DeepEqual(fs, []sites.Funnel{{Name: "Quote", Steps: []string{"", "thanks", "book"}}}) {
		t.Fatalf("funnels: %v %+v", err, fs)
	}
	if again, _ := sites.ParseFunnels(sites.FormatFunnels(fs)); !reflect.DeepEqual(again, fs) {
		t.Errorf("funnels round trip: %+v", again)
	}
	ts, err := sites.ParseTests("/offer | /offer 70, /offer-b 30")
	if err != nil || !reflect.DeepEqual(ts, []sites.SplitTest{{Page: "offer", Variants: []sites.Variant{{Slug: "offer", Weight: 70}, {Slug: "offer-b", Weight: 30}}}}) {
		t.Fatalf("tests: %v %+v", err, ts)
	}
	if again, _ := sites.ParseTests(sites.FormatTests(ts)); !reflect.DeepEqual(again, ts) {
		t.Errorf("tests round trip: %+v", again)
	}
	if _, err := sites.ParseTests("/a | /a 50\n/b | /b fifty"); app.ErrorField(err) != "tests" {
		t.Errorf("bad weight: %v", err)
	}
	items, err := sites.ParseItems(sites.BlockPricing, "Basic | $9 | /mo | Starter | one; two | highlight\n\nPro | $19")
	if err != nil || len(items) != 2 || !items[0].Highlight || len(items[0].Features) != 2 || items[1].Price != "$19" {
		t.Fatalf("pricing items: %v %+v", err, items)
	}
	if again, _ := sites.ParseItems(sites.BlockPricing, sites.FormatItems(sites.BlockPricing, items)); !reflect.DeepEqual(again, items) {
		t.Errorf("items round trip: %+v", again)
	}
	if _, err := sites.ParseItems(sites.BlockFAQ, "Q | A | extra"); app.ErrorField(err) != "items" {
		t.Errorf("too many parts: %v", err)
	}
	nav, err := sites.ParseNav("About | /about\nCall | tel:+15125550100")
	if err != nil || len(nav) != 2 || nav[1].URL != "tel:+15125550100" {
		t.Fatalf("nav: %v %+v", err, nav)
	}
}
