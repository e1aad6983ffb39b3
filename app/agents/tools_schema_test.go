package agents

import (
	"strings"
	"testing"
)

// TestToolArgs_SchemaAndFormats: a model's tool call is checked against
// the tool's schema (types, bounds, required, extra properties) and the
// formats it asserts (email, date, date-time) before anything runs; the
// message going back to the model names what is wrong.
func TestToolArgs_SchemaAndFormats(t *testing.T) {
	a := &Agent{Config: Config{Tools: []string{ToolCreatePerson, ToolCreateTask, ToolCheckAvailability}}}
	ts, err := buildTools(a, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ tool, args, want string }{ // want "" passes
		{ToolCreatePerson, `{"first_name":"Ann","email":"ann@example.com"}`, ""},
		{ToolCreatePerson, `{"first_name":"Ann","email":"not-an-email"}`, "/email: not an email address"},
		{ToolCreatePerson, `{"first_name":"Ann","email":"Ann <ann@example.com>"}`, "/email: not an email address"},
		{ToolCreatePerson, `{"email":"ann@example.com","shoe_size":"9"}`, "do not match the schema"},
		{ToolCreatePerson, `{"first_name":"Ann"}`, "do not match the schema"}, // anyOf: email or phone
		{ToolCreatePerson, `{"first_name":7,"phone":"+15550100"}`, "do not match the schema"},
		{ToolCreateTask, `{"title":"Call back","due":"2026-12-07T10:00:00Z"}`, ""},
		{ToolCreateTask, `{"title":"Call back","due":"tomorrow"}`, "/due: not a date and time"},
		{ToolCreateTask, `{"due":"2026-12-07T10:00:00Z"}`, "do not match the schema"},
		{ToolCheckAvailability, `{"date":"2026-12-07","minutes":30}`, ""},
		{ToolCheckAvailability, `{"date":"2026-12-07","minutes":5}`, "do not match the schema"},
		{ToolCheckAvailability, `{"date":"2026-12-07","minutes":30.5}`, "do not match the schema"},
		{ToolCheckAvailability, `{"date":"07/12/2026"}`, "/date: not a date"},
		{ToolCreateTask, `{"title":"a"} {"title":"b"}`, "exactly one JSON object"},
		{ToolCreateTask, `["title"]`, "must be a JSON object"},
		{ToolCreateTask, `{"title":`, "not valid JSON"},
		{"drop_tables", `{}`, "unknown tool"},
	}
	for _, tc := range cases {
		obj, err := ts.check(tc.tool, tc.args)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %s: refused: %v", tc.tool, tc.args, err)
		case tc.want == "" && obj == nil:
			t.Errorf("%s %s: no arguments returned", tc.tool, tc.args)
		case tc.want != "" && err == nil:
			t.Errorf("%s %s: accepted, want %q", tc.tool, tc.args, tc.want)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s %s: %q, want it to say %q", tc.tool, tc.args, err, tc.want)
		}
	}
	// Numbers arrive as JSON numbers the tools read (argNumber).
	obj, err := ts.check(ToolCheckAvailability, `{"date":"2026-12-07","minutes":45}`)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := argNumber(obj, "minutes"); !ok || n != 45 {
		t.Fatalf("minutes = %v, %v; want 45", n, ok)
	}
}

// TestTools_EveryToolHasAHandler: the tools an agent can be given (and
// save_fields) each have a handler in the table, and the table has no
// handler for a tool nobody can be given.
func TestTools_EveryToolHasAHandler(t *testing.T) {
	offered := map[string]bool{ToolSaveFields: true}
	for name := range ToolInfo {
		offered[name] = true
	}
	for name := range offered {
		if tools[name] == nil {
			t.Errorf("tool %s has no handler", name)
		}
	}
	for name := range tools {
		if !offered[name] {
			t.Errorf("handler for %s, which no agent can be given", name)
		}
	}
}
