package integrations

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"orengen/app"
)

// HTTPSender implements app.HTTPSender for workflow HTTP steps.
type HTTPSender struct {
	Client *http.Client
}

var _ app.HTTPSender = (*HTTPSender)(nil)

// SendHTTP sends one request and returns the status and up to 64 KiB of
// the answer.
func (s *HTTPSender) SendHTTP(ctx context.Context, method, url string, headers map[string]string, body string) (int, string, error) {
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
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
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("http step: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b), nil
}
