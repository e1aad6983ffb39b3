package api

import (
	"sort"
	"strings"
)

// Every operation of the document is in one tag, its module, and the
// document lists the tags with a sentence each. The API explorer
// (/developers) opens on that list of modules: past 150 rows Swagger UI
// (5.35) renders only the operations scrolled into view, so one flat
// list of every operation showed a screenful and a reader (or a test)
// looking for GET /api/v1/me further down saw nothing; a module opened
// is a short list, rendered whole.

// apiTag is a module of /api/v1: the first path segments it holds.
type apiTag struct {
	Name, Description string
	Segments          []string
}

// apiTags are the modules, in the order the explorer lists them.
var apiTags = []apiTag{
	{"Account", "The key in use and this document.", []string{"me", "openapi.json"}},
	{"CRM", "People, companies, opportunities (deals), their notes and tasks, pipelines and custom fields.",
		[]string{"people", "companies", "opportunities", "notes", "tasks", "pipelines", "custom-fields"}},
	{"Leads", "The inquiries captured from forms and the lead webhook.", []string{"leads"}},
	{"Agent Studio", "AI agents, their conversations (take over, write, hand back) and usage.", []string{"agents", "agent-conversations", "agent-usage"}},
	{"Conversations", "The inbox: SMS, email and chat threads, their messages, replies, private notes, status, assignee and labels; business hours and the out-of-hours reply; the inbound email address; the IMAP mailbox; reports of first-response and resolution times; broadcasts to saved views; quiet hours.", []string{"conversations", "inbox-hours", "inbox-inbound", "inbox-mailbox", "inbox-reports", "broadcasts", "inbox-quiet-hours"}},
	{"Knowledge wiki", "Pages, revisions, attachments, share links, search and zip export and import of a space.", []string{"wiki"}},
	{"Data & Sheets", "Tables with typed columns and their rows.", []string{"tables"}},
	{"Calendar", "Calendars, bookings and calendar sync.", []string{"calendar"}},
	{"Websites", "Sites and their pages, redirects and templates.", []string{"sites", "site-templates"}},
	{"Courses", "Courses, modules and lessons, enrolments, engagement, and members with their progress.", []string{"courses", "course-members"}},
	{"Community", "Community spaces of the members' area, their posts and comments, moderation (hide, pin, reports, bans), the word filter and the flood limit, and events with the members' answers.", []string{"community"}},
	{"Webhooks", "Outgoing webhooks and their delivery log.", []string{"webhooks"}},
	{"Integrations", "Connected outside services.", []string{"integrations"}},
	{"Brand & press kit", "Logos, colours with their contrast, fonts, boilerplate, founders, press contacts, screenshots, press releases and the downloadable kit (zip with a PDF one-pager).", []string{"brand"}},
	{"Creators (UGC)", "Creators (CRM people with a creator profile), campaigns with a brief, deliverables with their status, amounts and usage rights, approval and revision requests.", []string{"creators", "creator-campaigns", "creator-deliverables"}},
	{"Billing", "Plans, a tenant's usage this period, its wallet and plan changes.", []string{"billing"}},
	{"Tenants", "Client sub-accounts (Nexus only).", []string{"tenants"}},
	{"Snapshots", "Capture a client's configuration and apply it to another client, with a preview (Nexus only).", []string{"snapshots"}},
	{"Tenant import", "Upload a tenant export file in chunks, check it (dry run) and import it as a new client (Nexus only).", []string{"tenant-imports"}},
	{"New-client wizard", "One guided, resumable run that sets up a client: tenant, owner invitation, brand, domain, snapshot (Nexus only).", []string{"wizards"}},
	{"Federal", "SAM.gov and Grants.gov saved searches, notices and pursuits (Nexus only).", []string{"federal"}},
	{"FOSS", "Open-source components, the SBOM and the tool register (Nexus only).", []string{"foss"}},
}

// addTags puts each /api/v1 operation without a tag in its module's tag
// (a path of a module not in apiTags gets a tag named after its first
// segment, so no operation is left untagged) and returns the document's
// tags: the modules used, then any such others, then the tags the
// operations already had (GraphQL, Twenty-compatible REST).
func addTags(paths obj) []obj {
	bySeg := map[string]*apiTag{}
	for i := range apiTags {
		for _, s := range apiTags[i].Segments {
			bySeg[s] = &apiTags[i]
		}
	}
	used := map[string]bool{}
	extra := map[string]string{} // tag name: its description
	var preset []string
	for path, item := range paths {
		seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/v1/"), "/")
		for method, op := range item.(obj) {
			o, ok := op.(obj)
			if !ok || method == "parameters" {
				continue
			}
			if tags, ok := o["tags"].([]string); ok {
				for _, t := range tags {
					if !used[t] {
						preset = append(preset, t)
					}
					used[t] = true
				}
				continue
			}
			var name string
			switch t := bySeg[seg]; {
			case t != nil && strings.HasPrefix(path, "/api/v1/"):
				name = t.Name
			case strings.HasPrefix(path, "/api/v1/") && seg != "":
				name = strings.ToUpper(seg[:1]) + strings.ReplaceAll(seg[1:], "-", " ")
				extra[name] = "Operations under /api/v1/" + seg + "."
			default:
				name = "Other"
				extra[name] = "Operations outside /api/v1."
			}
			used[name] = true
			o["tags"] = []string{name}
		}
	}
	var out []obj
	for _, t := range apiTags {
		if used[t.Name] {
			out = append(out, obj{"name": t.Name, "description": t.Description})
		}
	}
	for _, names := range [][]string{sortedKeys(extra), preset} {
		sort.Strings(names)
		for _, name := range names {
			d := extra[name]
			if d == "" {
				d = presetTagDescriptions[name]
			}
			out = append(out, obj{"name": name, "description": d})
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// presetTagDescriptions describe the tags that operations carry from
// where they are documented (openapi_twenty.go).
var presetTagDescriptions = map[string]string{
	"GraphQL":                "Twenty CRM's GraphQL API over the same CRM.",
	"Twenty-compatible REST": "Twenty CRM's REST API (its shapes, filters and errors) over the same CRM.",
}

// dropUnusedTags keeps in the document's tag list only the tags that the
// operations left in paths carry (the portal's copy has no Nexus
// modules, not even by name).
func dropUnusedTags(doc, paths map[string]any) {
	used := map[string]bool{}
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			o, _ := op.(map[string]any)
			tags, _ := o["tags"].([]any)
			for _, t := range tags {
				if s, ok := t.(string); ok {
					used[s] = true
				}
			}
		}
	}
	all, _ := doc["tags"].([]any)
	kept := []any{}
	for _, t := range all {
		m, _ := t.(map[string]any)
		if name, _ := m["name"].(string); used[name] {
			kept = append(kept, t)
		}
	}
	doc["tags"] = kept
}
