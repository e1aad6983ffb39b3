package store

import (
	"testing"

	"orengen/app"
)

// TestStoreKinds_EveryKind: every app.RecordKind has its store side (its
// table, label, search code and storeKinds value), so a kind added to
// app without them fails here, not on its first list, link or retag.
func TestStoreKinds_EveryKind(t *testing.T) {
	for _, k := range app.RecordKinds {
		sk := storeKinds[k.Type]
		if sk == nil || sk.name == "" || sk.resolve == "" || (k.TagCount != nil && sk.tags == nil) {
			t.Errorf("kind %s: storeKinds = %+v, want name, resolve and tags", k.Type, sk)
		}
		if sk != nil && k.DateTrigger && sk.contact == "" {
			t.Errorf("kind %s: a date trigger watches it, storeKinds has no contact", k.Type)
		}
		for _, f := range k.DateTriggerFields {
			if sk == nil || sk.dateColumns[f] == "" {
				t.Errorf("kind %s: no column for the date trigger field %s", k.Type, f)
			}
		}
		if recordTable[k.Type] == "" || linkTable[k.Type] == "" || recordLabel[k.Type] == "" || ftsCode[k.Type] == 0 {
			t.Errorf("kind %s: table %q, link table %q, label %q, search code %d", k.Type, recordTable[k.Type], linkTable[k.Type], recordLabel[k.Type], ftsCode[k.Type])
		}
	}
	if len(storeKinds) != len(app.RecordKinds) {
		t.Errorf("storeKinds has %d kinds, app.RecordKinds %d", len(storeKinds), len(app.RecordKinds))
	}
}
