package federal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Requirement origins: who found a compliance matrix row.
const (
	OriginRules = "rules"
	OriginLLM   = "llm"
)

// LLM defaults.
const (
	// DefaultLLMModel is the model asked when none is configured.
	DefaultLLMModel = "gpt-4o-mini"
	// DefaultLLMTimeout bounds one chat completion.
	DefaultLLMTimeout = 60 * time.Second
	// MaxLLMText is how much solicitation text (bytes) is sent to the
	// model; the rules read all of it.
	MaxLLMText = 200_000
	// maxLLMBody bounds the response read from the endpoint.
	maxLLMBody = 4 << 20
	// Bounds of a valid answer.
	maxLLMItems   = 500
	maxLLMReqText = 2000
)

// LLM errors callers branch on. The messages never hold the key or the
// solicitation text.
var (
	// ErrLLMKey: the endpoint answered 401 or 403.
	ErrLLMKey = errors.New("the model endpoint rejected the API key")
	// ErrLLMNoKey: a URL is configured but no key.
	ErrLLMNoKey = errors.New("no API key for the model endpoint")
)

// LLMRejectedError is an answer that failed validation; Reason says why.
type LLMRejectedError struct{ Reason string }

func (e *LLMRejectedError) Error() string { return "answer rejected: " + e.Reason }

// LLMExtractor asks an OpenAI-compatible endpoint (POST
// {BaseURL}/chat/completions, JSON response format) for requirements,
// evaluation factors and dates the rules may have missed. A nil
// *LLMExtractor or an empty BaseURL means rules only.
type LLMExtractor struct {
	BaseURL string // like https://api.openai.com/v1
	Model   string // default DefaultLLMModel
	// Key returns the API key (the vault's openai_api_key, else the
	// environment); "" with a nil error means none is configured.
	Key  func(ctx context.Context) (Secret, error)
	HTTP *http.Client // default: a client with DefaultLLMTimeout
	// Endpoint, when set, returns the base URL and model on every call
	// instead of BaseURL and Model (an admin changes them in Nexus
	// without a restart).
	Endpoint func(ctx context.Context) (baseURL, model string)
}

// endpoint returns the base URL and model in use.
func (x *LLMExtractor) endpoint(ctx context.Context) (string, string) {
	if x.Endpoint != nil {
		return x.Endpoint(ctx)
	}
	return x.BaseURL, x.Model
}

// ModelName is the model extraction asks.
func (x *LLMExtractor) ModelName(ctx context.Context) string {
	_, m := x.endpoint(ctx)
	if m == "" {
		return DefaultLLMModel
	}
	return m
}

// Configured reports whether extraction asks the model.
func (x *LLMExtractor) Configured(ctx context.Context) bool {
	if x == nil {
		return false
	}
	u, _ := x.endpoint(ctx)
	return strings.TrimSpace(u) != ""
}

const llmSystemPrompt = `You read US federal solicitation text (RFP/RFQ sections C, L and M) and list what an offeror must comply with.
Answer with one JSON object and nothing else, exactly these keys:
{"requirements":[{"section":"L.3.2","text":"...","kind":"shall|must|evaluation"}],
 "evaluation_factors":["Technical Approach"],
 "dates":[{"label":"proposals due","date":"2027-03-03","text":"..."}]}
Rules: "text" quotes the solicitation sentence; "section" is the section number as written ("L.3.2", "M", "C.4") or "";
"kind" is "shall" or "must" for obligations and "evaluation" for how proposals are evaluated; dates are YYYY-MM-DD
(or RFC 3339 with a time); use [] when there is nothing. Do not invent anything that is not in the text.`

type llmAnswer struct {
	Requirements []struct {
		Section string `json:"section"`
		Text    string `json:"text"`
		Kind    string `json:"kind"`
	} `json:"requirements"`
	EvaluationFactors []string `json:"evaluation_factors"`
	Dates             []struct {
		Label string `json:"label"`
		Date  string `json:"date"`
		Text  string `json:"text"`
	} `json:"dates"`
}

var llmSectionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-M](\.\d+)*$`) })

// Extract asks the model about text. Errors: ErrLLMNoKey, ErrLLMKey,
// *LLMRejectedError for an answer that is not exactly the asked JSON, or
// a transport or status error (never holding the key or the text).
func (x *LLMExtractor) Extract(ctx context.Context, text string) (Extraction, error) {
	var key Secret
	if x.Key != nil {
		k, err := x.Key(ctx)
		if err != nil {
			return Extraction{}, fmt.Errorf("read the model API key: %w", err)
		}
		key = k
	}
	if key == "" {
		return Extraction{}, ErrLLMNoKey
	}
	if len(text) > MaxLLMText {
		text = text[:MaxLLMText]
		for !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	baseURL, model := x.endpoint(ctx)
	if model == "" {
		model = DefaultLLMModel
	}
	body, _ := json.Marshal(map[string]any{
		"model":           model,
		"temperature":     0,
		"response_format": map[string]string{"type": "json_object"},
		"messages": []map[string]string{
			{"role": "system", "content": llmSystemPrompt},
			{"role": "user", "content": text},
		},
	})
	ctx, cancel := context.WithTimeout(ctx, DefaultLLMTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return Extraction{}, fmt.Errorf("model request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+string(key))
	hc := x.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: DefaultLLMTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Extraction{}, fmt.Errorf("the model endpoint did not answer within %s", DefaultLLMTimeout)
		}
		return Extraction{}, fmt.Errorf("model endpoint: %s", key.Scrub(err.Error()))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxLLMBody+1))
	if err != nil {
		return Extraction{}, fmt.Errorf("read the model answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Extraction{}, ErrLLMKey
	case resp.StatusCode == http.StatusTooManyRequests:
		return Extraction{}, fmt.Errorf("the model endpoint is rate limiting this key (HTTP 429)")
	case resp.StatusCode != http.StatusOK:
		return Extraction{}, fmt.Errorf("the model endpoint answered HTTP %d", resp.StatusCode)
	}
	if len(raw) > maxLLMBody {
		return Extraction{}, &LLMRejectedError{"the answer is larger than 4 MB"}
	}
	return parseLLMAnswer(raw)
}

// decodeStrict decodes exactly one JSON value with no unknown fields.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

// parseLLMAnswer validates a chat completion holding the answer JSON.
// Anything unexpected rejects the whole answer.
func parseLLMAnswer(raw []byte) (Extraction, error) {
	var completion struct {
		Choices []struct {
			Message struct {
				Content *string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &completion); err != nil {
		return Extraction{}, &LLMRejectedError{"the endpoint's reply is not a chat completion (not JSON)"}
	}
	if len(completion.Choices) == 0 || completion.Choices[0].Message.Content == nil {
		return Extraction{}, &LLMRejectedError{"the reply has no message content"}
	}
	if completion.Choices[0].FinishReason == "length" {
		return Extraction{}, &LLMRejectedError{"the answer was cut off (finish_reason length)"}
	}
	var a llmAnswer
	if err := decodeStrict([]byte(*completion.Choices[0].Message.Content), &a); err != nil {
		return Extraction{}, &LLMRejectedError{"the answer is not the requested JSON object: " + jsonProblem(err)}
	}
	if a.Requirements == nil || a.EvaluationFactors == nil || a.Dates == nil {
		return Extraction{}, &LLMRejectedError{"the answer lacks requirements, evaluation_factors or dates"}
	}
	if len(a.Requirements) > maxLLMItems || len(a.EvaluationFactors) > maxLLMItems || len(a.Dates) > maxLLMItems {
		return Extraction{}, &LLMRejectedError{fmt.Sprintf("the answer lists more than %d items", maxLLMItems)}
	}
	var ex Extraction
	for i, r := range a.Requirements {
		r.Text, r.Section, r.Kind = strings.TrimSpace(r.Text), strings.TrimSpace(r.Section), strings.TrimSpace(r.Kind)
		switch {
		case r.Text == "" || len(r.Text) > maxLLMReqText || !utf8.ValidString(r.Text):
			return Extraction{}, &LLMRejectedError{fmt.Sprintf("requirement %d has no text or more than %d characters", i+1, maxLLMReqText)}
		case r.Kind != KindShall && r.Kind != KindMust && r.Kind != KindEvaluation:
			return Extraction{}, &LLMRejectedError{fmt.Sprintf("requirement %d has kind %.40q (want shall, must or evaluation)", i+1, r.Kind)}
		case r.Section != "" && !llmSectionRE().MatchString(r.Section):
			return Extraction{}, &LLMRejectedError{fmt.Sprintf("requirement %d has section %.40q (want a section like L.3.2)", i+1, r.Section)}
		}
		ex.Requirements = append(ex.Requirements, Requirement{Section: r.Section, Text: r.Text, Kind: r.Kind, Origin: OriginLLM})
	}
	for i, f := range a.EvaluationFactors {
		f = strings.TrimSpace(f)
		if f == "" || len(f) > 300 {
			return Extraction{}, &LLMRejectedError{fmt.Sprintf("evaluation factor %d is empty or longer than 300 characters", i+1)}
		}
		ex.EvaluationFactors = append(ex.EvaluationFactors, f)
	}
	for i, d := range a.Dates {
		label := strings.TrimSpace(d.Label)
		if label == "" || len(label) > 100 {
			return Extraction{}, &LLMRejectedError{fmt.Sprintf("date %d has no label", i+1)}
		}
		item := DatedItem{Label: label, Text: strings.TrimSpace(d.Text)}
		if t, err := time.Parse("2006-01-02", d.Date); err == nil {
			item.Date = t
		} else if t, err := time.Parse(time.RFC3339, d.Date); err == nil {
			item.Date, item.HasTime = t, true
		} else {
			return Extraction{}, &LLMRejectedError{fmt.Sprintf("date %d is %.40q, not YYYY-MM-DD", i+1, d.Date)}
		}
		ex.Dates = append(ex.Dates, item)
	}
	return ex, nil
}

// jsonProblem names what was wrong without quoting the model's text.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s has the wrong type", typ.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return err.Error()
}

// normKey is a requirement's text for duplicate checks: case, spacing and
// trailing punctuation do not count.
func normKey(s string) string {
	return strings.TrimRight(strings.Join(strings.Fields(strings.ToLower(s)), " "), ".;:")
}

// MergeExtractions adds to rules what llm found that rules did not:
// requirements by text, factors by name, dates by day and label.
// Returns the merged extraction and how many requirements llm added.
func MergeExtractions(rules, llm Extraction) (Extraction, int) {
	out := rules
	out.Requirements = append([]Requirement(nil), rules.Requirements...)
	seen := map[string]bool{}
	for i := range out.Requirements {
		if out.Requirements[i].Origin == "" {
			out.Requirements[i].Origin = OriginRules
		}
		seen[normKey(out.Requirements[i].Text)] = true
	}
	added := 0
	for _, r := range llm.Requirements {
		if k := normKey(r.Text); !seen[k] {
			seen[k] = true
			r.Origin = OriginLLM
			out.Requirements = append(out.Requirements, r)
			added++
		}
	}
	factors := map[string]bool{}
	out.EvaluationFactors = append([]string(nil), rules.EvaluationFactors...)
	for _, f := range out.EvaluationFactors {
		factors[normKey(f)] = true
	}
	for _, f := range llm.EvaluationFactors {
		if !factors[normKey(f)] {
			factors[normKey(f)] = true
			out.EvaluationFactors = append(out.EvaluationFactors, f)
		}
	}
	dates := map[string]bool{}
	out.Dates = append([]DatedItem(nil), rules.Dates...)
	for _, d := range out.Dates {
		dates[d.Date.Format("2006-01-02")+"|"+normKey(d.Label)] = true
	}
	for _, d := range llm.Dates {
		k := d.Date.Format("2006-01-02") + "|" + normKey(d.Label)
		if !dates[k] {
			dates[k] = true
			out.Dates = append(out.Dates, d)
		}
	}
	return out, added
}
