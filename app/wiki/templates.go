package wiki

import (
	"strings"
	"time"
)

// Template is a starting point for a new page.
type Template struct {
	Key   string
	Name  string
	Title string // {{date}} becomes today's date
	Body  string
}

// Templates are the page templates the editor offers.
var Templates = []Template{
	{Key: "meeting-notes", Name: "Meeting notes", Title: "Meeting notes {{date}}", Body: `**Date:** {{date}}
**Attendees:** 
**Facilitator:** 

## Agenda
1. 
2. 

## Notes


## Decisions
- 

## Action items
- [ ] Who: what, by when
- [ ] 
`},
	{Key: "sop", Name: "Standard operating procedure (SOP)", Title: "SOP: ", Body: `| | |
|---|---|
| **Owner** | |
| **Applies to** | |
| **Last reviewed** | {{date}} |

## Purpose
Why this procedure exists and what it achieves.

## Scope
When it applies, and when it does not.

## Before you start
- Access or tools needed
- Inputs

## Steps
1. 
2. 
3. 

## Checks
- [ ] The result was verified
- [ ] The record was updated

## Exceptions and escalation
Who to ask when something does not fit: 

## Related
- [[Another page]]
`},
	{Key: "client-onboarding", Name: "Client onboarding", Title: "Onboarding: ", Body: `| | |
|---|---|
| **Client** | |
| **Start date** | {{date}} |
| **Account owner** | |
| **Main contact** | |

## Goals
What the client wants in the first 90 days.

## Checklist
- [ ] Kick-off call held and notes written
- [ ] Portal access sent to the client's team
- [ ] Brand (logo, colours) set in the portal
- [ ] Phone number and email connected
- [ ] Forms and lead capture live
- [ ] Automations approved and enabled
- [ ] First report sent

## Access and accounts
| System | Who has access | Notes |
|---|---|---|
| | | |

## Services and prices
See the price list sheet.

## Notes
`},
}

// TemplateByKey returns the template with key, with {{date}} filled in
// for today (UTC).
func TemplateByKey(key string, now time.Time) (Template, bool) {
	for _, t := range Templates {
		if t.Key == key {
			d := now.UTC().Format("2006-01-02")
			t.Title = strings.ReplaceAll(t.Title, "{{date}}", d)
			t.Body = strings.ReplaceAll(t.Body, "{{date}}", d)
			return t, true
		}
	}
	return Template{}, false
}
