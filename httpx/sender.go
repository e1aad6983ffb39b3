package httpx

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// StepBodyLimit is how much of an answer a workflow HTTP step keeps.
const StepBodyLimit = 64 << 10

// Sender makes the HTTP requests of workflow steps (app.HTTPSender)
// through a guarded client.
type Sender struct {
	Client *http.Client // from New
}

// SendHTTP sends one request and returns the status and up to 64 KiB of
// the answer. A refused address is the refusal alone: no URL noise, and
// no body, since nothing was sent.
func (s *Sender) SendHTTP(ctx context.Context, method, url string, headers map[string]string, body string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, "", fmt.Errorf("http step: %w", err)
	}
	req.Header.Set("User-Agent", "orengen-automation")
	if body != "" && strings.HasPrefix(strings.TrimSpace(body), "{") {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		if re := Refused(err); re != nil {
			return 0, "", fmt.Errorf("http step: %w", re)
		}
		return 0, "", fmt.Errorf("http step: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, StepBodyLimit))
	return resp.StatusCode, string(b), nil
}
