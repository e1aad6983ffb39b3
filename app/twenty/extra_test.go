package twenty

import (
	"encoding/json"
	"testing"
	"time"

	"orengen/app"
)

// Every CRM field is either mapped by hand to the Twenty field its
// descriptor names (which the object then filters on) or carried as an
// extra field; an extra field round-trips through the record's JSON and
// an input, and a bad date names the field as sent.
func TestFieldDescriptorsMapped(t *testing.T) {
	for kind, o := range map[*app.RecordKind]*Object{app.KindPerson: People, app.KindCompany: Companies, app.KindDeal: Opportunities} {
		for _, f := range kind.Fields {
			if f.Twenty == "" {
				if fm, ok := o.fields[ExtraName(f)]; !ok || fm.field != f.Key {
					t.Errorf("%s: extra field %s does not filter as %q", o.Plural, f.Key, ExtraName(f))
				}
				continue
			}
			if fm, ok := o.fields[f.Twenty]; !ok || fm.field != f.Key {
				t.Errorf("%s: %s says Twenty maps it as %q, but that filters %+v", o.Plural, f.Key, f.Twenty, fm)
			}
		}
	}
	if got := ExtraName(&app.Field{Key: "date_of_birth"}); got != "dateOfBirth" {
		t.Errorf("ExtraName: %q", got)
	}
	bday := app.KindPerson.Field("birthday")
	if bday == nil || bday.Twenty != "" {
		t.Fatal("the person's birthday is the extra field this test follows")
	}
	day := time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC)
	b, err := json.Marshal(ToPerson(&app.Person{ID: 3, FirstName: "Bea", Birthday: &day, Custom: map[string]any{"birthday": "custom", "shoe": 9}}))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	if out["birthday"] != "1990-04-12" || out["shoe"] != float64(9) {
		t.Errorf("record JSON: %s", b)
	}
	ch, err := ReadPerson(Input{"birthday": json.RawMessage(`"1991-05-06"`)}, func(string) bool { return false })
	if err != nil || ch.Upd.Fields["birthday"] == nil || ch.Upd.Fields["birthday"].(*time.Time).Format("2006-01-02") != "1991-05-06" {
		t.Errorf("read: %v %+v", err, ch)
	}
	if ch, err = ReadPerson(Input{"birthday": json.RawMessage(`null`)}, func(string) bool { return false }); err != nil || ch.Upd.Fields["birthday"] != (*time.Time)(nil) {
		t.Errorf("read null: %v %+v", err, ch)
	}
	if _, err = ReadPerson(Input{"birthday": json.RawMessage(`"soon"`)}, func(string) bool { return false }); app.ErrorField(err) != "birthday" {
		t.Errorf("bad date: %v", err)
	}
}
