package app

import (
	"regexp"
	"sync"
)

// plainNumber is a cell a spreadsheet reads as a number and nothing else:
// an optional sign, digits, an optional decimal part (an E.164 phone, a
// negative amount).
var plainNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`) })

// CSVCell neutralises formula injection (OWASP "CSV Injection") in a value
// about to be written to a CSV file: a cell that starts with =, +, -, @,
// a tab or a carriage return would be run as a formula by Excel,
// LibreOffice or Google Sheets (=HYPERLINK(...), -2+3, @SUM(...),
// +cmd|' /C calc'!A0), so it gets a leading ' and is read as text. Plain
// numbers (+15125550100, -12.50) are left as they are: nothing in them can
// run. Every CSV the appliance writes passes its cells through here.
func CSVCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if plainNumber().MatchString(s) {
			return s
		}
		return "'" + s
	}
	return s
}
