package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
)

// TestPlatformFigures measures, in one run over loopback, the same
// 50-person page read through the Twenty-compatible REST API
// (GET /rest/people?limit=50) and through GraphQL (people(first: 50)
// selecting the fields REST returns), with 16 clients: requests/s of
// each and the ratio. The two alternate in four rounds so drift on the
// shared machine falls on both. make bench runs it
// (ORENGEN_BENCH_PLATFORM=1); the figures go to docs/BENCHMARKS.md.
func TestPlatformFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_PLATFORM") == "" {
		t.Skip("figures: ORENGEN_BENCH_PLATFORM=1 (make bench)")
	}
	e := newTenantEnv(t, "--api-rate-limit", "1000000")
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	var batch []*app.Person
	for i := range 500 {
		batch = append(batch, &app.Person{FirstName: fmt.Sprintf("First%d", i), LastName: "Figure", Emails: []string{fmt.Sprintf("f%d@figures.test", i)},
			Phones: []string{fmt.Sprintf("+1512555%04d", i)}, Title: "Engineer", Address: "Austin"})
		if len(batch) == 100 {
			if err := e.Server.CRM.UpsertPeople(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	defer e.Server.Shutdown(context.Background())
	base := "http://" + ln.Addr().String()
	gql, _ := json.Marshal(map[string]any{"query": `{ people(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
		id name { firstName lastName } emails { primaryEmail additionalEmails } phones { primaryPhoneNumber primaryPhoneCountryCode primaryPhoneCallingCode additionalPhones { number } }
		jobTitle city avatarUrl position companyId source tags createdAt updatedAt deletedAt } } } }`})
	newReq := map[string]func() *http.Request{
		"REST": func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/rest/people?limit=50", nil)
			return r
		},
		"GraphQL": func() *http.Request {
			r, _ := http.NewRequest("POST", base+"/graphql", strings.NewReader(string(gql)))
			r.Header.Set("Content-Type", "application/json")
			return r
		},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	// Each answer must be the 50 people, not an error that is cheap.
	check := func(kind string, body []byte) error {
		var out struct {
			Data struct {
				People *struct {
					Edges []json.RawMessage `json:"edges"`
				} `json:"people"`
			} `json:"data"`
			Errors []any `json:"errors"`
		}
		if err := json.Unmarshal(body, &out); err != nil || len(out.Errors) > 0 || out.Data.People == nil {
			return fmt.Errorf("%s answer: %.200s", kind, body)
		}
		if kind == "GraphQL" && len(out.Data.People.Edges) != 50 {
			return fmt.Errorf("GraphQL: %d edges", len(out.Data.People.Edges))
		}
		return nil
	}
	var restCheck struct {
		Data struct {
			People []json.RawMessage `json:"people"`
		} `json:"data"`
	}
	resp, err := client.Do(withKey(newReq["REST"](), e.A.KeyRead))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(b, &restCheck); err != nil || len(restCheck.Data.People) != 50 {
		t.Fatalf("REST page: %d %.200s", resp.StatusCode, b)
	}
	const clients, round = 16, 5 * time.Second
	total := map[string]int64{}
	var bad atomic.Int64
	for _, kind := range []string{"REST", "GraphQL", "REST", "GraphQL", "GraphQL", "REST", "GraphQL", "REST"} {
		var n atomic.Int64
		var wg sync.WaitGroup
		deadline := time.Now().Add(round)
		for range clients {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					resp, err := client.Do(withKey(newReq[kind](), e.A.KeyRead))
					if err != nil {
						bad.Add(1)
						continue
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || (kind == "GraphQL" && check(kind, body) != nil) {
						bad.Add(1)
						continue
					}
					n.Add(1)
				}
			})
		}
		wg.Wait()
		total[kind] += n.Load()
	}
	secs := 4 * round.Seconds()
	rest, graph := float64(total["REST"])/secs, float64(total["GraphQL"])/secs
	t.Logf("same 50-person page, %d clients, 4 × %s each, alternating: REST %.0f req/s, GraphQL %.0f req/s, GraphQL/REST = %.2f (load %s)",
		clients, round, rest, graph, graph/rest, loadavg())
	if bad.Load() > 0 {
		t.Errorf("%d requests failed", bad.Load())
	}
}

func withKey(r *http.Request, key string) *http.Request {
	r.Host = "app.localhost"
	r.Header.Set("Authorization", "Bearer "+key)
	return r
}
