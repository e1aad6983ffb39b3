package store_test

import (
	"context"
	"testing"

	"orengen/app"
	"orengen/store"
)

func TestAutomationRequests_ApproveRejectScoped(t *testing.T) {
	db, ws, _, _ := openAutomation(t)
	ctx := context.Background()
	ts := store.NewTenantStore(db)
	a, b := &app.Tenant{Name: "Alpha Req"}, &app.Tenant{Name: "Bravo Req"}
	for _, tn := range []*app.Tenant{a, b} {
		if err := ts.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	rs := store.NewAutomationRequestStore(db)
	ra := &app.AutomationRequest{TenantID: a.ID, Template: "email-new-leads", Params: map[string]string{"notify_email": "me@alpha.test"}, CreatedBy: 7}
	rb := &app.AutomationRequest{TenantID: b.ID, Template: "text-new-leads", Params: map[string]string{"business_name": "Bravo"}}
	for _, r := range []*app.AutomationRequest{ra, rb} {
		if err := rs.CreateAutomationRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Tenant-scoped reads never return another tenant's request.
	if _, err := rs.FindAutomationRequest(ctx, a.ID, rb.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("A reading B's request: %v, want ENOTFOUND", err)
	}
	if list, err := rs.FindAutomationRequests(ctx, a.ID); err != nil || len(list) != 1 || list[0].ID != ra.ID || list[0].Params["notify_email"] != "me@alpha.test" {
		t.Fatalf("A's list: %+v %v", list, err)
	}

	// Approve: the workflow lands in A's tenant with the request approved.
	w, err := app.FindAutomationTemplate(ra.Template).Instantiate(a.ID, ra.Params)
	if err != nil {
		t.Fatal(err)
	}
	ra.DecidedBy = 3
	if err := rs.ApproveAutomationRequest(ctx, ra, w); err != nil {
		t.Fatal(err)
	}
	got, err := rs.FindAutomationRequest(ctx, a.ID, ra.ID)
	if err != nil || got.Status != app.RequestApproved || got.WorkflowID != w.ID || got.DecidedBy != 3 || got.DecidedAt == nil {
		t.Fatalf("approved request: %+v %v", got, err)
	}
	wf, err := ws.FindWorkflow(ctx, w.ID)
	if err != nil || wf.TenantID != a.ID || wf.Trigger != app.TriggerFormSubmitted || wf.Definition.Steps[0].To != "me@alpha.test" {
		t.Fatalf("workflow: %+v %v", wf, err)
	}
	// A second decision conflicts and creates nothing.
	w2, _ := app.FindAutomationTemplate(ra.Template).Instantiate(a.ID, ra.Params)
	if err := rs.ApproveAutomationRequest(ctx, ra, w2); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("second approval: %v, want ECONFLICT", err)
	}
	if list, _ := ws.FindWorkflows(ctx, a.ID); len(list) != 1 {
		t.Fatalf("A has %d workflows after a refused second approval, want 1 (the transaction must roll back)", len(list))
	}
	// A workflow for another tenant is refused.
	wb, _ := app.FindAutomationTemplate("email-new-leads").Instantiate(a.ID, map[string]string{"notify_email": "x@y.test"})
	if err := rs.ApproveAutomationRequest(ctx, rb, wb); err == nil {
		t.Fatal("approving B's request with a workflow of A succeeded")
	}

	rb.Note, rb.DecidedBy = "No Twilio number yet", 3
	if err := rs.RejectAutomationRequest(ctx, rb); err != nil {
		t.Fatal(err)
	}
	if err := rs.RejectAutomationRequest(ctx, rb); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("second rejection: %v, want ECONFLICT", err)
	}
	all, err := rs.FindAutomationRequests(ctx, 0)
	if err != nil || len(all) != 2 {
		t.Fatalf("all requests: %v %v", all, err)
	}
	// Pending first: a new pending request of B sorts before the decided ones.
	rp := &app.AutomationRequest{TenantID: b.ID, Template: "email-new-leads", Params: map[string]string{"notify_email": "b@b.test"}}
	if err := rs.CreateAutomationRequest(ctx, rp); err != nil {
		t.Fatal(err)
	}
	if all, _ = rs.FindAutomationRequests(ctx, 0); all[0].ID != rp.ID || all[0].Status != app.RequestPending {
		t.Fatalf("pending request not first: %+v", all[0])
	}
	if got, _ := rs.FindAutomationRequest(ctx, 0, rb.ID); got.Status != app.RequestRejected || got.Note != "No Twilio number yet" {
		t.Fatalf("rejected request: %+v", got)
	}
}
