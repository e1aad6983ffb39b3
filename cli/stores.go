package cli

import "orengen/store"

// Stores are the stores Open built under services that keep theirs
// private. The wiring hands each to its service; the ui tests set up and
// check data through these same instances (not through a service), and
// the ui itself never sees them: it is given the services only.
type Stores struct {
	Inbox    *store.InboxStore
	Calendar *store.CalendarStore // calendars, bookings and the sync sources
	Forms    *store.FormStore     // also the site builder's form blocks
	Webhooks *store.WebhookStore
	Tenants  *store.TenantStore // what other services read of a tenant
	Courses  *store.CourseStore // members, courses, the community
	Creators *store.CreatorStore
	Site     *store.SiteStore           // the marketing site's pages and settings
	Federal  *store.FederalStore        // profiles, searches, notices, pursuits, grants, alerts
	Billing  *store.BillingStore        // usage ledger, plans, wallets, invoices
	Payments *store.BillingPaymentStore // customers, payments, recharges, dunning
	// Workflows is the one workflow store the automation service, its
	// engine and the engine's triggers share.
	Workflows *store.WorkflowStore
}
