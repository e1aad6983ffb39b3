// Package agents is Agent Studio's domain: AI agents that answer web
// chats, texts and calls for a tenant, call tools inside that tenant's CRM,
// ground their answers in the tenant's documents, and record every turn,
// tool call, token and cent as they go.
//
// The package holds the types and validation (agent.go, conversation.go),
// the tools and their JSON Schemas (tools.go), the conversation loop with
// its guard rails (loop.go, guard.go), knowledge retrieval (knowledge.go),
// usage metering (meter.go) and the use cases the hosts call (service.go).
// It consumes small interfaces: a Model (the llm package implements it),
// the Stores of agents, conversations, knowledge and usage (the store
// package), the CRM, telephony and mail of package app.
//
// agents imports app and app/wiki (project), and a JSON Schema validator
// and x/text for tool arguments; never store, ui or an LLM client (the
// model is an interface the llm package implements).
package agents

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// Channels an agent answers on.
const (
	ChannelWeb        = "web"
	ChannelSMS        = "sms"
	ChannelVoice      = "voice"
	ChannelPlayground = "playground"
)

// Voice modes: ConversationRelay (streamed speech over a WebSocket) or
// the <Gather input="speech"> loop, for accounts without ConversationRelay.
const (
	VoiceRelay  = "relay"
	VoiceGather = "gather"
)

// Voice carriers: both speak the ConversationRelay protocol.
const (
	CarrierTwilio = "twilio"
	CarrierTelnyx = "telnyx"
)

// Handoff kinds: who takes over from the agent.
const (
	HandoffNone  = ""
	HandoffPhone = "phone" // a call is transferred with <Dial>; chats tell the visitor the number
	HandoffEmail = "email" // the conversation is emailed; the visitor is told someone will answer
	HandoffUser  = "user"  // a signed-in user takes over the chat in the app
)

// Defaults.
const (
	DefaultModel          = "gpt-4o-mini"
	DefaultEmbeddingModel = "text-embedding-3-small"
	DefaultKeySecret      = "openai_api_key"
	DefaultTemperature    = 0.3
	DefaultMaxTurns       = 40
	DefaultMaxTokens      = 60000
	DefaultMaxToolCalls   = 20
	// DefaultReplyTimeout bounds one model call of a chat; voice uses
	// DefaultVoiceTimeout (a caller waits less).
	DefaultReplyTimeout = 25 * time.Second
	DefaultVoiceTimeout = 8 * time.Second
	// MaxInput is the longest visitor message the agent reads.
	MaxInput = 4000
)

// Agent is an AI agent of a tenant. Its configuration is versioned: each
// save stores a new version, and a conversation keeps the version it
// started with.
type Agent struct {
	ID        int64
	TenantID  int64
	Name      string
	Enabled   bool
	PublicKey string // identifies the agent to the chat widget (not a secret)
	// Phone is the tenant's number (E.164) this agent answers for SMS
	// and calls; "" answers none.
	Phone     string
	Version   int
	VersionID int64
	Config    Config
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Config is what a version of an agent holds.
type Config struct {
	Instructions string        `json:"instructions"`
	Greeting     string        `json:"greeting"`
	Model        ModelSettings `json:"model"`
	Channels     Channels      `json:"channels"`
	Voice        VoiceSettings `json:"voice"`
	// Knowledge lists the sources the agent reads: "docs" (every
	// document of the tenant), "doc:ID" (one document), "site" (the
	// tenant's site pages), "wiki:ID" (a wiki space).
	Knowledge []string `json:"knowledge"`
	// Tools lists the tool names the agent may call.
	Tools []string `json:"tools"`
	// Workflows lists the workflow IDs start_workflow may start.
	Workflows []int64  `json:"workflows,omitempty"`
	Hours     Hours    `json:"hours"`
	Handoff   Handoff  `json:"handoff"`
	Fields    []Field  `json:"fields"`
	Limits    Limits   `json:"limits"`
	Sheets    []string `json:"sheets,omitempty"` // sheet IDs lookup_sheet may read
}

// ModelSettings say which OpenAI-compatible model answers.
type ModelSettings struct {
	// BaseURL is the endpoint ("" = the server's --openai-url).
	BaseURL string `json:"base_url"`
	Model   string `json:"model"`
	// Temperature 0..2.
	Temperature float64 `json:"temperature"`
	// KeySecret is the vault secret holding the API key (the tenant's,
	// else the global one of that name).
	KeySecret string `json:"key_secret"`
	// EmbeddingModel is asked for vectors of the knowledge ("" = no
	// vector search, BM25 only).
	EmbeddingModel string `json:"embedding_model"`
}

// Channels says where the agent answers.
type Channels struct {
	Web   bool `json:"web"`
	SMS   bool `json:"sms"`
	Voice bool `json:"voice"`
	// Forms shows the web chat's button on the tenant's hosted forms
	// (with Web; the first such agent of the tenant answers there).
	Forms bool `json:"forms,omitempty"`
}

// VoiceSettings are the call settings.
type VoiceSettings struct {
	Mode     string `json:"mode"`     // relay or gather
	Carrier  string `json:"carrier"`  // twilio or telnyx
	Voice    string `json:"voice"`    // the carrier's TTS voice name ("" = its default)
	Language string `json:"language"` // like en-US
}

// Hours are the business hours; outside them the agent says so (and does
// not promise a callback today).
type Hours struct {
	TZ string `json:"tz"` // IANA name; "" = the tenant's
	// Days holds "09:00-17:00" spans per weekday, Sunday first; an
	// empty day is closed. All empty: always open.
	Days   [7][]string `json:"days"`
	Closed string      `json:"closed"` // what to say outside the hours
}

// Handoff says who takes over.
type Handoff struct {
	Kind   string `json:"kind"`
	Target string `json:"target"` // phone (E.164), email, or user email
}

// Field is a fact the agent collects, written to the CRM person.
type Field struct {
	Key         string `json:"key"` // lower snake case
	Label       string `json:"label"`
	Description string `json:"description"`
	// CRMField is where the value goes: first_name, last_name, email,
	// phone, title, company, custom:KEY, or note (appended to the
	// conversation's timeline entry).
	CRMField string `json:"crm_field"`
	Required bool   `json:"required"`
}

// Limits are the per-conversation guard rails.
type Limits struct {
	MaxTurns     int `json:"max_turns"`
	MaxTokens    int `json:"max_tokens"`
	MaxToolCalls int `json:"max_tool_calls"`
	// ReplyTimeout in seconds bounds each model call (0 = the default
	// of the channel).
	ReplyTimeout int `json:"reply_timeout"`
}

var (
	fieldKeyRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`) })
	spanRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$`) })
	secretRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,99}$`) })
	modelNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,127}$`) })
	langRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`) })
)

// CRMFields are the person fields a collected field may go to (besides
// custom:KEY and note).
var CRMFields = []string{"first_name", "last_name", "email", "phone", "title", "company"}

// Normalize fills defaults and checks the configuration. Returns EINVALID
// naming the field.
func (c *Config) Normalize() error {
	c.Instructions = strings.TrimSpace(c.Instructions)
	c.Greeting = strings.TrimSpace(c.Greeting)
	if c.Instructions == "" {
		return app.FieldErrorf("instructions", "Instructions required: tell the agent who it is and what to do.")
	}
	if len(c.Instructions) > 20000 {
		return app.FieldErrorf("instructions", "Instructions must be at most 20000 characters.")
	}
	if len(c.Greeting) > 500 {
		return app.FieldErrorf("greeting", "The greeting must be at most 500 characters.")
	}
	if err := c.Model.normalize(); err != nil {
		return err
	}
	if err := c.Voice.normalize(); err != nil {
		return err
	}
	if err := c.normalizeLists(); err != nil {
		return err
	}
	if err := c.Hours.normalize(); err != nil {
		return err
	}
	if err := c.Handoff.normalize(); err != nil {
		return err
	}
	if slices.Contains(c.Tools, ToolTransfer) && c.Handoff.Kind == HandoffNone {
		return app.FieldErrorf("handoff.kind", "The transfer tool needs a handoff target.")
	}
	if err := c.normalizeFields(); err != nil {
		return err
	}
	if err := c.Limits.normalize(); err != nil {
		return err
	}
	if len(c.Sheets) > 10 {
		return app.FieldErrorf("sheets", "At most 10 sheets.")
	}
	return nil
}

// normalize trims the model settings and fills the defaults; an error
// names the field.
func (m *ModelSettings) normalize() error {
	m.BaseURL = strings.TrimRight(strings.TrimSpace(m.BaseURL), "/")
	if m.BaseURL != "" {
		u, err := url.Parse(m.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
			return app.FieldErrorf("model.base_url", "Base URL must be an http(s) URL like https://api.openai.com/v1.")
		}
	}
	if m.Model = strings.TrimSpace(m.Model); m.Model == "" {
		m.Model = DefaultModel
	}
	if !modelNameRE().MatchString(m.Model) {
		return app.FieldErrorf("model.model", "Model must be a model name like gpt-4o-mini.")
	}
	if m.Temperature < 0 || m.Temperature > 2 {
		return app.FieldErrorf("model.temperature", "Temperature must be from 0 to 2.")
	}
	if m.KeySecret = strings.TrimSpace(m.KeySecret); m.KeySecret == "" {
		m.KeySecret = DefaultKeySecret
	}
	if !secretRE().MatchString(m.KeySecret) {
		return app.FieldErrorf("model.key_secret", "Key secret must be a vault secret name like openai_api_key.")
	}
	if m.EmbeddingModel = strings.TrimSpace(m.EmbeddingModel); m.EmbeddingModel != "" && !modelNameRE().MatchString(m.EmbeddingModel) {
		return app.FieldErrorf("model.embedding_model", "Embedding model must be a model name like text-embedding-3-small.")
	}
	return nil
}

// normalize fills the voice defaults and checks them; an error names the
// field.
func (v *VoiceSettings) normalize() error {
	if v.Mode == "" {
		v.Mode = VoiceRelay
	}
	if v.Mode != VoiceRelay && v.Mode != VoiceGather {
		return app.FieldErrorf("voice.mode", "Voice mode must be relay (ConversationRelay) or gather.")
	}
	if v.Carrier == "" {
		v.Carrier = CarrierTwilio
	}
	if v.Carrier != CarrierTwilio && v.Carrier != CarrierTelnyx {
		return app.FieldErrorf("voice.carrier", "Carrier must be twilio or telnyx.")
	}
	if v.Language == "" {
		v.Language = "en-US"
	}
	if !langRE().MatchString(v.Language) {
		return app.FieldErrorf("voice.language", "Language must be a tag like en-US.")
	}
	if len(v.Voice) > 100 || strings.ContainsAny(v.Voice, `"<>&`) {
		return app.FieldErrorf("voice.voice", "Voice must be a voice name like Polly.Joanna-Neural.")
	}
	return nil
}

// normalizeLists keeps each knowledge source and tool once (tools sorted)
// and checks them and the workflows the agent may start.
func (c *Config) normalizeLists() error {
	seen := map[string]bool{}
	var ks []string
	for _, k := range c.Knowledge {
		k = strings.TrimSpace(k)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		if !validKnowledge(k) {
			return app.FieldErrorf("knowledge", "Unknown knowledge source %q (docs, doc:ID, site, wiki:ID).", k)
		}
		ks = append(ks, k)
	}
	c.Knowledge = ks
	var ts []string
	for _, t := range c.Tools {
		t = strings.TrimSpace(t)
		if t == "" || slices.Contains(ts, t) {
			continue
		}
		if _, ok := ToolInfo[t]; !ok {
			return app.FieldErrorf("tools", "Unknown tool %q.", t)
		}
		ts = append(ts, t)
	}
	slices.Sort(ts)
	c.Tools = ts
	if slices.Contains(c.Tools, ToolStartWorkflow) && len(c.Workflows) == 0 {
		return app.FieldErrorf("workflows", "start_workflow needs at least one workflow the agent may start.")
	}
	if len(c.Workflows) > 20 {
		return app.FieldErrorf("workflows", "At most 20 workflows.")
	}
	return nil
}

// normalize checks the handoff target for its kind (a phone number in
// E.164, an email address, or none).
func (h *Handoff) normalize() error {
	h.Target = strings.TrimSpace(h.Target)
	switch h.Kind {
	case HandoffNone:
		h.Target = ""
	case HandoffPhone:
		p, err := app.NormalizePhone("handoff.target", h.Target)
		if err != nil {
			return err
		}
		h.Target = p
	case HandoffEmail, HandoffUser:
		h.Target = strings.ToLower(h.Target)
		if err := app.ValidateEmail("handoff.target", h.Target); err != nil {
			return app.FieldErrorf("handoff.target", "The handoff target must be an email address.")
		}
	default:
		return app.FieldErrorf("handoff.kind", "Handoff must be phone, email, user or none.")
	}
	return nil
}

// normalizeFields checks the fields the agent collects: unique keys,
// labels, and a CRM field each goes to (a note by default).
func (c *Config) normalizeFields() error {
	if len(c.Fields) > 30 {
		return app.FieldErrorf("fields", "At most 30 fields to collect.")
	}
	keys := map[string]bool{}
	for i := range c.Fields {
		f := &c.Fields[i]
		f.Key, f.Label, f.Description, f.CRMField = strings.TrimSpace(f.Key), strings.TrimSpace(f.Label), strings.TrimSpace(f.Description), strings.TrimSpace(f.CRMField)
		if !fieldKeyRE().MatchString(f.Key) {
			return app.FieldErrorf("fields", "Field %d: key %q must be lowercase letters, digits and _ (like budget).", i+1, f.Key)
		}
		if keys[f.Key] {
			return app.FieldErrorf("fields", "Field key %q is used twice.", f.Key)
		}
		keys[f.Key] = true
		if f.Label == "" {
			f.Label = f.Key
		}
		if len(f.Label) > 100 || len(f.Description) > 500 {
			return app.FieldErrorf("fields", "Field %q: label at most 100 and description at most 500 characters.", f.Key)
		}
		if f.CRMField == "" {
			f.CRMField = "note"
		}
		if !slices.Contains(CRMFields, f.CRMField) && f.CRMField != "note" {
			k, ok := strings.CutPrefix(f.CRMField, "custom:")
			if !ok || !fieldKeyRE().MatchString(k) {
				return app.FieldErrorf("fields", "Field %q: CRM field must be one of %s, custom:KEY or note.", f.Key, strings.Join(CRMFields, ", "))
			}
		}
	}
	return nil
}

// normalize checks the limits and fills the defaults of those left 0.
func (l *Limits) normalize() error {
	for _, x := range []struct {
		name string
		v    *int
		def  int
		max  int
	}{{"limits.max_turns", &l.MaxTurns, DefaultMaxTurns, 500}, {"limits.max_tokens", &l.MaxTokens, DefaultMaxTokens, 2_000_000},
		{"limits.max_tool_calls", &l.MaxToolCalls, DefaultMaxToolCalls, 200}, {"limits.reply_timeout", &l.ReplyTimeout, 0, 120}} {
		if *x.v < 0 || *x.v > x.max {
			return app.FieldErrorf(x.name, "%s must be from 0 to %d.", x.name, x.max)
		}
		if *x.v == 0 {
			*x.v = x.def
		}
	}
	return nil
}

func validKnowledge(k string) bool {
	if k == "docs" || k == "site" {
		return true
	}
	for _, p := range []string{"doc:", "wiki:"} {
		if rest, ok := strings.CutPrefix(k, p); ok {
			var id int64
			_, err := fmt.Sscan(rest, &id)
			return err == nil && id > 0 && fmt.Sprint(id) == rest
		}
	}
	return false
}

func (h *Hours) normalize() error {
	h.TZ, h.Closed = strings.TrimSpace(h.TZ), strings.TrimSpace(h.Closed)
	if h.TZ != "" {
		if _, err := time.LoadLocation(h.TZ); err != nil {
			return app.FieldErrorf("hours.tz", "Unknown time zone %q (use an IANA name like America/New_York).", h.TZ)
		}
	}
	for d := range h.Days {
		for i, s := range h.Days[d] {
			s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
			if !spanRE().MatchString(s) || s[6:] <= s[:5] {
				return app.FieldErrorf("hours.days", "%s: %q is not a span like 09:00-17:00.", time.Weekday(d), s)
			}
			h.Days[d][i] = s
		}
	}
	if len(h.Closed) > 500 {
		return app.FieldErrorf("hours.closed", "The closed message must be at most 500 characters.")
	}
	return nil
}

// Always reports whether no hours are set (always open).
func (h Hours) Always() bool {
	for _, d := range h.Days {
		if len(d) > 0 {
			return false
		}
	}
	return true
}

// OpenAt reports whether t is inside the hours, read in loc.
func (h Hours) OpenAt(t time.Time, loc *time.Location) bool {
	if h.Always() {
		return true
	}
	lt := t.In(loc)
	hm := lt.Format("15:04")
	for _, s := range h.Days[lt.Weekday()] {
		if hm >= s[:5] && hm < s[6:] {
			return true
		}
	}
	return false
}

// Describe lists the hours for the model ("Monday 09:00-17:00; ...").
func (h Hours) Describe() string {
	if h.Always() {
		return "open every day, all day"
	}
	var parts []string
	for d := 1; d <= 7; d++ {
		wd := time.Weekday(d % 7)
		if spans := h.Days[wd]; len(spans) > 0 {
			parts = append(parts, wd.String()+" "+strings.Join(spans, ", "))
		} else {
			parts = append(parts, wd.String()+" closed")
		}
	}
	return strings.Join(parts, "; ")
}

// Validate checks an agent's own fields (the configuration separately).
func (a *Agent) Validate() error {
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" || len(a.Name) > 100 {
		return app.FieldErrorf("name", "Name required (at most 100 characters).")
	}
	if a.Phone = strings.TrimSpace(a.Phone); a.Phone != "" {
		p, err := app.NormalizePhone("phone", a.Phone)
		if err != nil {
			return err
		}
		a.Phone = p
	}
	if err := a.Config.Normalize(); err != nil {
		return err
	}
	if a.Phone == "" && (a.Config.Channels.SMS || a.Config.Channels.Voice) && a.Enabled {
		return app.FieldErrorf("phone", "SMS and voice need the number the agent answers (the tenant's Twilio or Telnyx number).")
	}
	return nil
}

// ConfigJSON is the stored form of a configuration.
func (c Config) JSON() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// ParseConfig reads a stored or posted configuration strictly: an unknown
// field or a wrong type is EINVALID naming it.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, jsonFieldError("config", err)
	}
	return c, nil
}

// MergeConfig reads the JSON object b over c strictly (an unknown field or
// a wrong type is EINVALID naming it): the fields b gives replace c's,
// the others stay (a list given replaces the whole list).
func MergeConfig(c Config, b []byte) (Config, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, jsonFieldError("config", err)
	}
	return c, nil
}

// jsonFieldError names the field of a JSON decoding error.
func jsonFieldError(prefix string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		f := te.Field
		if f == "" {
			f = prefix
		}
		return app.FieldErrorf(f, "%s must be a %s.", f, te.Type.String())
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		f = strings.Trim(f, `"`)
		return app.FieldErrorf(f, "Unknown field %q.", f)
	}
	return app.FieldErrorf(prefix, "Not valid JSON: %s.", msg)
}

// Filter selects agents.
type Filter struct {
	TenantID int64 // 0: every tenant (Nexus)
}
