package federal

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func fixtureNotices(t *testing.T) map[string]Notice {
	t.Helper()
	out := map[string]Notice{}
	for _, f := range []string{"sam_search_page1.json", "sam_search_page2.json"} {
		page, err := decodePage(mustRead(t, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range page.Notices {
			out[n.NoticeID[:4]] = n
		}
	}
	return out
}

func TestScore(t *testing.T) {
	ns := fixtureNotices(t)
	a, b, c, d, e := ns["3f6c"], ns["a7d2"], ns["5e8b"], ns["b4c3"], ns["e9f8"]
	withDesc := a
	withDesc.DescriptionText = string(mustRead(t, "sam_description.json"))
	ineligible := a
	ineligible.SetAside = "8A"
	p := testProfile()
	primaryOnly := p
	primaryOnly.NAICSOther = nil

	tests := []struct {
		name    string
		profile Profile
		notice  Notice
		now     time.Time
		want    int
		reasons []string // substrings expected, in order, in the reasons' texts
	}{
		{"A primary NAICS, eligible, keywords, in state", p, a, testNow, 92, []string{
			"NAICS 541511 is your primary NAICS", "DA01 is one of yours", "Set aside SBA (Total Small Business",
			`in the title: "agile", "case management"`, "Performed in DC, one of your states", "28 days left"}},
		{"A with description keywords", p, withDesc, testNow, 95, []string{`in the description: "DevSecOps"`}},
		{"B other NAICS, out of state", p, b, testNow, 57, []string{"541512 is one of your other NAICS", "SDVOSBC", "Performed in TX, outside your states (DC, VA, MD)"}},
		{"C unrestricted, no deadline", p, c, testNow, 42, []string{"No set-aside: open to all offerors", "No place of performance state given", "No response deadline given"}},
		{"D NONE set-aside, country only", p, d, testNow, 52, []string{"No set-aside", "No place of performance state given", "59 days left"}},
		{"D shares the industry group", primaryOnly, d, testNow, 40, []string{"NAICS 541512 shares the industry group 5415 with your 541511"}},
		{"E archived award", p, e, testNow, 0, []string{"archived", "score set to 0"}},
		{"A not eligible is capped", p, ineligible, testNow, IneligibleCap, []string{"8A (8(a) Set-Aside (FAR 19.8)), which you are not eligible for", "capped at 25"}},
		{"A expired", p, a, time.Date(2026, 2, 18, 0, 0, 0, 0, time.UTC), 0, []string{"Response deadline passed (2026-02-17 14:00 -05:00)", "deadline has passed: score set to 0"}},
		{"A due in 2 days", p, a, time.Date(2026, 2, 15, 12, 0, 0, 0, time.UTC), 78, []string{"Less than 3 days left"}},
		{"A SAM registration lapses first", func() Profile { q := p; q.SAMExpires = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC); return q }(), a, testNow, 92,
			[]string{"expires on 2026-02-01, before this response is due"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.profile, tt.notice, tt.now)
			var texts []string
			sum := 0
			for _, r := range got.Reasons {
				texts = append(texts, r.Factor+": "+r.Text)
				sum += r.Points
				if r.Text == "" || r.Factor == "" {
					t.Errorf("empty reason %+v", r)
				}
			}
			all := strings.Join(texts, "\n")
			if got.Score != tt.want {
				t.Fatalf("score = %d, want %d\n%s", got.Score, tt.want, all)
			}
			if sum != got.Score {
				t.Fatalf("reason points add to %d, score %d", sum, got.Score)
			}
			if got.Score < 0 || got.Score > 100 {
				t.Fatalf("score %d out of range", got.Score)
			}
			rest := all
			for _, want := range tt.reasons {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("reasons do not contain %q (in order):\n%s", want, all)
				}
				rest = rest[i+len(want):]
			}
			if again := Score(tt.profile, tt.notice, tt.now); !reflect.DeepEqual(again, got) {
				t.Fatal("Score is not deterministic")
			}
		})
	}
}

func TestDiffNotice(t *testing.T) {
	var v1, v2 Notice
	if err := json.Unmarshal(mustRead(t, "sam_notice_a_v1.json"), &v1); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mustRead(t, "sam_notice_a_v2.json"), &v2); err != nil {
		t.Fatal(err)
	}
	got := DiffNotice(v1, v2)
	want := []FieldChange{
		{"postedDate", "2026-01-12", "2026-01-26"},
		{"archiveDate", "2026-03-04", "2026-03-11"},
		{"responseDeadLine", "2026-02-17T14:00:00-05:00", "2026-02-24T14:00:00-05:00"},
		{"pointOfContact",
			"primary / Jordan Ellis / Contracting Officer / jordan.ellis@uscis.dhs.gov / 8025550143; secondary / Priya Natarajan / Contract Specialist / priya.natarajan@uscis.dhs.gov / 8025550178",
			"primary / Jordan Ellis / Contracting Officer / jordan.ellis@uscis.dhs.gov / 8025550143; secondary / Priya Natarajan / Contract Specialist / priya.natarajan@uscis.dhs.gov / 8025550199"},
	}
	if len(got) != 5 || !reflect.DeepEqual(got[:4], want) || got[4].Field != "resourceLinks" || !strings.Contains(got[4].New, "5a4b3c2d") {
		t.Fatalf("DiffNotice =\n%#v", got)
	}
	if d := DiffNotice(v1, v1); len(d) != 0 {
		t.Fatalf("same notice diff = %v", d)
	}

	// An award added and the notice archived.
	ns := fixtureNotices(t)
	e := ns["e9f8"]
	before := e
	before.Award, before.Active, before.Type = nil, true, "Combined Synopsis/Solicitation"
	fields := map[string]FieldChange{}
	for _, c := range DiffNotice(before, e) {
		fields[c.Field] = c
	}
	if fields["type"].New != "Award Notice" || fields["active"] != (FieldChange{"active", "Yes", "No"}) ||
		fields["award.amount"] != (FieldChange{"award.amount", "", "5000000.00"}) || fields["award.awardee.name"].New != "Blue Ridge Digital Services LLC" {
		t.Fatalf("award diff = %+v", fields)
	}
	// Description text compared only when both versions have it.
	withText := v2
	withText.DescriptionText = "new text"
	if d := DiffNotice(v2, withText); len(d) != 0 {
		t.Fatalf("diff against unfetched description = %v", d)
	}
}

func TestNotice_RawRoundTrip(t *testing.T) {
	for _, n := range fixtureNotices(t) {
		var again Notice
		if err := json.Unmarshal(n.Raw, &again); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, n) {
			t.Fatalf("decode(Raw) differs for %s", n.NoticeID)
		}
	}
}

func TestNotice_TolerantDecoding(t *testing.T) {
	raw := `{"noticeid":"abc","naicsCodes":"541511","postedDate":"sometime","active":true,
		"responseDeadLine":null,"reponseDeadLine":"2026-03-02T16:00:00-05:00",
		"award":{"amount":1250000,"date":"2026-01-05 10:00:00","awardee":null},
		"pointOfContact":[null,{"fullName":"A","additionalInfo":{"content":"call first"}}],
		"placeOfPerformance":{"state":"VA","city":null},"officeAddress":{},"resourceLinks":null,"links":null,
		"setAside":"Total Small Business","setAsideCode":"sba","title":12}`
	var n Notice
	if err := json.Unmarshal([]byte(raw), &n); err != nil {
		t.Fatal(err)
	}
	if n.NoticeID != "abc" || n.NAICSCode != "541511" || !n.Active || n.Title != "12" || n.SetAside != "SBA" ||
		n.ResponseDeadline.Format(time.RFC3339) != "2026-03-02T16:00:00-05:00" || n.Award == nil || n.Award.Amount.Cents != 125000000 ||
		len(n.PointsOfContact) != 1 || n.PointsOfContact[0].AdditionalInfo != "call first" || n.PlaceOfPerformance.State.Code != "VA" ||
		n.OfficeAddress != nil || !n.PostedDate.IsZero() {
		t.Fatalf("decoded %+v", n)
	}
	if len(n.Warnings) != 1 || !strings.Contains(n.Warnings[0], "postedDate") {
		t.Fatalf("warnings = %v", n.Warnings)
	}
	var bare Notice
	if err := json.Unmarshal([]byte(`{"noticeId":"x","active":null}`), &bare); err != nil || !bare.Active {
		t.Fatalf("missing active must mean active: %+v %v", bare, err)
	}
	if err := json.Unmarshal([]byte(`[1,2]`), &n); err == nil {
		t.Fatal("array decoded as a notice")
	}
}
