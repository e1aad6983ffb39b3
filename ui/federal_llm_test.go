package ui_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"orengen/app"
	"orengen/app/federal"
)

// fakeOpenAI is an OpenAI-compatible chat completions endpoint on loopback
// that answers with status and content, and records what it was sent.
type fakeOpenAI struct {
	mu      sync.Mutex
	status  int
	content string // the message content (the model's JSON)
	calls   int
	auth    string
	request map[string]any
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.auth = r.Header.Get("Authorization")
	b, _ := io.ReadAll(r.Body)
	f.request = nil
	json.Unmarshal(b, &f.request)
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if f.status != http.StatusOK {
		w.WriteHeader(f.status)
		io.WriteString(w, `{"error":{"message":"Incorrect API key provided: sk-te****1234","type":"invalid_request_error"}}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"id": "chatcmpl-1", "object": "chat.completion",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": f.content}}}})
}

// flashOf decodes the flash a redirect set.
func flashOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == "flash" {
			b, err := base64.RawURLEncoding.DecodeString(c.Value)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatal("no flash set")
	return ""
}

// RFP extraction: rules only without an endpoint (and no request made);
// with one, a good answer adds the model's new requirements marked
// "model", while a malformed answer or a rejected key leaves the rules'
// result and the page says why.
func TestFederalExtractWithModel(t *testing.T) {
	e := newTenantEnv(t)
	fake := &fakeOpenAI{status: http.StatusOK}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	base := "/federal/opportunities/" + e.NoticeID
	rfp := url.Values{"rfp_text": {string(samFixture(t, "rfp_excerpt.txt"))}}
	extract := func() (string, []*federal.MatrixRow) {
		t.Helper()
		st, _, resp := e.admin("POST", base+"/matrix", rfp)
		if st != 303 {
			t.Fatalf("extract: %d", st)
		}
		rows, err := e.App.Stores.Federal.FindMatrix(fedTenantCtx(t.Context(), app.HouseTenantID), e.NoticeID)
		if err != nil {
			t.Fatal(err)
		}
		return flashOf(t, resp), rows
	}
	origins := func(rows []*federal.MatrixRow) (rules, llm int) {
		for _, r := range rows {
			if r.Origin == federal.OriginLLM {
				llm++
			} else if r.Origin == federal.OriginRules {
				rules++
			}
		}
		return
	}

	t.Run("NoEndpoint", func(t *testing.T) {
		_, body, _ := e.admin("GET", base, nil)
		if !strings.Contains(body, "no model is configured") {
			t.Error("page does not say extraction is rules only")
		}
		flash, rows := extract()
		if fake.calls != 0 {
			t.Errorf("%d request(s) to the model without an endpoint", fake.calls)
		}
		if r, l := origins(rows); r == 0 || l != 0 || r != len(rows) {
			t.Fatalf("rules-only matrix: %d rules, %d llm of %d", r, l, len(rows))
		}
		if strings.Contains(flash, "model") {
			t.Errorf("flash mentions a model: %s", flash)
		}
	})
	rows, err := e.App.Stores.Federal.FindMatrix(fedTenantCtx(t.Context(), app.HouseTenantID), e.NoticeID)
	if err != nil {
		t.Fatal(err)
	}
	before := len(rows)
	e.Server.Federal.LLM = &federal.LLMExtractor{BaseURL: srv.URL + "/v1", Key: func(context.Context) (federal.Secret, error) { return "sk-test-key-1234", nil }}

	t.Run("Malformed", func(t *testing.T) {
		for _, content := range []string{
			`not json at all`,
			`{"requirements":[],"evaluation_factors":[],"dates":[],"confidence":0.9}`,
			`{"requirements":[{"section":"L.9","text":"Offerors shall bring cake.","kind":"nice-to-have"}],"evaluation_factors":[],"dates":[]}`,
			`{"requirements":[{"section":"L.9","text":"x","kind":"shall"}],"evaluation_factors":[],"dates":[{"label":"due","date":"next Tuesday"}]}`,
		} {
			fake.content = content
			flash, rows := extract()
			if !strings.HasPrefix(flash, "warn|") || !strings.Contains(flash, "answer was rejected") || !strings.Contains(flash, "rules' result stands") {
				t.Errorf("answer %.40q: flash %q", content, flash)
			}
			if _, l := origins(rows); l != 0 || len(rows) != before {
				t.Errorf("answer %.40q changed the matrix: %d rows, %d from the model", content, len(rows), l)
			}
		}
		if fake.calls != 4 {
			t.Errorf("%d calls, want 4", fake.calls)
		}
	})
	t.Run("BadKey", func(t *testing.T) {
		fake.status = http.StatusUnauthorized
		flash, rows := extract()
		fake.status = http.StatusOK
		if !strings.Contains(flash, "rejected the API key") || strings.Contains(flash, "sk-te") {
			t.Errorf("401 flash: %q", flash)
		}
		if len(rows) != before {
			t.Errorf("401 changed the matrix")
		}
	})
	t.Run("GoodAnswer", func(t *testing.T) {
		// One requirement the rules found (spacing and case differ), one
		// they did not, a factor and a date.
		fake.content = `{"requirements":[
			{"section":"L.3.2","text":"The Technical Volume SHALL not exceed 25   pages.","kind":"shall"},
			{"section":"C.4.3","text":"Key personnel must be available for on-site meetings in Washington, DC.","kind":"must"}],
			"evaluation_factors":["Technical Approach","Small Business Participation"],
			"dates":[{"label":"proposals due","date":"2027-03-03","text":"Proposals are due March 3, 2027"}]}`
		flash, rows := extract()
		if !strings.HasPrefix(flash, "ok|1 requirement(s) added to the compliance matrix (1 found by the model). The model found 1 requirement(s) the rules missed.") || !strings.Contains(flash, "Small Business Participation") {
			t.Errorf("flash %q", flash)
		}
		_, l := origins(rows)
		if l != 1 || len(rows) != before+1 || rows[len(rows)-1].Section != "C.4.3" || rows[len(rows)-1].Origin != federal.OriginLLM {
			t.Fatalf("matrix after a good answer: %d rows (%d from the model)", len(rows), l)
		}
		if fake.auth != "Bearer sk-test-key-1234" || fake.request["model"] != federal.DefaultLLMModel {
			t.Errorf("request: auth %q model %v", fake.auth, fake.request["model"])
		}
		if rf, _ := fake.request["response_format"].(map[string]any); rf["type"] != "json_object" {
			t.Errorf("response_format %v", fake.request["response_format"])
		}
		_, body, _ := e.admin("GET", base, nil)
		if !strings.Contains(body, `<span class="pill" title="found by the model">llm</span>`) || !strings.Contains(body, "asks the model") {
			t.Error("page does not mark the model's row or name the model")
		}
	})
}
