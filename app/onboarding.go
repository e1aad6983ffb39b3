package app

import (
	"context"
	"fmt"
	"strings"
)

// Checklist item states. Optional integrations not configured are
// StateNotSetUp, never StateProblem: a problem is something set up that
// does not work.
const (
	StateDone     = "done"
	StateNotSetUp = "not_set_up"
	StateProblem  = "problem"
)

// ChecklistItem is one step of the first-run checklist on the Nexus
// dashboard: its state, checked live when the dashboard is drawn, what was
// found, and where to fix it.
type ChecklistItem struct {
	Key      string
	Title    string
	State    string
	Detail   string
	FixURL   string
	FixLabel string
	Optional bool
}

// Done reports whether the item is done.
func (i ChecklistItem) Done() bool { return i.State == StateDone }

// OnboardingService checks what a new appliance still needs: its domain's
// DNS, email, Twilio, a model key, a first client, off-site backups and a
// lead through the marketing site's form.
type OnboardingService struct {
	Domains      *DomainService
	Integrations *IntegrationService
	Tenants      *TenantService
	Leads        *LeadService
	Backups      *BackupService // nil: no replication configured
	// ModelKey reports whether a model API key is configured (the vault's
	// openai_api_key or the environment's); nil: never.
	ModelKey func(ctx context.Context) bool
	// ModelURL is the OpenAI-compatible base URL in use ("" none).
	ModelURL func(ctx context.Context) string
}

// Checklist checks each item now.
func (s *OnboardingService) Checklist(ctx context.Context) []ChecklistItem {
	var out []ChecklistItem
	out = append(out, s.domainItem(ctx))

	mail := ChecklistItem{Key: "smtp", Title: "Email (SMTP)", FixURL: "/vault", FixLabel: "Add smtp_url in the vault", Optional: true}
	if m, err := s.Integrations.Mailer(ctx, HouseTenantID); err == nil && m != nil {
		mail.State, mail.Detail = StateDone, "Email steps and notifications can send."
	} else if u := s.Integrations.Secret(ctx, HouseTenantID, SecretSMTPURL); u != "" {
		mail.State, mail.Detail = StateProblem, "smtp_url is set but is not a usable SMTP URL (smtp://user:pass@host:587)."
	} else {
		mail.State, mail.Detail = StateNotSetUp, "Not set up: email and notify steps wait until it is."
	}
	out = append(out, mail)

	tw := ChecklistItem{Key: "twilio", Title: "Calls and texts (Twilio)", FixURL: "/vault", FixLabel: "Add the Twilio names in the vault", Optional: true}
	acct := s.Integrations.Twilio(ctx, HouseTenantID)
	switch {
	case acct.Complete():
		tw.State, tw.Detail = StateDone, "Calls and SMS send from "+acct.From+"."
	case acct.AccountSID == "" && acct.From == "":
		tw.State, tw.Detail = StateNotSetUp, "Not set up: SMS and call steps wait until it is."
	default:
		var lack []string
		for _, k := range [][2]string{{SecretTwilioSID, acct.AccountSID}, {SecretTwilioToken, acct.AuthToken}, {SecretTwilioFrom, acct.From}} {
			if k[1] == "" {
				lack = append(lack, k[0])
			}
		}
		tw.State, tw.Detail = StateProblem, "Partly set up: "+strings.Join(lack, ", ")+" missing."
	}
	out = append(out, tw)

	model := ChecklistItem{Key: "model", Title: "AI model key", FixURL: "/vault", FixLabel: "Add openai_api_key in the vault", Optional: true}
	hasKey := s.ModelKey != nil && s.ModelKey(ctx)
	url := ""
	if s.ModelURL != nil {
		url = s.ModelURL(ctx)
	}
	switch {
	case hasKey && url != "":
		model.State, model.Detail = StateDone, "Agents and proposal extraction ask "+url+"."
	case hasKey:
		model.State, model.Detail = StateProblem, "A key is set but no model endpoint: start the server with --openai-url (like https://api.openai.com/v1)."
	default:
		model.State, model.Detail = StateNotSetUp, "Not set up: AI agents and extraction by model wait until it is."
	}
	out = append(out, model)

	client := ChecklistItem{Key: "client", Title: "First client", FixURL: "/tenants", FixLabel: "Add a client"}
	if ts, err := s.Tenants.ListTenants(ctx); err != nil {
		client.State, client.Detail = StateProblem, "Could not list the clients."
	} else if n := len(ts) - 1; n > 0 { // the house tenant is not a client
		client.State, client.Detail = StateDone, Plural(n, "client", "clients")+"."
	} else {
		client.State, client.Detail = StateNotSetUp, "No client yet: each client gets a white-label portal."
	}
	out = append(out, client)

	out = append(out, s.backupItem(ctx))

	lead := ChecklistItem{Key: "lead_form", Title: "Test the lead form", FixURL: "/", FixLabel: "Fill in the form on the marketing site"}
	if _, n, err := s.Leads.ListLeads(ctx, 1); err != nil {
		lead.State, lead.Detail = StateProblem, "Could not count the leads."
	} else if n > 0 {
		lead.State, lead.Detail = StateDone, Plural(n, "lead", "leads")+" captured."
	} else {
		lead.State, lead.Detail = StateNotSetUp, "No lead yet: send the marketing site's form once and watch it arrive."
	}
	out = append(out, lead)
	return out
}

func (s *OnboardingService) domainItem(ctx context.Context) ChecklistItem {
	it := ChecklistItem{Key: "domain", Title: "Domain and DNS", FixURL: "/domains", FixLabel: "Open Domains"}
	d := s.Domains
	if d == nil || isLocalName(d.Domain) || d.Domain == "" {
		it.State, it.Detail = StateNotSetUp, "Running on localhost: start with --domain yourdomain.com and point its DNS here."
		return it
	}
	var bad []string
	for _, h := range d.BuiltinHosts() {
		c := d.BuiltinCheck(h.Name)
		if c == nil {
			c = d.CheckDNS(ctx, h.Name, "")
		}
		if !c.OK {
			bad = append(bad, c.Error)
		}
	}
	if len(bad) > 0 {
		it.State, it.Detail = StateProblem, strings.Join(bad, " ")
	} else {
		it.State, it.Detail = StateDone, fmt.Sprintf("%s and its hosts point at this server.", d.Domain)
	}
	return it
}

func (s *OnboardingService) backupItem(ctx context.Context) ChecklistItem {
	it := ChecklistItem{Key: "backups", Title: "Off-site backups", FixURL: "/backups", FixLabel: "Open Backups"}
	if s.Backups == nil {
		it.State, it.Detail = StateNotSetUp, "No replica configured: add --replica s3://bucket/path or sftp://host/path."
		return it
	}
	o := s.Backups.Overview(ctx)
	offsite, synced, problem := 0, 0, ""
	for _, db := range o.Databases {
		for _, r := range db.Replicas {
			if !strings.Contains(r.Target, "://") || strings.HasPrefix(r.Target, "file://") {
				continue // a directory on this machine: not off-site
			}
			offsite++
			if r.InSync {
				synced++
			} else if r.LastError != "" {
				problem = r.Name + ": " + r.LastError
			}
		}
	}
	switch {
	case o.Problem != "":
		it.State, it.Detail = StateProblem, "Replication state unknown: "+o.Problem
	case offsite == 0:
		it.State, it.Detail = StateNotSetUp, "Backups go to a replica on this machine only: add --replica s3://bucket/path or sftp://host/path (S3-compatible or SFTP)."
	case problem != "":
		it.State, it.Detail = StateProblem, problem
	case synced == offsite:
		it.State, it.Detail = StateDone, Plural(offsite, "off-site replica", "off-site replicas")+" in sync."
	default:
		it.State, it.Detail = StateProblem, "An off-site replica is not in sync yet."
	}
	return it
}
