package federal

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The recorded SAM.gov and Grants.gov answers in testdata are read here
// (records, scoring) and by packages sam and grants (the clients).

var testNow = time.Date(2026, 1, 20, 15, 0, 0, 0, time.UTC)

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// decodePage reads the notices of a recorded search page (package sam
// checks the page's paging fields).
func decodePage(body []byte) (Page, error) {
	var w struct {
		OpportunitiesData []Notice `json:"opportunitiesData"`
	}
	err := json.Unmarshal(body, &w)
	return Page{Notices: w.OpportunitiesData}, err
}
