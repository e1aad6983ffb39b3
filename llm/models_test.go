package llm_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"orengen/llm"
	"orengen/llm/llmtest"
)

// TestClient_Models: the connection test lists the endpoint's models and
// runs none; a wrong key is an auth error.
func TestClient_Models(t *testing.T) {
	s := llmtest.Start()
	defer s.Close()
	s.Key = "sk-test"
	models, err := newClient(s).Models(context.Background())
	if err != nil || !slices.Contains(models, "gpt-4o-mini") {
		t.Fatalf("models: %v %v", models, err)
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("listing models ran %d chat requests", n)
	}
	bad := newClient(s)
	bad.Key = "sk-wrong"
	_, err = bad.Models(context.Background())
	var ae *llm.APIError
	if !errors.As(err, &ae) || !ae.Auth() {
		t.Fatalf("wrong key: %v", err)
	}
}
