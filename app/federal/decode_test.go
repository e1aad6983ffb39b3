package federal

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	est := time.FixedZone("", -5*3600)
	edt := time.FixedZone("", -4*3600)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"null", time.Time{}},
		{"2026-02-02", time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)},
		{"2018-05-09 23:45:22+00", time.Date(2018, 5, 9, 23, 45, 22, 0, time.UTC)},
		{"2018-05-09 23:45:22", time.Date(2018, 5, 9, 23, 45, 22, 0, time.UTC)},
		{"2026-03-02T16:00:00-05:00", time.Date(2026, 3, 2, 16, 0, 0, 0, est)},
		{"2026-03-02T16:00:00-0500", time.Date(2026, 3, 2, 16, 0, 0, 0, est)},
		{"2026-03-02T16:00:00Z", time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)},
		{"2026-03-02T16:00:00", time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)},
		{"2026-03-02T16:00:00.123-05:00", time.Date(2026, 3, 2, 16, 0, 0, 123e6, est)},
		{"02/10/2026", time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)},
		{"Oct 11, 2023 12:00:00 AM EDT", time.Date(2023, 10, 11, 0, 0, 0, 0, edt)},
		{"Feb 10, 2026 12:00:00 AM EST", time.Date(2026, 2, 10, 0, 0, 0, 0, est)},
		{"2026-May-23 00:00:00+0000 UTC", time.Date(2026, 5, 23, 0, 0, 0, 0, time.UTC)},
		{"Wed, 25 Nov 2026 00:00:00 GMT", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("ParseTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
			_, gotOff := got.Zone()
			_, wantOff := tt.want.Zone()
			if !got.IsZero() && gotOff != wantOff {
				t.Fatalf("ParseTime(%q) offset %d, want %d", tt.in, gotOff, wantOff)
			}
		})
	}
	for _, bad := range []string{"soon", "2026-13-45", "31/31/2026", "TBD"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q): want error", bad)
		}
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in    string
		cents int64
		valid bool
		err   bool
	}{
		{"", 0, false, false},
		{"null", 0, false, false},
		{"5000000.00", 500000000, true, false},
		{"5000000", 500000000, true, false},
		{"$1,250.5", 125050, true, false},
		{"-12.345", -1235, true, false},
		{"0.004", 0, true, false},
		{"1.2E6", 120000000, true, false},
		{"5e-1", 50, true, false},
		{".75", 75, true, false},
		{"TBD", 0, false, true},
		{"1e99", 0, false, true},
		{"99999999999999999999", 0, false, true},
		{"-", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("ParseAmount(%q) err = %v, want error %v", tt.in, err, tt.err)
			}
			if got.Cents != tt.cents || got.Valid != tt.valid {
				t.Fatalf("ParseAmount(%q) = %+v, want cents %d valid %v", tt.in, got, tt.cents, tt.valid)
			}
		})
	}
}

func TestAmount_JSON(t *testing.T) {
	var v struct {
		A, B, C, D, E Amount
	}
	if err := json.Unmarshal([]byte(`{"A":"5000000.00","B":1234.5,"C":null,"D":"","E":"call"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "5000000.00" || v.B.String() != "1234.50" || v.C.Valid || v.D.Valid || v.E.Valid {
		t.Fatalf("decoded %+v", v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"A":"5000000.00","B":"1234.50","C":null,"D":null,"E":null}`; got != want {
		t.Fatalf("marshal = %s, want %s", got, want)
	}
}

// FuzzParseTime: never panics; what parses re-parses to the same instant
// from its RFC 3339 form.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-02-02", "2018-05-09 23:45:22+00", "2026-03-02T16:00:00-05:00",
		"02/10/2026", "Oct 11, 2023 12:00:00 AM EDT", "2026-May-23 00:00:00+0000 UTC", "", "null",
		"Wed, 25 Nov 2026 00:00:00 GMT", "2026-03-02T16:00:00.999999999Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil || got.IsZero() {
			return
		}
		if got.Year() < 0 || got.Year() > 9999 {
			return // RFC 3339 cannot represent it
		}
		again, err := ParseTime(got.Format(time.RFC3339Nano))
		if err != nil {
			t.Fatalf("re-parse of %q (%v): %v", s, got, err)
		}
		if !again.Equal(got) {
			t.Fatalf("re-parse of %q: %v != %v", s, again, got)
		}
	})
}

// FuzzParseAmount: never panics; a valid amount round-trips through String
// and through JSON.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"5000000.00", "$1,250.5", "-12.345", "1.2E6", "", "null", "TBD", "0.005", "9e18", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil || !a.Valid {
			return
		}
		b, err := ParseAmount(a.String())
		if err != nil || b != a {
			t.Fatalf("round trip %q -> %q -> %+v (%v), want %+v", s, a.String(), b, err, a)
		}
		js, _ := json.Marshal(a)
		var c Amount
		if err := json.Unmarshal(js, &c); err != nil || c != a {
			t.Fatalf("json round trip %q: %s -> %+v", s, js, c)
		}
	})
}
