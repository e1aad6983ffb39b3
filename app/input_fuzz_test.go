package app_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"orengen/app"
)

// Fuzz targets for what the internet sends: lead-capture fields and the
// contact they become, CSV import rows, hosted form posts, API cursors,
// amounts and dates, and the pending sign-in (MFA) cookie. Seed corpora
// are in testdata/fuzz/<target>; `make fuzz` runs each for FUZZTIME.

// invalidField fails the test unless err is an EINVALID naming a field.
func invalidField(t *testing.T, err error) {
	t.Helper()
	if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) == "" {
		t.Fatalf("error %v (code %s, field %q): want EINVALID naming the field", err, app.ErrorCode(err), app.ErrorField(err))
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// FuzzContactInput: a lead-capture post (form-encoded, as /webhook/:form
// reads it) either becomes a contact with a lower-case valid email and an
// E.164 phone, or is refused with the field named; never a panic.
func FuzzContactInput(f *testing.F) {
	f.Add("firstName=Ada&email=Ada%40Example.com&phone=%2B1+(512)+555-0100&source=landing")
	f.Fuzz(func(t *testing.T, body string) {
		q, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in := app.ContactInput{TenantID: 1, FirstName: q.Get("firstName"), LastName: q.Get("lastName"), Email: q.Get("email"),
			Phone: q.Get("phone"), Company: q.Get("company"), Message: q.Get("message"), Source: q.Get("source"), Title: q.Get("title")}
		if err := in.Validate(); err != nil {
			invalidField(t, err)
			return
		}
		if in.Email == "" && in.Phone == "" {
			t.Fatalf("accepted a contact with neither email nor phone: %+v", in)
		}
		if in.Email != "" && (in.Email != strings.ToLower(in.Email) || app.ValidateEmail("email", in.Email) != nil) {
			t.Fatalf("accepted email %q", in.Email)
		}
		if in.Phone != "" && !e164.MatchString(in.Phone) {
			t.Fatalf("accepted phone %q (want E.164)", in.Phone)
		}
		if len(in.FirstName) > 100 || len(in.LastName) > 100 || len(in.Company) > 200 || len(in.Source) > 100 || len(in.Message) > 5000 {
			t.Fatalf("accepted oversized fields: %+v", in)
		}
		// Normalising again changes nothing: the stored contact is found
		// again whichever way it was written.
		again := in
		if err := again.Validate(); err != nil || again != in {
			t.Fatalf("not idempotent: %+v -> %+v (%v)", in, again, err)
		}
	})
}

// importContext maps the fuzzed row's columns to every person, company or
// deal field.
func importContext(object string) *app.ImportContext {
	var mapping []string
	for _, f := range app.ImportFields(object, nil) {
		mapping = append(mapping, f.Key)
	}
	return &app.ImportContext{Object: object, Mapping: mapping,
		Pipelines: []*app.Pipeline{{ID: 1, Name: "Sales", Stages: app.DefaultStages()}}}
}

// FuzzImportRow: a CSV row (cells separated by \x1f in the corpus) of any
// object either builds a record that passes its own validation or is
// refused with the field named.
func FuzzImportRow(f *testing.F) {
	f.Add(uint8(0), "Ada\x1fLovelace\x1fada@example.com\x1f+1 512 555 0100")
	f.Fuzz(func(t *testing.T, kind uint8, cells string) {
		object := []string{app.RecordPerson, app.RecordCompany, app.RecordDeal}[int(kind)%3]
		ic := importContext(object)
		row := strings.Split(cells, "\x1f")
		r, err := ic.BuildImportRecord(2, row)
		if err != nil {
			invalidField(t, err)
			return
		}
		if r == nil || r.Line != 2 || len(r.CompanyName) > 200 {
			t.Fatalf("record %+v", r)
		}
		switch object {
		case app.RecordPerson:
			err = r.Person.Validate()
		case app.RecordCompany:
			err = r.Company.Validate()
		default:
			err = r.Deal.Validate()
			if err == nil && (r.Deal.Amount < 0 || r.Deal.PipelineID != 1) {
				t.Fatalf("deal %+v", r.Deal)
			}
		}
		if err != nil {
			t.Fatalf("accepted a %s that fails validation: %v", object, err)
		}
	})
}

// fuzzForm is a hosted form with every field type, a consent box and a
// select.
func fuzzForm() *app.Form {
	fields, err := app.ParseFormFields("first_name | First name | text | required\nemail | Email | email\nphone | Phone | phone\n" +
		"plan | Plan | select | | Basic, Pro\nnews | Newsletter | checkbox\nmessage | Message | textarea")
	if err != nil {
		panic(err)
	}
	return &app.Form{ID: 7, TenantID: 3, Name: "Contact us", Fields: fields, Consent: "I agree to be contacted."}
}

// FuzzFormPost: a post to a hosted form /f/:id either yields a payload of
// the form's own fields (bounded) and a contact to reach, or is refused
// with the field named.
func FuzzFormPost(f *testing.F) {
	f.Add("first_name=Ada&email=ada%40example.com&plan=Pro&consent=1&utm_source=ads")
	form := fuzzForm()
	known := map[string]bool{"form_id": true, "form_name": true, app.ConsentField: true}
	for _, fd := range form.Fields {
		known[fd.Name] = true
	}
	for _, k := range app.UTMFields {
		known[k] = true
	}
	f.Fuzz(func(t *testing.T, body string) {
		q, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		payload, in, err := form.FormValues(q.Get, "203.0.113.9")
		if err != nil {
			invalidField(t, err)
			return
		}
		if in.Email == "" && in.Phone == "" || in.FirstName == "" || in.TenantID != 3 {
			t.Fatalf("accepted contact %+v", in)
		}
		for k, v := range payload {
			if !known[k] || len(v) > 5000 {
				t.Fatalf("payload field %q (%d bytes) is not the form's", k, len(v))
			}
		}
		if p := payload["plan"]; p != "" && p != "Basic" && p != "Pro" {
			t.Fatalf("select took %q", p)
		}
		if payload[app.ConsentField] != "yes" || payload["form_id"] != "7" {
			t.Fatalf("payload %v", payload)
		}
		// What the form accepted goes on to the contact upsert, which
		// may refuse it only with a named field.
		if err := in.Validate(); err != nil {
			invalidField(t, err)
		}
	})
}

// FuzzDecodeCursor: an API cursor from a client is decoded or refused
// with "cursor" named; a decoded one encodes back to a cursor that decodes
// to the same position.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(app.Cursor{Sort: "name", Key: "ada", ID: 42}.Encode())
	f.Fuzz(func(t *testing.T, s string) {
		c, err := app.DecodeCursor(s)
		if err != nil {
			if app.ErrorField(err) != "cursor" || app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("error %v", err)
			}
			return
		}
		if c.ID <= 0 {
			t.Fatalf("accepted cursor with ID %d", c.ID)
		}
		c2, err := app.DecodeCursor(c.Encode())
		if err != nil || c2 != c {
			t.Fatalf("round trip %+v -> %+v (%v)", c, c2, err)
		}
	})
}

// FuzzParseAmount: an amount is refused with its field named, or read as
// non-negative minor units that FormatAmount writes back to the same value.
func FuzzParseAmount(f *testing.F) {
	f.Add("1,234.50")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := app.ParseAmount("amount", s)
		if err != nil {
			invalidField(t, err)
			return
		}
		if n < 0 {
			t.Fatalf("%q -> %d", s, n)
		}
		back, _, _ := strings.Cut(app.FormatAmount(n, "USD"), " ")
		if m, err := app.ParseAmount("amount", back); err != nil || m != n {
			t.Fatalf("%q -> %d -> %q -> %d (%v)", s, n, back, m, err)
		}
	})
}

// FuzzParseDate: a date is refused with its field named or read as a UTC
// time that formats back to a date that parses to the same day.
func FuzzParseDate(f *testing.F) {
	f.Add("2026-12-31")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := app.ParseDate("expected_close", s)
		if err != nil {
			invalidField(t, err)
			return
		}
		if d == nil {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("%q -> no date and no error", s)
			}
			return
		}
		if d.Location() != time.UTC {
			t.Fatalf("%q -> %v not in UTC", s, d)
		}
		day := d.Format("2006-01-02")
		d2, err := app.ParseDate("expected_close", day)
		if d.Year() >= 0 && d.Year() <= 9999 && (err != nil || d2.Format("2006-01-02") != day) {
			t.Fatalf("%q -> %s -> %v (%v)", s, day, d2, err)
		}
	})
}

// FuzzPendingLoginToken: the MFA cookie a browser sends back is accepted
// only when it is exactly a token this key signed for a positive admin ID
// and has not expired; any change to a good token is refused.
func FuzzPendingLoginToken(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1764806400, 0)
	good := app.NewPendingLoginToken(key, 7, now)
	f.Add(good, uint16(0), byte(0))
	f.Fuzz(func(t *testing.T, tok string, pos uint16, flip byte) {
		if id, nonce, ok := app.ParsePendingLoginToken(key, tok, now); ok {
			// Only a token signed with key passes: re-signing its payload
			// gives the same token.
			i := strings.LastIndexByte(tok, '.')
			if id <= 0 || nonce == "" || strings.Count(tok, ".") != 3 || !utf8.ValidString(tok[i+1:]) {
				t.Fatalf("accepted %q (id %d nonce %q)", tok, id, nonce)
			}
			if _, _, ok := app.ParsePendingLoginToken([]byte("another key, 32 bytes long......"), tok, now); ok {
				t.Fatalf("a token for another key passed: %q", tok)
			}
		}
		// A good token with one byte changed never passes.
		if flip != 0 {
			b := []byte(good)
			b[int(pos)%len(b)] ^= flip
			if _, _, ok := app.ParsePendingLoginToken(key, string(b), now); ok {
				t.Fatalf("tampered token %q passed", b)
			}
		}
		// And the good one expires.
		if _, _, ok := app.ParsePendingLoginToken(key, good, now.Add(app.PendingLoginTTL+time.Second)); ok {
			t.Fatal("an expired token passed")
		}
	})
}
