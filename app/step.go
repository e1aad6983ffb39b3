package app

import (
	"context"
	"encoding/json"
)

// stepKind is one type of workflow step: how its fields are checked
// (Definition.Validate) and how it runs (Engine.exec). stepKinds holds
// one per type; each lives in its own file, step_<type>.go. A new step
// type is a new file and a line here (and its name in StepTypes).
type stepKind interface {
	// check validates the step's own fields (its templates parse, its
	// ID is unique: Validate checked those). The error names the field.
	check(c *stepCheck) error
	// run performs the step. uncertain reports that an error left it
	// unknown whether the side effect happened (a timeout after sending).
	run(x *stepRun) (out string, adv *RunAdvance, uncertain bool, err error)
	// fields describes the step's form in the workflow builder (typ: the
	// step type, for kinds that serve several).
	fields(typ string) []StepField
}

var stepKinds = map[string]stepKind{
	StepLookupRow: sheetStep{},
	StepAddRow:    sheetStep{},
	StepUpdateRow: sheetStep{},
	StepContact:   contactStep{},
	StepDeal:      dealStep{},
	StepDealStage: dealStageStep{},
	StepTask:      taskStep{},
	StepTag:       tagStep{},
	StepAICall:    aiAgentStep{},
	StepAISMS:     aiAgentStep{},
	StepSMS:       telephonyStep{},
	StepCall:      telephonyStep{},
	StepEmail:     mailStep{},
	StepNotify:    mailStep{},
	StepHTTP:      httpStep{},
	StepWait:      waitStep{},
	StepIf:        ifStep{},

	StepConversationReply:  conversationReplyStep{},
	StepConversationAssign: conversationAssignStep{},
	StepConversationLabel:  conversationLabelStep{},
}

// stepCheck is what a step's check sees: the step (which it may
// normalise), its index, every step's index by ID, and the error makers
// naming the step and field.
type stepCheck struct {
	s     *Step
	i     int
	index map[string]int
	bad   func(field, format string, args ...any) error
	need  func(field, v string) error
}

// stepRun is what a step's run sees.
type stepRun struct {
	e      *Engine
	ctx    context.Context
	run    *Run
	st     Step
	rs     *RunStep
	data   *TemplateData
	render func(string) (string, error)
}

// stepJSON is a step's output.
func stepJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
