package twenty_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/twenty"
)

// docs are the examples recorded from Twenty's documentation and source
// (testdata/twenty_docs.json names each one's file and commit).
type docs struct {
	ParseFilter []struct {
		Source, Filter string
		Want           map[string]any
	} `json:"parse_filter"`
	BadFilters []struct{ Source, Filter, Why string } `json:"bad_filters"`
	OrderBy    []struct {
		Source  string
		OrderBy string `json:"order_by"`
		Want    []twenty.Order
	} `json:"order_by"`
}

func loadDocs(t *testing.T) docs {
	t.Helper()
	b, err := os.ReadFile("testdata/twenty_docs.json")
	if err != nil {
		t.Fatal(err)
	}
	var d docs
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.ParseFilter) == 0 || len(d.OrderBy) == 0 {
		t.Fatal("no examples")
	}
	return d
}

// tree writes a node as Twenty's parser does: {"and":[...]}, {"not":{}},
// {"name":{"firstName":{"eq":"x"}}}.
func tree(n *twenty.Node) map[string]any {
	switch {
	case n.And != nil || n.Or != nil:
		kids, key := n.And, "and"
		if n.Or != nil {
			kids, key = n.Or, "or"
		}
		var out []any
		for _, k := range kids {
			out = append(out, tree(k))
		}
		return map[string]any{key: out}
	case n.Not != nil:
		return map[string]any{"not": tree(n.Not)}
	}
	var v any = map[string]any{n.Op: n.Value}
	parts := strings.Split(n.Field, ".")
	for i := len(parts) - 1; i >= 0; i-- {
		v = map[string]any{parts[i]: v}
	}
	return v.(map[string]any)
}

func TestParseFilter_TwentyExamples(t *testing.T) {
	d := loadDocs(t)
	for _, ex := range d.ParseFilter {
		n, err := twenty.ParseFilter(ex.Filter)
		if err != nil {
			t.Errorf("%s (%s): %v", ex.Filter, ex.Source, err)
			continue
		}
		if got := tree(n); !reflect.DeepEqual(got, ex.Want) {
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(ex.Want)
			t.Errorf("%s (%s):\n got %s\nwant %s", ex.Filter, ex.Source, gb, wb)
		}
	}
	for _, ex := range d.BadFilters {
		if _, err := twenty.ParseFilter(ex.Filter); app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != "filter" {
			t.Errorf("%s (%s, %s): %v, want EINVALID on filter", ex.Filter, ex.Source, ex.Why, err)
		}
	}
}

func TestParseOrderBy_TwentyExamples(t *testing.T) {
	for _, ex := range loadDocs(t).OrderBy {
		got, err := twenty.ParseOrderBy(ex.OrderBy)
		if err != nil || !reflect.DeepEqual(got, ex.Want) {
			t.Errorf("%s (%s): %+v %v, want %+v", ex.OrderBy, ex.Source, got, err, ex.Want)
		}
	}
	if _, err := twenty.ParseOrderBy("createdAt[Sideways]"); app.ErrorField(err) != "order_by" || !strings.Contains(app.ErrorMessage(err), "AscNullsFirst") {
		t.Errorf("bad direction: %v", err)
	}
}

// The CRM's conditions a Twenty filter becomes: fields mapped, values
// converted, groups kept.
func TestObject_Where(t *testing.T) {
	cases := []struct {
		o      *twenty.Object
		filter string
		want   string // JSON of app.Where
	}{
		{twenty.People, `name.firstName[eq]:Jane`, `{"match":"and","conditions":[{"field":"first_name","op":"eq","value":"Jane"}]}`},
		{twenty.People, `emails.primaryEmail[ilike]:"%@acme.com",phones.primaryPhoneNumber[is]:NOT_NULL`,
			`{"match":"and","conditions":[{"field":"email","op":"like","value":"%@acme.com"},{"field":"phone","op":"not_empty"}]}`},
		{twenty.People, `or(jobTitle[startsWith]:CEO,not(companyId[is]:NULL))`,
			`{"match":"or","conditions":[{"field":"title","op":"starts_with","value":"CEO"}],"groups":[{"match":"and","conditions":[{"field":"company_id","op":"empty"}],"not":true}]}`},
		{twenty.People, `id[in]:[00000000-0000-4000-8000-00000000000a,11]`, `{"match":"and","conditions":[{"field":"id","op":"in","value":"[\"10\",\"11\"]"}]}`},
		{twenty.Opportunities, `amount.amountMicros[gte]:1500000000,stage[eq]:NEW`,
			`{"match":"and","conditions":[{"field":"amount","op":"gte","value":"1500.00"},{"field":"stage","op":"eq","value":"Lead"}]}`},
		{twenty.Opportunities, `stage[eq]:CLOSED_WON`, `{"match":"and","conditions":[{"field":"stage","op":"eq","value":"CLOSED WON"}]}`},
		{twenty.Tasks, `status[eq]:DONE`, `{"match":"and","conditions":[{"field":"done","op":"eq","value":"true"}]}`},
		{twenty.Notes, `personId[eq]:7`, `{"match":"and","conditions":[{"field":"record_type","op":"eq","value":"person"},{"field":"record_id","op":"eq","value":"7"}]}`},
		{twenty.Notes, `or(personId[eq]:7,companyId[eq]:8)`, `{"match":"or","groups":[{"match":"and","conditions":[{"field":"record_type","op":"eq","value":"person"},{"field":"record_id","op":"eq","value":"7"}]},{"match":"and","conditions":[{"field":"record_type","op":"eq","value":"company"},{"field":"record_id","op":"eq","value":"8"}]}]}`},
		{twenty.Companies, `domainName.primaryLinkUrl[eq]:"https://www.acme.com/"`, `{"match":"and","conditions":[{"field":"domain","op":"eq","value":"acme.com"}]}`},
	}
	for _, c := range cases {
		n, err := twenty.ParseFilter(c.filter)
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		w, err := c.o.Where(n)
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		if got, _ := json.Marshal(w); string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.filter, got, c.want)
		}
		if err := w.Validate(c.o.Record, nil); err != nil {
			t.Errorf("%s: the CRM refuses the conditions: %v", c.filter, err)
		}
	}
	// An unknown field is named, with the fields there are.
	n, _ := twenty.ParseFilter(`city[eq]:Paris`)
	if _, err := twenty.Companies.Where(n); app.ErrorField(err) != "filter" || !strings.Contains(app.ErrorMessage(err), `"city"`) ||
		!strings.Contains(app.ErrorMessage(err), "domainName.primaryLinkUrl") {
		t.Errorf("unknown field: %v", err)
	}
	n, _ = twenty.ParseFilter(`amount.amountMicros[gt]:abc`)
	if _, err := twenty.Opportunities.Where(n); app.ErrorField(err) != "filter" || !strings.Contains(app.ErrorMessage(err), "amount.amountMicros") {
		t.Errorf("bad micros: %v", err)
	}
}

func TestIDs(t *testing.T) {
	if got := twenty.FormatID(1234); got != "00000000-0000-4000-8000-0000000004d2" {
		t.Fatalf("FormatID: %s", got)
	}
	for in, want := range map[string]int64{"00000000-0000-4000-8000-0000000004d2": 1234, "1234": 1234, "00000000-0000-4000-8000-0000000004D2": 1234} {
		if got, err := twenty.ParseID("id", "Person", in); err != nil || got != want {
			t.Errorf("ParseID(%s) = %d %v", in, got, err)
		}
	}
	if _, err := twenty.ParseID("id", "Person", "56f411fb-0900-4ffb-b942-d7e8d6709eff"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("a Twenty UUID: %v, want ENOTFOUND", err)
	}
	for _, bad := range []string{"", "abc", "-3", "0", "00000000-0000-4000-8000-zzzzzzzzzzzz"} {
		if _, err := twenty.ParseID("id", "Person", bad); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("ParseID(%q): %v, want EINVALID", bad, err)
		}
	}
}

func TestReadPerson(t *testing.T) {
	in, err := twenty.DecodeInput([]byte(`{"name":{"firstName":"Jane","lastName":"Doe"},"emails":{"primaryEmail":"jane@example.com","additionalEmails":["j@x.test"]},
		"phones":{"primaryPhoneNumber":"5125550100","primaryPhoneCallingCode":"+1"},"jobTitle":"CTO","companyId":null,"shoe":42}`))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := twenty.ReadPerson(in, func(k string) bool { return k == "shoe" })
	if err != nil {
		t.Fatal(err)
	}
	p := &app.Person{}
	ch.Upd.Custom = ch.Custom
	ch.Upd.Apply(p)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.FirstName != "Jane" || p.LastName != "Doe" || !reflect.DeepEqual(p.Emails, []string{"jane@example.com", "j@x.test"}) ||
		!reflect.DeepEqual(p.Phones, []string{"+15125550100"}) || p.Title != "CTO" || p.Custom["shoe"] != float64(42) {
		t.Errorf("person: %+v", p)
	}
	out := twenty.ToPerson(p)
	if out.Phones.PrimaryPhoneNumber != "5125550100" || out.Phones.PrimaryPhoneCallingCode != "+1" || out.Phones.PrimaryPhoneCountryCode != "US" {
		t.Errorf("phones out: %+v", out.Phones)
	}
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), `"shoe":42`) || !strings.Contains(string(b), `"name":{"firstName":"Jane","lastName":"Doe"}`) {
		t.Errorf("json: %s", b)
	}
	for body, field := range map[string]string{
		`{"name":{"firstName":3}}`:               "name.firstName",
		`{"name":{"middleName":"x"}}`:            "name.middleName",
		`{"emails":{"primaryEmail":["a"]}}`:      "emails.primaryEmail",
		`{"city":"Austin","nickname":"J"}`:       "nickname",
		`{"companyId":"not-an-id"}`:              "companyId",
		`{"phones":{"additionalPhones":[true]}}`: "phones.additionalPhones",
	} {
		in, err := twenty.DecodeInput([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := twenty.ReadPerson(in, func(string) bool { return false }); app.ErrorField(err) != field {
			t.Errorf("%s: %v, want the error on %s", body, err, field)
		}
	}
}

func TestReadOpportunityAndTask(t *testing.T) {
	in, _ := twenty.DecodeInput([]byte(`{"name":"Big","amount":{"amountMicros":1250500000,"currencyCode":"EUR"},"closeDate":"2027-03-01T00:00:00.000Z","stage":"CLOSED_WON","pointOfContactId":"00000000-0000-4000-8000-000000000009"}`))
	ch, err := twenty.ReadOpportunity(in, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if *ch.Upd.Amount != 125050 || *ch.Upd.Currency != "EUR" || *ch.Upd.Stage != "CLOSED WON" || (*ch.Upd.PersonIDs)[0] != 9 || (*ch.Upd.ExpectedClose).Format("2006-01-02") != "2027-03-01" {
		t.Errorf("opportunity: %+v", ch.Upd)
	}
	in, _ = twenty.DecodeInput([]byte(`{"amount":{"amountMicros":1}}`))
	if _, err := twenty.ReadOpportunity(in, func(string) bool { return false }); app.ErrorField(err) != "amount.amountMicros" {
		t.Errorf("odd micros: %v", err)
	}
	in, _ = twenty.DecodeInput([]byte(`{"title":"Call back","status":"IN_PROGRESS","dueAt":"2027-01-02","personId":"5"}`))
	tc, err := twenty.ReadTask(in)
	if err != nil || *tc.Upd.Title != "Call back" || *tc.Upd.Done || tc.RecordType != app.RecordPerson || tc.RecordID != 5 {
		t.Errorf("task: %+v %v", tc, err)
	}
	in, _ = twenty.DecodeInput([]byte(`{"title":"x","bodyV2":{"markdown":"details"}}`))
	if _, err := twenty.ReadTask(in); app.ErrorField(err) != "bodyV2" {
		t.Errorf("task body: %v", err)
	}
	in, _ = twenty.DecodeInput([]byte(`{"title":"Meeting","bodyV2":{"markdown":"Went **well**"},"companyId":"3"}`))
	nc, err := twenty.ReadNote(in)
	if err != nil || *nc.Body != "# Meeting\n\nWent **well**" || nc.RecordType != app.RecordCompany {
		t.Errorf("note: %+v %v", nc, err)
	}
	n := twenty.ToNote(&app.Note{ID: 1, Body: *nc.Body, RecordType: app.RecordCompany, RecordID: 3})
	if n.Title != "Meeting" || n.BodyV2.Markdown != "Went **well**" || *n.CompanyID != twenty.FormatID(3) {
		t.Errorf("note out: %+v", n)
	}
}
