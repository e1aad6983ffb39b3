package app

// StepField is one field of a step type's form in the workflow builder:
// generated from the step table (each step kind's fields), so a new step
// type brings its own form.
type StepField struct {
	Key      string   `json:"key"` // the Step's JSON field ("set" and "headers" are key/value maps)
	Label    string   `json:"label"`
	Kind     string   `json:"kind"`              // text, textarea, select, number, bool, keyvalue
	Source   string   `json:"source,omitempty"`  // options from the tenant: forms, tags, pipelines, stages, users, agents, tables, steps
	Options  []string `json:"options,omitempty"` // fixed options of a select
	Required bool     `json:"required,omitempty"`
	Template bool     `json:"template,omitempty"` // a template: the variable picker and preview apply
	Help     string   `json:"help,omitempty"`
}

// StepInfo is a step type as the builder's picker shows it.
type StepInfo struct {
	Type        string      `json:"type"`
	Label       string      `json:"label"`
	Description string      `json:"description"`
	Group       string      `json:"group"`
	Fields      []StepField `json:"fields"`
}

// stepLabels names each step type for people: label, description, group.
var stepLabels = map[string][3]string{
	StepContact:            {"Save the contact", "Create or update the CRM contact from the trigger", "CRM"},
	StepTag:                {"Add or remove a tag", "Tag the run's contact", "CRM"},
	StepDeal:               {"Create a deal", "A deal for the contact in a pipeline", "CRM"},
	StepDealStage:          {"Move the deal", "Move the run's deal to a stage", "CRM"},
	StepTask:               {"Create a task", "A to-do on the contact or the deal", "CRM"},
	StepSMS:                {"Send a text (SMS)", "Text the contact through Twilio", "Messages"},
	StepCall:               {"Phone call", "Call with a spoken message, a keypad menu or a transfer", "Messages"},
	StepAICall:             {"AI agent call", "One of your AI agents calls the contact", "AI agents"},
	StepAISMS:              {"AI agent text", "One of your AI agents texts the contact", "AI agents"},
	StepEmail:              {"Send an email", "Email the contact or anyone", "Messages"},
	StepNotify:             {"Notify me", "Email the admin", "Messages"},
	StepHTTP:               {"HTTP request", "Call a web address (webhook out)", "Advanced"},
	StepWait:               {"Wait", "Pause for a time or until a date", "Flow"},
	StepIf:                 {"If / else", "Two branches on a condition", "Flow"},
	StepLookupRow:          {"Look up a row", "Find a row of a data table", "Data"},
	StepAddRow:             {"Add a row", "Add a row to a data table", "Data"},
	StepUpdateRow:          {"Update a row", "Change the rows of a table that match", "Data"},
	StepConversationReply:  {"Reply in the conversation", "Answer the run's conversation on its channel (text, email)", "Conversations"},
	StepConversationAssign: {"Assign the conversation", "Give the run's conversation to a team member", "Conversations"},
	StepConversationLabel:  {"Label the conversation", "Add or remove a label on the run's conversation", "Conversations"},
}

// StepCatalog lists the step types in the builder's order with their forms.
func StepCatalog() []StepInfo {
	out := make([]StepInfo, 0, len(StepTypes))
	for _, t := range StepTypes {
		l := stepLabels[t]
		f := stepKinds[t].fields(t)
		f = append(f, StepField{Key: "retries", Label: "Tries in all when it fails (0: the default, 3)", Kind: "number"})
		out = append(out, StepInfo{Type: t, Label: l[0], Description: l[1], Group: l[2], Fields: f})
	}
	return out
}

// TemplateVariables are the fields the builder's variable picker inserts.
var TemplateVariables = []string{"{{.Contact.FirstName}}", "{{.Contact.LastName}}", "{{.Contact.Email}}", "{{.Contact.Phone}}",
	"{{.Contact.Company}}", "{{.Contact.Title}}", "{{.Contact.Source}}", "{{.Trigger.source}}", "{{.Trigger.message}}"}

// IfFields are the fields an if step can compare.
var IfFields = []string{"contact.first_name", "contact.last_name", "contact.email", "contact.phone", "contact.company", "contact.source", "contact.tags",
	"trigger.source", "trigger.message"}
