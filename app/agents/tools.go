package agents

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/mail"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
)

// Tool names. Every tool acts inside the agent's tenant, on the
// conversation's own contact: none takes a record ID or a tenant from the
// model.
const (
	ToolFindPerson        = "find_person"
	ToolCreatePerson      = "create_person"
	ToolUpdatePerson      = "update_person"
	ToolAddNote           = "add_note"
	ToolAddTag            = "add_tag"
	ToolCreateDeal        = "create_deal"
	ToolCreateTask        = "create_task"
	ToolCheckAvailability = "check_availability"
	ToolBook              = "book_appointment"
	ToolSendSMS           = "send_sms"
	ToolSendEmail         = "send_email"
	ToolTransfer          = "transfer"
	ToolStartWorkflow     = "start_workflow"
	ToolEndConversation   = "end_conversation"
	// ToolSaveFields is offered whenever the agent has fields to collect.
	ToolSaveFields = "save_fields"
	// ToolLookupSheet reads a row of a tenant's sheet (price lists,
	// service areas) when the sheets service is wired.
	ToolLookupSheet = "lookup_sheet"
)

// ToolMeta describes a tool for people (the editor) and the model.
type ToolMeta struct {
	Label       string
	Description string // for the model
	Schema      string // JSON Schema of the arguments
}

// ToolInfo describes every tool an agent may be given.
var ToolInfo = map[string]ToolMeta{
	ToolFindPerson: {"Find the contact in the CRM", "Look up whether the person you are talking to is already a contact, by email or phone. Returns found and their first name only.",
		`{"type":"object","properties":{"email":{"type":"string","format":"email","maxLength":254},"phone":{"type":"string","minLength":7,"maxLength":40}},"anyOf":[{"required":["email"]},{"required":["phone"]}],"additionalProperties":false}`},
	ToolCreatePerson: {"Create (or find) the contact", "Save the person you are talking to as a CRM contact once you know their email or phone (an existing contact with that email or phone is reused).",
		`{"type":"object","properties":{"first_name":{"type":"string","maxLength":100},"last_name":{"type":"string","maxLength":100},"email":{"type":"string","format":"email","maxLength":254},"phone":{"type":"string","minLength":7,"maxLength":40},"company":{"type":"string","maxLength":200}},"anyOf":[{"required":["email"]},{"required":["phone"]}],"additionalProperties":false}`},
	ToolUpdatePerson: {"Update the contact", "Change the contact's name, email, phone, job title or company.",
		`{"type":"object","properties":{"first_name":{"type":"string","minLength":1,"maxLength":100},"last_name":{"type":"string","maxLength":100},"email":{"type":"string","format":"email","maxLength":254},"phone":{"type":"string","minLength":7,"maxLength":40},"title":{"type":"string","maxLength":200},"company":{"type":"string","maxLength":200}},"minProperties":1,"additionalProperties":false}`},
	ToolAddNote: {"Add a note to the contact", "Add a short note to the contact's CRM record.",
		`{"type":"object","properties":{"text":{"type":"string","minLength":1,"maxLength":5000}},"required":["text"],"additionalProperties":false}`},
	ToolAddTag: {"Tag the contact", "Add a tag (one or two words, like hot-lead) to the contact.",
		`{"type":"object","properties":{"tag":{"type":"string","minLength":1,"maxLength":50,"pattern":"^[\\p{L}\\p{N}][\\p{L}\\p{N} _.:/-]*$"}},"required":["tag"],"additionalProperties":false}`},
	ToolCreateDeal: {"Create a deal", "Create a sales opportunity for the contact, with an estimated amount in dollars if known.",
		`{"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":200},"amount":{"type":"number","minimum":0,"maximum":1000000000}},"required":["name"],"additionalProperties":false}`},
	ToolCreateTask: {"Create a follow-up task", "Create a follow-up task for the team about the contact, optionally due at a time (RFC 3339, like 2027-01-05T15:00:00-05:00).",
		`{"type":"object","properties":{"title":{"type":"string","minLength":1,"maxLength":300},"due":{"type":"string","format":"date-time"}},"required":["title"],"additionalProperties":false}`},
	ToolCheckAvailability: {"Check availability", "List free appointment times on a day (YYYY-MM-DD), for an appointment of minutes length.",
		`{"type":"object","properties":{"date":{"type":"string","format":"date"},"minutes":{"type":"integer","minimum":10,"maximum":240}},"required":["date"],"additionalProperties":false}`},
	ToolBook: {"Book an appointment", "Book an appointment for the contact at start (RFC 3339 with the time zone, from check_availability). Needs the contact first.",
		`{"type":"object","properties":{"start":{"type":"string","format":"date-time"},"minutes":{"type":"integer","minimum":10,"maximum":240},"topic":{"type":"string","maxLength":200}},"required":["start"],"additionalProperties":false}`},
	ToolSendSMS: {"Text the contact", "Send a text message to the contact's phone (for example a confirmation or a link).",
		`{"type":"object","properties":{"body":{"type":"string","minLength":1,"maxLength":640}},"required":["body"],"additionalProperties":false}`},
	ToolSendEmail: {"Email the contact", "Send an email to the contact's address.",
		`{"type":"object","properties":{"subject":{"type":"string","minLength":1,"maxLength":200},"body":{"type":"string","minLength":1,"maxLength":5000}},"required":["subject","body"],"additionalProperties":false}`},
	ToolTransfer: {"Hand off to a person", "Hand the conversation to a person of the team (on a call: transfer the call) when asked for a human or when you cannot help.",
		`{"type":"object","properties":{"reason":{"type":"string","minLength":1,"maxLength":300}},"required":["reason"],"additionalProperties":false}`},
	ToolStartWorkflow: {"Start a workflow", "Start one of the team's automations for the contact.",
		`{"type":"object","properties":{"workflow":{"type":"string"}},"required":["workflow"],"additionalProperties":false}`},
	ToolEndConversation: {"End the conversation", "End the conversation when it is finished; outcome qualified when the lead is qualified.",
		`{"type":"object","properties":{"outcome":{"type":"string","enum":["qualified","completed","not_interested"]},"reason":{"type":"string","maxLength":300}},"required":["outcome"],"additionalProperties":false}`},
	ToolLookupSheet: {"Look up a sheet", "Find rows of one of the team's sheets (like a price list or service areas) matching a query.",
		`{"type":"object","properties":{"sheet":{"type":"string"},"query":{"type":"string","minLength":1,"maxLength":200}},"required":["sheet","query"],"additionalProperties":false}`},
}

// ToolOrder lists the tools in the order the editor shows them.
var ToolOrder = []string{ToolFindPerson, ToolCreatePerson, ToolUpdatePerson, ToolAddNote, ToolAddTag, ToolCreateDeal, ToolCreateTask,
	ToolCheckAvailability, ToolBook, ToolSendSMS, ToolSendEmail, ToolTransfer, ToolStartWorkflow, ToolEndConversation, ToolLookupSheet}

// ToolSpec is a tool as offered to the model.
type ToolSpec struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// toolSet is the compiled tools of one agent version.
type toolSet struct {
	specs   []ToolSpec
	schemas map[string]*toolSchema
	// names maps a workflow or sheet name offered in an enum to its ID.
	workflows map[string]int64
	sheets    map[string]string
}

// toolSchema is a tool's compiled JSON schema (draft 2020-12) and the
// formats its properties assert, which the validator leaves to us
// (github.com/google/jsonschema-go, the MCP SDK's: it replaced
// santhosh-tekuri/jsonschema, whose initialiser compiled its
// meta-schemas in every process at start-up: 7 ms and 1.7 MB each).
type toolSchema struct {
	resolved *jsonschema.Resolved
	formats  map[string]string // property -> "email", "date" or "date-time"
	// known lists the properties of a schema that allows no others.
	known map[string]bool
}

// problems lists what is wrong with obj, each problem once: properties
// the schema does not allow, the first problem the validator finds (it
// stops there), and the formats of string properties.
func (ts *toolSchema) problems(obj map[string]any) []string {
	var bad []string
	if ts.known != nil {
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if !ts.known[k] {
				bad = append(bad, "/"+k+": not a property of this tool")
			}
		}
	}
	if err := ts.resolved.Validate(obj); err != nil {
		bad = append(bad, strings.TrimPrefix(err.Error(), "validating root: "))
	}
	for _, name := range slices.Sorted(maps.Keys(ts.formats)) {
		v, ok := obj[name].(string)
		if !ok {
			continue
		}
		switch ts.formats[name] {
		case "email":
			a, err := mail.ParseAddress(v)
			if err != nil || a.Address != v || a.Name != "" {
				bad = append(bad, "/"+name+": not an email address")
			}
		case "date":
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				bad = append(bad, "/"+name+": not a date (YYYY-MM-DD)")
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				bad = append(bad, "/"+name+": not a date and time (RFC 3339)")
			}
		}
	}
	return bad
}

var (
	toolSetsMu sync.Mutex
	toolSets   = map[string]*toolSet{} // by a hash of the configuration and the enums
)

// saveFieldsSchema builds save_fields' schema from the agent's fields.
func saveFieldsSchema(fields []Field) string {
	props := map[string]any{}
	for _, f := range fields {
		d := f.Label
		if f.Description != "" {
			d += ": " + f.Description
		}
		p := map[string]any{"type": "string", "minLength": 1, "maxLength": 500, "description": d}
		switch f.CRMField {
		case "email":
			p["format"] = "email"
		case "phone":
			p["minLength"] = 7
			p["maxLength"] = 40
		}
		props[f.Key] = p
	}
	b, _ := json.Marshal(map[string]any{"type": "object", "properties": props, "minProperties": 1, "additionalProperties": false})
	return string(b)
}

func enumSchema(base, prop string, names []string) string {
	var m map[string]any
	json.Unmarshal([]byte(base), &m)
	m["properties"].(map[string]any)[prop].(map[string]any)["enum"] = names
	b, _ := json.Marshal(m)
	return string(b)
}

// tools returns the compiled tools of agent version a; workflows and
// sheets name what start_workflow and lookup_sheet may use.
func buildTools(a *Agent, workflows map[string]int64, sheets map[string]string) (*toolSet, error) {
	wn := make([]string, 0, len(workflows))
	for n := range workflows {
		wn = append(wn, n)
	}
	slices.Sort(wn)
	sn := make([]string, 0, len(sheets))
	for n := range sheets {
		sn = append(sn, n)
	}
	slices.Sort(sn)
	sum := sha256.Sum256([]byte(a.Config.JSON() + "\x00" + strings.Join(wn, "\x00") + "\x00" + strings.Join(sn, "\x00")))
	key := string(sum[:])
	toolSetsMu.Lock()
	ts, ok := toolSets[key]
	toolSetsMu.Unlock()
	if ok {
		return ts, nil
	}
	ts = &toolSet{schemas: map[string]*toolSchema{}, workflows: workflows, sheets: sheets}
	add := func(name, desc, schema string) error {
		var doc jsonschema.Schema
		if err := json.Unmarshal([]byte(schema), &doc); err != nil {
			return fmt.Errorf("tool %s schema: %w", name, err)
		}
		rs, err := doc.Resolve(nil)
		if err != nil {
			return fmt.Errorf("tool %s schema: %w", name, err)
		}
		sch := &toolSchema{resolved: rs, formats: map[string]string{}}
		if ap := doc.AdditionalProperties; ap != nil && ap.Not != nil && reflect.ValueOf(*ap.Not).IsZero() {
			sch.known = map[string]bool{} // "additionalProperties": false
		}
		for p, ps := range doc.Properties {
			if sch.known != nil {
				sch.known[p] = true
			}
			if ps != nil && ps.Format != "" {
				sch.formats[p] = ps.Format
			}
		}
		ts.schemas[name] = sch
		ts.specs = append(ts.specs, ToolSpec{Name: name, Description: desc, Parameters: json.RawMessage(schema)})
		return nil
	}
	for _, name := range a.Config.Tools {
		m := ToolInfo[name]
		schema := m.Schema
		switch name {
		case ToolStartWorkflow:
			if len(wn) == 0 {
				continue // nothing it may start (deleted workflows)
			}
			schema = enumSchema(schema, "workflow", wn)
		case ToolLookupSheet:
			if len(sn) == 0 {
				continue
			}
			schema = enumSchema(schema, "sheet", sn)
		}
		if err := add(name, m.Description, schema); err != nil {
			return nil, err
		}
	}
	if len(a.Config.Fields) > 0 {
		if err := add(ToolSaveFields, "Save what the person told you for the fields you collect (only values they actually said).", saveFieldsSchema(a.Config.Fields)); err != nil {
			return nil, err
		}
	}
	toolSetsMu.Lock()
	if len(toolSets) > 1000 {
		clear(toolSets)
	}
	toolSets[key] = ts
	toolSetsMu.Unlock()
	return ts, nil
}

// ToolArgError is a tool call the server refused to run: unknown tool,
// arguments that are not JSON or break the schema. Its message goes back
// to the model.
type ToolArgError struct{ Msg string }

func (e *ToolArgError) Error() string { return e.Msg }

// check parses and validates a call's arguments against its schema.
// Nothing is executed for a call that fails.
func (ts *toolSet) check(name, args string) (map[string]any, error) {
	sch, ok := ts.schemas[name]
	if !ok {
		names := make([]string, 0, len(ts.specs))
		for _, s := range ts.specs {
			names = append(names, s.Name)
		}
		return nil, &ToolArgError{fmt.Sprintf("unknown tool %q; the tools are: %s", truncateRunes(name, 60), strings.Join(names, ", "))}
	}
	if strings.TrimSpace(args) == "" {
		args = "{}"
	}
	if len(args) > 16<<10 {
		return nil, &ToolArgError{"the arguments are longer than 16 KB"}
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(args))
	if err := dec.Decode(&v); err != nil {
		return nil, &ToolArgError{"the arguments are not valid JSON: " + truncateRunes(err.Error(), 200)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ToolArgError{"the arguments must be exactly one JSON object"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &ToolArgError{"the arguments must be a JSON object"}
	}
	if bad := sch.problems(obj); len(bad) > 0 {
		if len(bad) > 5 {
			bad = bad[:5]
		}
		return nil, &ToolArgError{"the arguments do not match the schema: " + truncateRunes(strings.Join(bad, "; "), 500)}
	}
	return obj, nil
}

// argString returns a string argument ("" when absent).
func argString(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return strings.TrimSpace(s)
}

// argNumber returns a number argument and whether it was given.
func argNumber(args map[string]any, name string) (float64, bool) {
	switch v := args[name].(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case float64:
		return v, true
	case int:
		return float64(v), true
	}
	return 0, false
}

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
