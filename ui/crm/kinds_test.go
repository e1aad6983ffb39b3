package crm

import (
	"testing"

	"orengen/app"
)

// TestCRMPages_EveryKind: every record kind has its list and record
// pages and its form here, so a kind added to app.RecordKinds without
// them fails at test time, not on the first request to its pages.
func TestCRMPages_EveryKind(t *testing.T) {
	for _, k := range app.RecordKinds {
		pg := crmPages[k.Plural]
		if pg == nil || pg.list == nil || pg.record == nil || pg.crmForm == nil || pg.create == nil || pg.update == nil || len(pg.fields) == 0 {
			t.Errorf("kind %s: crmPages[%q] = %+v, want list, record and form", k.Type, k.Plural, pg)
		}
		if crmKinds[k.Plural] != k.Type || recordSeg[k.Type] != k.Plural {
			t.Errorf("kind %s: segment maps %q, %q", k.Type, crmKinds[k.Plural], recordSeg[k.Type])
		}
	}
	if len(crmPages) != len(app.RecordKinds) {
		t.Errorf("crmPages has %d segments, app.RecordKinds %d kinds", len(crmPages), len(app.RecordKinds))
	}
}
