package app_test

import (
	"slices"
	"strings"
	"testing"

	"orengen/app"
)

func TestCompanyDealTags(t *testing.T) {
	c := &app.Company{Name: "Acme", Tags: []string{" VIP ", "vip", "", "Key account"}}
	if err := c.Validate(); err != nil || !slices.Equal(c.Tags, []string{"vip", "key account"}) {
		t.Fatalf("company: %v %v", c.Tags, err)
	}
	d := &app.Deal{Name: "Roof", Tags: []string{strings.Repeat("x", 51)}}
	if err := d.Validate(); app.ErrorField(err) != "tags" {
		t.Fatalf("deal long tag: %v", err)
	}
	if _, err := app.NormalizeTag("tag", "  "); app.ErrorField(err) != "tag" {
		t.Fatalf("empty tag: %v", err)
	}
	// A tags change is an update event carrying the field, old and new.
	name, payload := app.EventFor(&app.TimelineEntry{RecordType: app.RecordDeal, RecordID: 3, Kind: app.TimelineUpdated, Field: "tags", Old: "a", New: "a, b"})
	if name != "opportunity.updated" || !strings.Contains(string(payload), `"field":"tags"`) || !strings.Contains(string(payload), `"new":"a, b"`) {
		t.Fatalf("event %s %s", name, payload)
	}
}
