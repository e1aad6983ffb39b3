package federal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func completion(content string, finish string) []byte {
	b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"finish_reason": finish, "message": map[string]any{"content": content}}}})
	return b
}

func TestParseLLMAnswer(t *testing.T) {
	good := `{"requirements":[{"section":"M","text":"Proposals will be rated.","kind":"evaluation"}],"evaluation_factors":["Price"],"dates":[{"label":"award","date":"2027-04-28T12:00:00Z","text":""}]}`
	ex, err := parseLLMAnswer(completion(good, "stop"))
	if err != nil || len(ex.Requirements) != 1 || ex.Requirements[0].Origin != OriginLLM || !ex.Dates[0].HasTime || ex.EvaluationFactors[0] != "Price" {
		t.Fatalf("good answer: %+v %v", ex, err)
	}
	many := `{"requirements":[` + strings.Repeat(`{"section":"","text":"x shall y","kind":"shall"},`, maxLLMItems) + `{"section":"","text":"z","kind":"shall"}],"evaluation_factors":[],"dates":[]}`
	for name, tc := range map[string]struct{ raw []byte }{
		"cut off":       {completion(good, "length")},
		"no choices":    {[]byte(`{"choices":[]}`)},
		"not a reply":   {[]byte(`<html>`)},
		"missing keys":  {completion(`{"requirements":[]}`, "stop")},
		"two objects":   {completion(`{"requirements":[],"evaluation_factors":[],"dates":[]} {}`, "stop")},
		"bad section":   {completion(`{"requirements":[{"section":"Section L","text":"x","kind":"shall"}],"evaluation_factors":[],"dates":[]}`, "stop")},
		"empty text":    {completion(`{"requirements":[{"section":"L","text":" ","kind":"shall"}],"evaluation_factors":[],"dates":[]}`, "stop")},
		"too many":      {completion(many, "stop")},
		"wrong type":    {completion(`{"requirements":"all of them","evaluation_factors":[],"dates":[]}`, "stop")},
		"empty factor":  {completion(`{"requirements":[],"evaluation_factors":[""],"dates":[]}`, "stop")},
		"dateless date": {completion(`{"requirements":[],"evaluation_factors":[],"dates":[{"label":"due","date":"","text":""}]}`, "stop")},
	} {
		var rej *LLMRejectedError
		if _, err := parseLLMAnswer(tc.raw); !errors.As(err, &rej) {
			t.Errorf("%s: %v, want a rejection", name, err)
		}
	}
}

func TestMergeExtractions(t *testing.T) {
	rules := ExtractRequirements("L.3 The offeror shall submit four volumes.\nProposals are due March 3, 2027.\nM.2 Factor 1 – Price")
	llm := Extraction{
		Requirements:      []Requirement{{Section: "L.3", Text: "The Offeror SHALL submit four volumes", Kind: KindShall}, {Section: "L.4", Text: "Offerors must register in SAM.", Kind: KindMust}},
		EvaluationFactors: []string{"price", "Past Performance"},
		Dates:             rules.Dates,
	}
	got, added := MergeExtractions(rules, llm)
	if added != 1 || len(got.Requirements) != len(rules.Requirements)+1 || got.Requirements[len(got.Requirements)-1].Origin != OriginLLM {
		t.Fatalf("merged requirements: %+v (added %d)", got.Requirements, added)
	}
	if got.Requirements[0].Origin != OriginRules {
		t.Errorf("rules' origin %q", got.Requirements[0].Origin)
	}
	if len(got.EvaluationFactors) != len(rules.EvaluationFactors)+1 || len(got.Dates) != len(rules.Dates) {
		t.Errorf("factors %v dates %d", got.EvaluationFactors, len(got.Dates))
	}
}

func TestLLMExtractor_NoKey(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer srv.Close()
	x := &LLMExtractor{BaseURL: srv.URL, Key: func(context.Context) (Secret, error) { return "", nil }}
	if _, err := x.Extract(context.Background(), "text"); !errors.Is(err, ErrLLMNoKey) || calls != 0 {
		t.Fatalf("no key: %v, %d calls", err, calls)
	}
	var none *LLMExtractor
	if none.Configured(context.Background()) || (&LLMExtractor{}).Configured(context.Background()) {
		t.Error("an empty extractor counts as configured")
	}
}
