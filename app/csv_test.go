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

// TestLocalPath: only same-origin paths pass; the redirects browsers turn
// into another host (a tab or newline dropped, a backslash read as a
// slash, a scheme, //host) do not.
func TestLocalPath(t *testing.T) {
	for s, want := range map[string]bool{
		"/":                   true,
		"/leads":              true,
		"/crm/people?view=3":  true,
		"/a/b#frag":           true,
		"":                    false,
		"leads":               false,
		"//evil.test":         false,
		"/\\evil.test":        false,
		"/\t/evil.test":       false,
		"/%09/evil.test":      true, // stays encoded in the Location: a path on this host
		"/\n/evil.test":       false,
		"/\r\nSet-Cookie:x":   false,
		"/a\\b":               false,
		"https://evil.test":   false,
		"javascript:alert(1)": false,
		"/\x7f":               false,
		"/\u2028//evil":       false,
	} {
		if got := app.LocalPath(s); got != want {
			t.Errorf("LocalPath(%q) = %v, want %v", s, got, want)
		}
	}
}
