package app

import (
	"errors"
	"strconv"
	"strings"
)

// dealStageStep moves the run's deal to a stage.
type dealStageStep struct{}

func (dealStageStep) check(c *stepCheck) (err error) {
	s, need := c.s, c.need
	err = need("stage", s.Stage)
	return err
}

func (dealStageStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, run, st, render := x.e, x.ctx, x.run, x.st, x.render
	dealID := run.DealID
	if dealID == 0 {
		dealID, _ = strconv.ParseInt(run.Payload["deal_id"], 10, 64)
	}
	if dealID == 0 {
		return "", nil, false, &PermanentError{errors.New("no deal: add a deal step first, or use a deal trigger")}
	}
	stage, err := render(st.Stage)
	if err != nil {
		return "", nil, false, err
	}
	from, err := e.Contacts.MoveDeal(ctx, run.TenantID, dealID, strings.TrimSpace(stage))
	if err != nil {
		return "", nil, false, crmStepError(err)
	}
	return stepJSON(map[string]any{"deal_id": dealID, "from": from, "stage": stage}), &RunAdvance{StepIndex: run.StepIndex + 1, Status: RunRunning, DealID: dealID}, false, nil
}

func (dealStageStep) fields(typ string) []StepField {
	return []StepField{{Key: "stage", Label: "Move to stage", Kind: "select", Source: "stages", Required: true}}
}
