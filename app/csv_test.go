package app_test

import (
	"testing"

	"orengen/app"
)

// TestCSVCell: every formula trigger OWASP lists is neutralised, with the
// payloads used against spreadsheet exports; plain numbers and text stay
// as they are.
func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":                           "'=1+1",
		`=HYPERLINK("http://evil.test")`: `'=HYPERLINK("http://evil.test")`,
		"+1+1":                           "'+1+1",
		"-2+3":                           "'-2+3",
		"-2+3+cmd|' /C calc'!A0":         "'-2+3+cmd|' /C calc'!A0",
		"+cmd|' /C calc'!A0":             "'+cmd|' /C calc'!A0",
		"@SUM(1+1)":                      "'@SUM(1+1)",
		"\t=1+1":                         "'\t=1+1",
		"\r=1+1":                         "'\r=1+1",
		"-1;2":                           "'-1;2",
		"+1 512 555 0100":                "'+1 512 555 0100",
		"+15125550100":                   "+15125550100",
		"-12.50":                         "-12.50",
		"42":                             "42",
		"Ada Lovelace":                   "Ada Lovelace",
		"a=b":                            "a=b",
		"":                               "",
	} {
		if got := app.CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}
