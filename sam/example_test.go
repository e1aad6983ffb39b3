package sam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"orengen/app/federal"
	"os"
	"time"
)

// Example shows the scout loop the scheduler runs: split the range into
// one-year windows, page through each with SearchAll, score every notice,
// and stop for the day on quota or rate-limit errors.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := "../app/federal/testdata/sam_search_empty.json"
		switch r.URL.Query().Get("offset") {
		case "0":
			name = "../app/federal/testdata/sam_search_page1.json"
		case "3":
			name = "../app/federal/testdata/sam_search_page2.json"
		}
		b, _ := os.ReadFile(name)
		w.Write(b)
	}))
	defer srv.Close()

	now := time.Date(2026, 1, 20, 15, 0, 0, 0, time.UTC)
	client := &Client{
		BaseURL: srv.URL, APIKey: "from-the-vault", KeyType: federal.KeySystem,
		Quota: &federal.MemoryQuota{}, Now: func() time.Time { return now },
	}
	profile := federal.Profile{NAICSPrimary: "541511", NAICSOther: []string{"541512"}, SetAsides: []string{"SBA"},
		Keywords: []string{"agile"}, States: []string{"DC"}}

	windows, _ := federal.SearchParams{PostedFrom: "01/01/2026", PostedTo: "01/31/2026", Limit: 3}.Windows()
	for _, p := range windows {
		sum, err := client.SearchAll(context.Background(), p, func(n federal.Notice) error {
			fmt.Printf("%s %3d %s\n", n.NoticeID[:8], federal.Score(profile, n, now).Score, n.Title[:30])
			return nil
		})
		var rl *federal.RateLimitError
		switch {
		case errors.Is(err, federal.ErrQuotaExhausted):
			fmt.Println("quota spent: resume at offset", sum.NextOffset, "after", federal.QuotaResetAt(now))
		case errors.As(err, &rl):
			fmt.Println("rate limited until", rl.RetryAt)
		case errors.Is(err, federal.ErrInvalidKey):
			fmt.Println("fix the SAM.gov key")
		case err != nil:
			fmt.Println("error:", err)
		}
		fmt.Printf("window %s-%s: %d notices, %d requests, %s\n", p.PostedFrom, p.PostedTo, sum.Notices, sum.Requests, sum.StopReason)
	}
	// Output:
	// 3f6c1a9e  81 Case Management System Moderni
	// a7d2e9c4  25 DJ01--Enterprise Network Opera
	// 5e8b0d3a  15 Market Research: Program Manag
	// b4c3d2e1  52 Enterprise Data Platform Engin
	// e9f8d7c6   0 Award: Identity Management Pla
	// window 01/01/2026-01/31/2026: 5 notices, 2 requests, complete
}
