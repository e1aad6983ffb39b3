package app

import (
	"fmt"
	"strings"
)

// httpStep sends an HTTP request through the engine's guarded client.
type httpStep struct{}

func (httpStep) check(c *stepCheck) (err error) {
	s, bad := c.s, c.bad
	switch s.Method {
	case "":
		s.Method = "POST"
	case "GET", "POST", "PUT", "PATCH", "DELETE":
	default:
		err = bad("method", "must be GET, POST, PUT, PATCH or DELETE.")
	}
	if err == nil && !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://") {
		err = bad("url", "must start with https:// or http://.")
	}
	for k := range s.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			err = bad("headers", "header name %q is not valid.", k)
		}
	}
	return err
}

func (httpStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, st, rs, render := x.e, x.ctx, x.st, x.rs, x.render
	u, err := render(st.URL)
	if err != nil {
		return "", nil, false, err
	}
	body, err := render(st.Body)
	if err != nil {
		return "", nil, false, err
	}
	h := map[string]string{"Idempotency-Key": rs.IdempotencyKey}
	for k, v := range st.Headers {
		if h[k], err = render(v); err != nil {
			return "", nil, false, err
		}
	}
	status, resp, err := e.HTTP.SendHTTP(ctx, st.Method, u, h, body)
	if err != nil {
		return "", nil, true, err
	}
	out := stepJSON(map[string]any{"status": status, "body": truncate(resp, 2000)})
	if status >= 400 {
		err := fmt.Errorf("%s %s answered %d", st.Method, u, status)
		if status < 500 && status != 429 {
			err = &PermanentError{err}
		}
		return out, nil, false, err
	}
	return out, nil, false, nil
}

func (httpStep) fields(typ string) []StepField {
	return []StepField{{Key: "method", Label: "Method", Kind: "select", Options: []string{"POST", "GET", "PUT", "PATCH", "DELETE"}},
		{Key: "url", Label: "URL", Kind: "text", Required: true, Template: true},
		{Key: "headers", Label: "Headers", Kind: "keyvalue"},
		{Key: "body", Label: "Body", Kind: "textarea", Template: true}}
}
