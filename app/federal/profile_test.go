package federal

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func testProfile() Profile {
	return Profile{
		UEI: "J7ABC1234DEF", CAGE: "7XYZ2", NAICSPrimary: "541511", NAICSOther: []string{"541512", "541611"},
		PSCCodes: []string{"DA01", "R408"}, SetAsides: []string{"SBA", "SDVOSBC", "SDVOSBS", "VSA"},
		Keywords: []string{"agile", "case management", "DevSecOps"}, States: []string{"DC", "VA", "MD"},
		SAMExpires:     time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC),
		Certifications: []Certification{{Name: "ISO 9001:2015", Expires: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}, {Name: "CMMC Level 2"}},
	}
}

func TestProfile_Validate(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(p *Profile)
		wantField string
	}{
		{"OK", func(p *Profile) {}, ""},
		{"NoUEIOrCAGEYet", func(p *Profile) { p.UEI, p.CAGE = "", "" }, ""},
		{"UEIShort", func(p *Profile) { p.UEI = "J7ABC1234DE" }, "uei"},
		{"UEIPunctuation", func(p *Profile) { p.UEI = "J7ABC-1234DE" }, "uei"},
		{"UEILowercase", func(p *Profile) { p.UEI = "j7abc1234def" }, "uei"},
		{"CAGELong", func(p *Profile) { p.CAGE = "7XYZ22" }, "cage"},
		{"NAICSMissing", func(p *Profile) { p.NAICSPrimary = "" }, "naicsPrimary"},
		{"NAICSFiveDigits", func(p *Profile) { p.NAICSPrimary = "54151" }, "naicsPrimary"},
		{"OtherNAICSLetters", func(p *Profile) { p.NAICSOther = []string{"54151A"} }, "naicsOther[0]"},
		{"PSCThree", func(p *Profile) { p.PSCCodes = []string{"DA01", "R40"} }, "psc[1]"},
		{"UnknownSetAside", func(p *Profile) { p.SetAsides = []string{"SBA", "HUBZONE"} }, "setAsides[1]"},
		{"EmptyKeyword", func(p *Profile) { p.Keywords = []string{" "} }, "keywords[0]"},
		{"StateName", func(p *Profile) { p.States = []string{"Virginia"} }, "states[0]"},
		{"CertNoName", func(p *Profile) { p.Certifications = []Certification{{Number: "123"}} }, "certifications[0].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testProfile()
			tt.edit(&p)
			err := p.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.wantField {
				t.Fatalf("err = %v, want ValidationError on %s", err, tt.wantField)
			}
		})
	}
}

func TestProfile_NormalizeThenValidate(t *testing.T) {
	p := Profile{UEI: " j7abc1234def ", CAGE: "7xyz2", NAICSPrimary: " 541511", PSCCodes: []string{"da01"},
		SetAsides: []string{"sdvosbc", "biciv"}, States: []string{"va"}}
	p.Normalize()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.UEI != "J7ABC1234DEF" || p.SetAsides[1] != "BICiv" || p.States[0] != "VA" {
		t.Fatalf("normalized = %+v", p)
	}
	if len(SetAsides) != 18 {
		t.Fatalf("documented set-aside codes: %d, want 18", len(SetAsides))
	}
}

func TestProfile_Expiring(t *testing.T) {
	p := testProfile()
	got := p.Expiring(testNow, 30*24*time.Hour)
	if len(got) != 1 || got[0].Name != "ISO 9001:2015" || got[0].Expired {
		t.Fatalf("Expiring = %+v", got)
	}
	got = p.Expiring(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), 0)
	if len(got) != 2 || got[0].Name != "ISO 9001:2015" || !got[1].Expired || !strings.Contains(got[1].Name, "SAM") {
		t.Fatalf("Expiring later = %+v", got)
	}
}
