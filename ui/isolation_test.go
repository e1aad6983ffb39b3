package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/twenty"
	"orengen/ui"
	sitesui "orengen/ui/sites"
)

// Access levels in the isolation matrix.
const (
	accPublic     = "public"     // anyone
	accUser       = "user"       // a signed-in tenant user (portal)
	accOwner      = "owner"      // a tenant owner (portal)
	accAdmin      = "admin"      // a signed-in Nexus admin
	accTenantKey  = "tenantkey"  // tenant API key, read scope is enough
	accTenantKeyW = "tenantkeyw" // tenant API key with write scope
	accAdminKey   = "adminkey"   // admin API key, read scope is enough
	accAdminKeyW  = "adminkeyw"  // admin API key with write scope
)

// Object kinds a route's parameter names; the matrix puts tenant B's
// object there and expects tenant A to get 404.
const (
	objLead    = "lead"
	objUser    = "user"
	objKey     = "apikey"
	objSession = "session"
	objTenant  = "tenant" // Nexus: B's tenant ID (admins may see it)
	// Nexus: another admin's session, which an admin may not revoke.
	objAdminSession = "adminsession"
	// CRM records of B; the spare ones are for Nexus routes that delete.
	objPerson       = "person"
	objCompany      = "company"
	objDeal         = "deal"
	objNote         = "note"
	objTask         = "task"
	objSparePerson  = "spare:person"
	objSpareCompany = "spare:company"
	objSpareDeal    = "spare:deal"
	objSpareNote    = "spare:note"
	objSpareTask    = "spare:task"
	// A third set, for the Twenty-compatible routes (/rest) that delete.
	objRestPerson  = "rest:person"
	objRestCompany = "rest:company"
	objRestDeal    = "rest:deal"
	objRestNote    = "rest:note"
	objRestTask    = "rest:task"
	objMergePerson = "mergekeep"
	objCustomField = "customfield"
	objPipeline    = "pipeline"
	objWebhook     = "webhook"
	objDelivery    = "delivery"
	objImportJob   = "importjob"
	objView        = "view"
	objAutoRequest = "autorequest"
	objWorkflow    = "workflow"  // B's workflow
	objRun         = "run"       // B's workflow's run
	objForm        = "form"      // B's built form
	objHouseForm   = "houseform" // Nexus: the house tenant's form
	// A tag only B's records carry, sent as the form's tag field.
	objTag = "tag"
	// B's unfinished chunked upload.
	objUpload = "upload"
	// Knowledge Wiki: B's page (by ID and by its slug), a file of it, and
	// its public share link.
	objWikiPage  = "wikipage"
	objEventType = "eventtype"
	objBooking   = "booking"
	objCalendar  = "calendar"
	// B's calendar's sync source (a CalDAV account).
	objCalendarSource = "calendarsource"
	objWikiSlug       = "wikislug"
	objWikiFile       = "wikifile"
	objWikiShare      = "wikishare"
	// Data & Sheets: B's table (its row, column, chart and import job
	// fill :row, :key, :chart and :job).
	objTable = "table"
	// Spare ones, for the API routes that delete or change: B's second
	// table (with a row) and second wiki page.
	objSpareTable    = "spare:table"
	objSpareRow      = "spare:row" // B's table, its second row
	objSpareWikiPage = "spare:wikipage"
	objSpareWikiEdit = "spare:wikiedit" // a third page, for PATCH
	objSpareWikiKit  = "spare:wikikit"  // a fourth page (:share its link), for restore, move, attach, share, revoke
	objSpareWikiFile = "spare:wikifile" // the fourth page's file, for DELETE
	// Agent Studio: B's agent and its (ended) conversation.
	objAgent     = "agent"
	objAgentConv = "agentconv"
	// Websites & Funnels: B's site and a page of it (:page); Nexus: the
	// house tenant's.
	objSite          = "site"
	objSitePage      = "sitepage"
	objHouseSite     = "housesite"
	objHouseSitePage = "housesitepage"
	objAgentLive     = "agentlive" // B's active conversation (API takeovers)
	// The FOSS tool register (Nexus only): a tool and a spare to delete.
	objTool      = "tool"
	objSpareTool = "spare:tool"
	// Conversations: B's inbox thread and canned reply (inbox_test.go).
	objInboxConv   = "inboxconv"
	objInboxCanned = "inboxcanned"
	// Billing: a plan of the agency's (billing_test.go).
	objBillingPlan = "billingplan"
	// B's invoice (:id), and B's tenant with its invoice (:id, :inv).
	objBillingInvoice       = "billinginvoice"
	objBillingTenantInvoice = "billingtenantinvoice"
	objInboxEmail           = "inboxemail" // B's email thread; :mid its message, :aid/:attachment its file
	objInboxCall            = "inboxcall"  // B's call thread; :mid/:message its recorded call (inbox_calls_test.go)
	objBroadcast            = "broadcast"  // B's broadcast (inbox_broadcast_test.go)
)

type isoLine struct {
	Access string
	Obj    string
}

// isolationMatrix has one line per registered route: host, method and the path as
// registered. A new route without a line fails TestIsolationMatrix: add
// the line here when you add the route.
var isolationMatrix = map[string]isoLine{
	// Every host.
	"*|GET|/healthz":  {accPublic, ""},
	"*|GET|/assets/*": {accPublic, ""},

	// Marketing site (house tenant's accPublic pages and forms).
	"site|GET|/robots.txt":  {accPublic, ""},
	"site|GET|/sitemap.xml": {accPublic, ""},
	"site|POST|/leads":      {accPublic, ""},
	"site|GET|/thanks":      {accPublic, ""},
	// Lead-capture API: public, cross-origin, rate-limited per IP.
	"site|OPTIONS|/webhook/:form": {accPublic, ""},
	"site|POST|/webhook/:form":    {accPublic, ""},
	// Hosted forms: public, embeddable; the marketing host serves only
	// the house tenant's forms (B's is 404 there).
	"site|GET|/embed.js":        {accPublic, ""},
	"site|GET|/f/:id":           {accPublic, objForm},
	"site|POST|/f/:id":          {accPublic, objForm},
	"site|GET|/f/:id/brand.css": {accPublic, objForm},
	"site|GET|/f/:id/logo":      {accPublic, objForm},
	// Calendar booking pages: public and embeddable; the marketing host
	// serves the house tenant's event types, a custom domain its tenant's,
	// app.DOMAIN ?tenant='s; a booking link works only on its tenant's host.
	"site|GET|/book/embed.js":  {accPublic, ""},
	"site|GET|/book/:slug":     {accPublic, ""},
	"site|POST|/book/:slug":    {accPublic, ""},
	"site|GET|/booking/:token": {accPublic, ""},
	// A calendar's private ICS feed: the secret token is the key.
	"site|GET|/calendar-feed/:token":       {accPublic, ""},
	"site|POST|/booking/:token/cancel":     {accPublic, ""},
	"site|POST|/booking/:token/reschedule": {accPublic, ""},
	"site|GET|/":                           {accPublic, ""},
	"site|GET|/:slug":                      {accPublic, ""},

	// Portal: Knowledge (the tenant's wiki space) and its public share
	// links (anyone with the token; another tenant's page is 404).
	// Calendar booking pages: public and embeddable; the marketing host
	// serves the house tenant's event types, a custom domain its tenant's,
	// app.DOMAIN ?tenant='s; a booking link works only on its tenant's host.
	"portal|GET|/book/embed.js":  {accPublic, ""},
	"portal|GET|/book/:slug":     {accPublic, ""},
	"portal|POST|/book/:slug":    {accPublic, ""},
	"portal|GET|/booking/:token": {accPublic, ""},
	// A calendar's private ICS feed: the secret token is the key.
	"portal|GET|/calendar-feed/:token":                             {accPublic, ""},
	"portal|POST|/booking/:token/cancel":                           {accPublic, ""},
	"portal|POST|/booking/:token/reschedule":                       {accPublic, ""},
	"portal|GET|/share/:token":                                     {accPublic, ""},
	"portal|GET|/share/:token/files/:id":                           {accPublic, ""},
	"portal|GET|/share/:token/brand.css":                           {accPublic, ""},
	"portal|GET|/share/:token/logo":                                {accPublic, ""},
	"portal|GET|/knowledge/":                                       {accUser, ""},
	"portal|GET|/knowledge/search":                                 {accUser, ""},
	"portal|GET|/knowledge/new":                                    {accUser, ""},
	"portal|GET|/knowledge/p/:slug":                                {accUser, objWikiSlug},
	"portal|GET|/knowledge/pages/:id/edit":                         {accUser, objWikiPage},
	"portal|GET|/knowledge/pages/:id/history":                      {accUser, objWikiPage},
	"portal|GET|/knowledge/pages/:id/diff":                         {accUser, objWikiPage},
	"portal|GET|/knowledge/pages/:id/revisions/:n":                 {accUser, objWikiPage},
	"portal|GET|/knowledge/files/:id":                              {accUser, objWikiFile},
	"portal|GET|/knowledge/export.zip":                             {accUser, ""},
	"portal|POST|/knowledge/pages":                                 {accUser, ""},
	"portal|POST|/knowledge/preview":                               {accUser, ""},
	"portal|POST|/knowledge/pages/:id":                             {accUser, objWikiPage},
	"portal|POST|/knowledge/pages/:id/restore":                     {accUser, objWikiPage},
	"portal|POST|/knowledge/pages/:id/move":                        {accUser, objWikiPage},
	"portal|POST|/knowledge/pages/:id/delete":                      {accUser, objWikiPage},
	"portal|POST|/knowledge/pages/:id/files":                       {accUser, objWikiPage},
	"portal|POST|/knowledge/pages/:id/files/upload":                {accUser, objWikiPage},
	"portal|POST|/knowledge/pages/:id/files/upload/:upload":        {accUser, objUpload},
	"portal|POST|/knowledge/pages/:id/files/upload/:upload/finish": {accUser, objWikiPage},
	"portal|POST|/knowledge/files/:id/delete":                      {accUser, objWikiFile},
	"portal|POST|/knowledge/pages/:id/share":                       {accUser, objWikiPage},
	"portal|POST|/knowledge/shares/:id/revoke":                     {accUser, objWikiShare},
	"portal|POST|/knowledge/import":                                {accUser, ""},
	"portal|POST|/knowledge/import/upload":                         {accUser, ""},
	"portal|POST|/knowledge/import/upload/:upload":                 {accUser, objUpload},
	"portal|POST|/knowledge/import/upload/:upload/finish":          {accUser, objUpload},
	"portal|POST|/knowledge/settings":                              {accOwner, ""},
	// Portal: Data & Sheets (the tenant's tables; B's table is 404).
	"portal|GET|/data":                                          {accUser, ""},
	"portal|GET|/data/tables/:id/":                              {accUser, objTable},
	"portal|GET|/data/tables/:id/rows/:row":                     {accUser, objTable},
	"portal|GET|/data/tables/:id/settings":                      {accUser, objTable},
	"portal|GET|/data/tables/:id/export.csv":                    {accUser, objTable},
	"portal|GET|/data/tables/:id/export.xlsx":                   {accUser, objTable},
	"portal|GET|/data/tables/:id/import":                        {accUser, objTable},
	"portal|GET|/data/tables/:id/imports/:job":                  {accUser, objTable},
	"portal|GET|/data/tables/:id/charts":                        {accUser, objTable},
	"portal|GET|/data/tables/:id/chart.svg":                     {accUser, objTable},
	"portal|POST|/data/tables":                                  {accUser, ""},
	"portal|POST|/data/tables/:id/rows":                         {accUser, objTable},
	"portal|POST|/data/tables/:id/rows/:row":                    {accUser, objTable},
	"portal|POST|/data/tables/:id/rows/:row/delete":             {accUser, objTable},
	"portal|POST|/data/tables/:id/cells":                        {accUser, objTable},
	"portal|POST|/data/tables/:id/settings":                     {accUser, objTable},
	"portal|POST|/data/tables/:id/columns":                      {accUser, objTable},
	"portal|POST|/data/tables/:id/columns/:key":                 {accUser, objTable},
	"portal|POST|/data/tables/:id/columns/:key/delete":          {accUser, objTable},
	"portal|POST|/data/tables/:id/columns/:key/move":            {accUser, objTable},
	"portal|POST|/data/tables/:id/delete":                       {accUser, objTable},
	"portal|POST|/data/tables/:id/import":                       {accUser, objTable},
	"portal|POST|/data/tables/:id/import/upload":                {accUser, objTable},
	"portal|POST|/data/tables/:id/import/upload/:upload":        {accUser, objTable},
	"portal|POST|/data/tables/:id/import/upload/:upload/finish": {accUser, objTable},
	"portal|POST|/data/tables/:id/imports/:job":                 {accUser, objTable},
	"portal|POST|/data/tables/:id/charts":                       {accUser, objTable},
	"portal|POST|/data/tables/:id/charts/:chart/delete":         {accUser, objTable},
	// Portal: Data & Sheets and Knowledge API (tenant keys).
	"portal|GET|/api/v1/tables":               {accTenantKey, ""},
	"portal|GET|/api/v1/tables/:id":           {accTenantKey, objTable},
	"portal|GET|/api/v1/tables/:id/rows":      {accTenantKey, objTable},
	"portal|GET|/api/v1/tables/:id/rows/:row": {accTenantKey, objTable},
	// Calendar API: the key's tenant's event types and bookings (B's are 404).
	"portal|GET|/api/v1/sites":                                 {accTenantKey, ""},
	"portal|POST|/api/v1/sites":                                {accTenantKeyW, ""},
	"portal|GET|/api/v1/sites/:id":                             {accTenantKey, objSite},
	"portal|GET|/api/v1/sites/:id/pages":                       {accTenantKey, objSite},
	"portal|POST|/api/v1/sites/:id/pages":                      {accTenantKeyW, objSite},
	"portal|GET|/api/v1/sites/:id/pages/:page":                 {accTenantKey, objSitePage},
	"portal|PUT|/api/v1/sites/:id/pages/:page":                 {accTenantKeyW, objSitePage},
	"portal|POST|/api/v1/sites/:id/publish":                    {accTenantKeyW, objSite},
	"portal|GET|/api/v1/sites/:id/analytics":                   {accTenantKey, objSite},
	"nexus|GET|/api/v1/sites/:id/analytics":                    {accAdminKey, objSite},
	"portal|GET|/sites/:id/analytics":                          {accOwner, objSite},
	"nexus|GET|/sites/:id/analytics":                           {accAdmin, objHouseSite},
	"portal|GET|/api/v1/sites/:id/revisions":                   {accTenantKey, objSite},
	"nexus|GET|/api/v1/sites":                                  {accAdminKey, ""},
	"portal|POST|/api/v1/sites/:id/pages/:page/preview-link":   {accTenantKeyW, objSitePage},
	"nexus|POST|/api/v1/sites/:id/pages/:page/preview-link":    {accAdminKeyW, objSitePage},
	"portal|POST|/sites/:id/pages/:page/share":                 {accOwner, objSitePage},
	"nexus|POST|/sites/:id/pages/:page/share":                  {accAdmin, objHouseSitePage},
	"portal|GET|/site-preview/:token":                          {accPublic, ""},
	"portal|GET|/site-preview/:token/theme.css":                {accPublic, ""},
	"portal|GET|/api/v1/sites/:id/media":                       {accTenantKey, objSite},
	"portal|POST|/api/v1/sites/:id/media":                      {accTenantKeyW, objSite},
	"nexus|GET|/api/v1/sites/:id/media":                        {accAdminKey, objSite},
	"nexus|POST|/api/v1/sites/:id/media":                       {accAdminKeyW, objSite},
	"portal|GET|/sites/:id/media/:name":                        {accOwner, objSite},
	"portal|POST|/sites/:id/media":                             {accOwner, objSite},
	"portal|POST|/sites/:id/media/delete":                      {accOwner, objSite},
	"nexus|GET|/sites/:id/media/:name":                         {accAdmin, objHouseSite},
	"nexus|POST|/sites/:id/media":                              {accAdmin, objHouseSite},
	"nexus|POST|/sites/:id/media/delete":                       {accAdmin, objHouseSite},
	"portal|GET|/site-preview/:token/media/:name":              {accPublic, ""},
	"portal|GET|/api/v1/site-templates":                        {accTenantKey, ""},
	"nexus|GET|/api/v1/site-templates":                         {accAdminKey, ""},
	"nexus|POST|/api/v1/sites":                                 {accAdminKeyW, ""},
	"nexus|GET|/api/v1/sites/:id":                              {accAdminKey, objSite},
	"nexus|GET|/api/v1/sites/:id/pages":                        {accAdminKey, objSite},
	"nexus|POST|/api/v1/sites/:id/pages":                       {accAdminKeyW, objSite},
	"nexus|GET|/api/v1/sites/:id/pages/:page":                  {accAdminKey, objSitePage},
	"nexus|PUT|/api/v1/sites/:id/pages/:page":                  {accAdminKeyW, objSitePage},
	"nexus|POST|/api/v1/sites/:id/publish":                     {accAdminKeyW, objSite},
	"nexus|GET|/api/v1/sites/:id/revisions":                    {accAdminKey, objSite},
	"portal|GET|/api/v1/sites/:id/redirects":                   {accTenantKey, objSite},
	"portal|PUT|/api/v1/sites/:id/redirects":                   {accTenantKeyW, objSite},
	"nexus|GET|/api/v1/sites/:id/redirects":                    {accAdminKey, objSite},
	"nexus|PUT|/api/v1/sites/:id/redirects":                    {accAdminKeyW, objSite},
	"portal|GET|/api/v1/calendar/event-types":                  {accTenantKey, ""},
	"portal|GET|/api/v1/calendar/calendars":                    {accTenantKey, ""},
	"portal|POST|/api/v1/calendar/event-types":                 {accTenantKeyW, ""},
	"portal|PUT|/api/v1/calendar/event-types/:id":              {accTenantKeyW, objEventType},
	"portal|GET|/api/v1/calendar/event-types/:id/availability": {accTenantKey, objEventType},
	"portal|GET|/api/v1/calendar/bookings":                     {accTenantKey, ""},
	"portal|POST|/api/v1/calendar/bookings":                    {accTenantKeyW, ""},
	"portal|POST|/api/v1/calendar/bookings/:id/cancel":         {accTenantKeyW, objBooking},
	"portal|POST|/api/v1/calendar/bookings/:id/reschedule":     {accTenantKeyW, objBooking},
	"nexus|GET|/api/v1/calendar/event-types":                   {accAdminKey, ""},
	"nexus|GET|/api/v1/calendar/calendars":                     {accAdminKey, ""},
	"nexus|POST|/api/v1/calendar/event-types":                  {accAdminKeyW, ""},
	"nexus|PUT|/api/v1/calendar/event-types/:id":               {accAdminKeyW, objEventType},
	"nexus|GET|/api/v1/calendar/event-types/:id/availability":  {accAdminKey, objEventType},
	"nexus|GET|/api/v1/calendar/bookings":                      {accAdminKey, ""},
	"nexus|POST|/api/v1/calendar/bookings":                     {accAdminKeyW, ""},
	"nexus|POST|/api/v1/calendar/bookings/:id/cancel":          {accAdminKeyW, objBooking},
	"nexus|POST|/api/v1/calendar/bookings/:id/reschedule":      {accAdminKeyW, objBooking},
	"portal|GET|/api/v1/calendar/calendars/:id/sources":        {accTenantKey, objCalendar},
	"portal|POST|/api/v1/calendar/calendars/:id/sources":       {accTenantKeyW, objCalendar},
	"portal|POST|/api/v1/calendar/sources/:id/choose":          {accTenantKeyW, objCalendarSource},
	"portal|POST|/api/v1/calendar/sources/:id/sync":            {accTenantKeyW, objCalendarSource},
	"portal|DELETE|/api/v1/calendar/sources/:id":               {accTenantKeyW, objCalendarSource},
	"nexus|GET|/api/v1/calendar/calendars/:id/sources":         {accAdminKey, objCalendar},
	"nexus|POST|/api/v1/calendar/calendars/:id/sources":        {accAdminKeyW, objCalendar},
	"nexus|POST|/api/v1/calendar/sources/:id/choose":           {accAdminKeyW, objCalendarSource},
	"nexus|POST|/api/v1/calendar/sources/:id/sync":             {accAdminKeyW, objCalendarSource},
	"nexus|DELETE|/api/v1/calendar/sources/:id":                {accAdminKeyW, objCalendarSource},
	"portal|GET|/api/v1/wiki/pages":                            {accTenantKey, ""},
	"portal|GET|/api/v1/wiki/pages/:id":                        {accTenantKey, objWikiPage},
	"portal|GET|/api/v1/wiki/search":                           {accTenantKey, ""},
	"portal|POST|/api/v1/tables":                               {accTenantKeyW, ""},
	"portal|POST|/api/v1/tables/:id/rows":                      {accTenantKeyW, objTable},
	"portal|POST|/api/v1/tables/:id/rows/batch":                {accTenantKeyW, objTable},
	"portal|POST|/api/v1/tables/:id/rows/delete":               {accTenantKeyW, objTable},
	"portal|POST|/api/v1/wiki/pages":                           {accTenantKeyW, ""},
	"portal|DELETE|/api/v1/tables/:id":                         {accTenantKeyW, objSpareTable},
	"portal|DELETE|/api/v1/tables/:id/rows/:row":               {accTenantKeyW, objSpareRow},
	"portal|DELETE|/api/v1/wiki/pages/:id":                     {accTenantKeyW, objSpareWikiPage},
	"portal|PATCH|/api/v1/tables/:id":                          {accTenantKeyW, objTable},
	"portal|PATCH|/api/v1/tables/:id/rows/:row":                {accTenantKeyW, objTable},
	"portal|PATCH|/api/v1/wiki/pages/:id":                      {accTenantKeyW, objSpareWikiEdit},
	"portal|GET|/api/v1/wiki/pages/:id/revisions":              {accTenantKey, objWikiPage},
	"portal|GET|/api/v1/wiki/pages/:id/revisions/:n":           {accTenantKey, objWikiPage},
	"portal|GET|/api/v1/wiki/pages/:id/attachments":            {accTenantKey, objWikiPage},
	"portal|GET|/api/v1/wiki/pages/:id/shares":                 {accTenantKey, objWikiPage},
	"portal|GET|/api/v1/wiki/attachments/:id":                  {accTenantKey, objWikiFile},
	"portal|GET|/api/v1/wiki/export":                           {accTenantKey, ""},
	"portal|POST|/api/v1/wiki/pages/:id/restore":               {accTenantKeyW, objSpareWikiKit},
	"portal|POST|/api/v1/wiki/pages/:id/move":                  {accTenantKeyW, objSpareWikiKit},
	"portal|POST|/api/v1/wiki/pages/:id/attachments":           {accTenantKeyW, objSpareWikiKit},
	"portal|POST|/api/v1/wiki/pages/:id/shares":                {accTenantKeyW, objSpareWikiKit},
	"portal|POST|/api/v1/wiki/import":                          {accTenantKeyW, ""},
	"portal|DELETE|/api/v1/wiki/attachments/:id":               {accTenantKeyW, objSpareWikiFile},
	"portal|DELETE|/api/v1/wiki/pages/:id/shares/:share":       {accTenantKeyW, objSpareWikiKit},
	// Portal: public.
	"portal|GET|/brand.css": {accPublic, ""},
	// Portal Federal (a client with federal work on; 404 while off). The
	// notice in the path is the house tenant's: never a client's.
	"portal|GET|/federal/":                                        {accUser, ""},
	"portal|GET|/federal/opportunities/:noticeId":                 {accUser, ""},
	"portal|POST|/federal/opportunities/:noticeId/pursue":         {accUser, ""},
	"portal|POST|/federal/opportunities/:noticeId/pipeline":       {accUser, ""},
	"portal|POST|/federal/opportunities/:noticeId/tasks":          {accUser, ""},
	"portal|POST|/federal/opportunities/:noticeId/tasks/:id/done": {accUser, ""},
	"portal|POST|/federal/opportunities/:noticeId/notes":          {accUser, ""},
	"portal|GET|/federal/pipeline":                                {accUser, ""},
	"portal|GET|/federal/searches":                                {accUser, ""},
	"portal|POST|/federal/searches":                               {accUser, ""},
	"portal|POST|/federal/searches/:id/delete":                    {accUser, ""},
	"portal|GET|/federal/profile":                                 {accUser, ""},
	"portal|POST|/federal/profile":                                {accUser, ""},
	"portal|GET|/logo":                                            {accPublic, ""},
	"portal|GET|/login":                                           {accPublic, ""},
	"portal|POST|/login":                                          {accPublic, ""},
	"portal|POST|/login/code":                                     {accPublic, ""},
	"portal|POST|/logout":                                         {accPublic, ""},
	"portal|GET|/invite":                                          {accPublic, ""},
	"portal|POST|/invite":                                         {accPublic, ""},
	"portal|GET|/reset":                                           {accPublic, ""},
	"portal|POST|/reset":                                          {accPublic, ""},
	"portal|GET|/reset/confirm":                                   {accPublic, ""},
	"portal|POST|/reset/confirm":                                  {accPublic, ""},
	// Hosted forms: public, embeddable, rate-limited posts.
	"portal|GET|/embed.js":        {accPublic, ""},
	"portal|GET|/f/:id":           {accPublic, objForm},
	"portal|POST|/f/:id":          {accPublic, objForm},
	"portal|GET|/f/:id/brand.css": {accPublic, objForm},
	"portal|GET|/f/:id/logo":      {accPublic, objForm},
	// Twilio webhooks: public, each checked by X-Twilio-Signature (403).
	"portal|POST|/twilio/sms":    {accPublic, ""},
	"portal|POST|/twilio/voice":  {accPublic, ""},
	"portal|POST|/twilio/status": {accPublic, ""},
	// Twenty-compatible REST (tenant keys; B's records are 404) and GraphQL.
	"portal|GET|/rest/people":               {accTenantKey, ""},
	"portal|POST|/rest/people":              {accTenantKeyW, ""},
	"portal|POST|/rest/batch/people":        {accTenantKeyW, ""},
	"portal|GET|/rest/people/:id":           {accTenantKey, objPerson},
	"portal|PATCH|/rest/people/:id":         {accTenantKeyW, objPerson},
	"portal|PUT|/rest/people/:id":           {accTenantKeyW, objPerson},
	"portal|DELETE|/rest/people/:id":        {accTenantKeyW, objPerson},
	"portal|GET|/rest/companies":            {accTenantKey, ""},
	"portal|POST|/rest/companies":           {accTenantKeyW, ""},
	"portal|POST|/rest/batch/companies":     {accTenantKeyW, ""},
	"portal|GET|/rest/companies/:id":        {accTenantKey, objCompany},
	"portal|PATCH|/rest/companies/:id":      {accTenantKeyW, objCompany},
	"portal|PUT|/rest/companies/:id":        {accTenantKeyW, objCompany},
	"portal|DELETE|/rest/companies/:id":     {accTenantKeyW, objCompany},
	"portal|GET|/rest/opportunities":        {accTenantKey, ""},
	"portal|POST|/rest/opportunities":       {accTenantKeyW, ""},
	"portal|POST|/rest/batch/opportunities": {accTenantKeyW, ""},
	"portal|GET|/rest/opportunities/:id":    {accTenantKey, objDeal},
	"portal|PATCH|/rest/opportunities/:id":  {accTenantKeyW, objDeal},
	"portal|PUT|/rest/opportunities/:id":    {accTenantKeyW, objDeal},
	"portal|DELETE|/rest/opportunities/:id": {accTenantKeyW, objDeal},
	"portal|GET|/rest/notes":                {accTenantKey, ""},
	"portal|POST|/rest/notes":               {accTenantKeyW, ""},
	"portal|POST|/rest/batch/notes":         {accTenantKeyW, ""},
	"portal|GET|/rest/notes/:id":            {accTenantKey, objNote},
	"portal|PATCH|/rest/notes/:id":          {accTenantKeyW, objNote},
	"portal|PUT|/rest/notes/:id":            {accTenantKeyW, objNote},
	"portal|DELETE|/rest/notes/:id":         {accTenantKeyW, objNote},
	"portal|GET|/rest/tasks":                {accTenantKey, ""},
	"portal|POST|/rest/tasks":               {accTenantKeyW, ""},
	"portal|POST|/rest/batch/tasks":         {accTenantKeyW, ""},
	"portal|GET|/rest/tasks/:id":            {accTenantKey, objTask},
	"portal|PATCH|/rest/tasks/:id":          {accTenantKeyW, objTask},
	"portal|PUT|/rest/tasks/:id":            {accTenantKeyW, objTask},
	"portal|DELETE|/rest/tasks/:id":         {accTenantKeyW, objTask},
	"portal|GET|/graphql":                   {accTenantKey, ""},
	"portal|POST|/graphql":                  {accTenantKey, ""},
	// MCP: tools over the key's tenant (a search of people in the
	// matrix); GET and DELETE are 405 to anyone (stateless server).
	"portal|POST|/mcp":   {accTenantKey, ""},
	"portal|GET|/mcp":    {accPublic, ""},
	"portal|DELETE|/mcp": {accPublic, ""},
	// Nexus: the same with admin keys (?tenant= for creates; B's third set of records for deletes).
	"nexus|GET|/rest/people":               {accAdminKey, ""},
	"nexus|POST|/rest/people":              {accAdminKeyW, ""},
	"nexus|POST|/rest/batch/people":        {accAdminKeyW, ""},
	"nexus|GET|/rest/people/:id":           {accAdminKey, objPerson},
	"nexus|PATCH|/rest/people/:id":         {accAdminKeyW, objPerson},
	"nexus|PUT|/rest/people/:id":           {accAdminKeyW, objPerson},
	"nexus|DELETE|/rest/people/:id":        {accAdminKeyW, objRestPerson},
	"nexus|GET|/rest/companies":            {accAdminKey, ""},
	"nexus|POST|/rest/companies":           {accAdminKeyW, ""},
	"nexus|POST|/rest/batch/companies":     {accAdminKeyW, ""},
	"nexus|GET|/rest/companies/:id":        {accAdminKey, objCompany},
	"nexus|PATCH|/rest/companies/:id":      {accAdminKeyW, objCompany},
	"nexus|PUT|/rest/companies/:id":        {accAdminKeyW, objCompany},
	"nexus|DELETE|/rest/companies/:id":     {accAdminKeyW, objRestCompany},
	"nexus|GET|/rest/opportunities":        {accAdminKey, ""},
	"nexus|POST|/rest/opportunities":       {accAdminKeyW, ""},
	"nexus|POST|/rest/batch/opportunities": {accAdminKeyW, ""},
	"nexus|GET|/rest/opportunities/:id":    {accAdminKey, objDeal},
	"nexus|PATCH|/rest/opportunities/:id":  {accAdminKeyW, objDeal},
	"nexus|PUT|/rest/opportunities/:id":    {accAdminKeyW, objDeal},
	"nexus|DELETE|/rest/opportunities/:id": {accAdminKeyW, objRestDeal},
	"nexus|GET|/rest/notes":                {accAdminKey, ""},
	"nexus|POST|/rest/notes":               {accAdminKeyW, ""},
	"nexus|POST|/rest/batch/notes":         {accAdminKeyW, ""},
	"nexus|GET|/rest/notes/:id":            {accAdminKey, objNote},
	"nexus|PATCH|/rest/notes/:id":          {accAdminKeyW, objNote},
	"nexus|PUT|/rest/notes/:id":            {accAdminKeyW, objNote},
	"nexus|DELETE|/rest/notes/:id":         {accAdminKeyW, objRestNote},
	"nexus|GET|/rest/tasks":                {accAdminKey, ""},
	"nexus|POST|/rest/tasks":               {accAdminKeyW, ""},
	"nexus|POST|/rest/batch/tasks":         {accAdminKeyW, ""},
	"nexus|GET|/rest/tasks/:id":            {accAdminKey, objTask},
	"nexus|PATCH|/rest/tasks/:id":          {accAdminKeyW, objTask},
	"nexus|PUT|/rest/tasks/:id":            {accAdminKeyW, objTask},
	"nexus|DELETE|/rest/tasks/:id":         {accAdminKeyW, objRestTask},
	"nexus|GET|/graphql":                   {accAdminKey, ""},
	"nexus|POST|/graphql":                  {accAdminKey, ""},
	"nexus|POST|/mcp":                      {accAdminKey, ""},
	"nexus|GET|/mcp":                       {accPublic, ""},
	"nexus|DELETE|/mcp":                    {accPublic, ""},
	// Portal: tenant API.
	"portal|GET|/api/v1/me":           {accTenantKey, ""},
	"portal|GET|/api/v1/leads":        {accTenantKey, ""},
	"portal|POST|/api/v1/leads":       {accTenantKeyW, ""},
	"portal|GET|/api/v1/leads/:id":    {accTenantKey, objLead},
	"portal|DELETE|/api/v1/leads/:id": {accTenantKeyW, objLead},
	// Portal: CRM API.
	"portal|GET|/api/v1/openapi.json":               {accTenantKey, ""},
	"portal|GET|/api/v1/custom-fields":              {accTenantKey, ""},
	"portal|POST|/api/v1/custom-fields":             {accTenantKeyW, ""},
	"portal|DELETE|/api/v1/custom-fields/:id":       {accTenantKeyW, objCustomField},
	"portal|POST|/api/v1/pipelines":                 {accTenantKeyW, ""},
	"portal|PATCH|/api/v1/pipelines/:id":            {accTenantKeyW, objPipeline},
	"portal|GET|/api/v1/pipelines":                  {accTenantKey, ""},
	"portal|GET|/api/v1/people":                     {accTenantKey, ""},
	"portal|POST|/api/v1/people":                    {accTenantKeyW, ""},
	"portal|POST|/api/v1/people/batch":              {accTenantKeyW, ""},
	"portal|GET|/api/v1/people/:id":                 {accTenantKey, objPerson},
	"portal|PATCH|/api/v1/people/:id":               {accTenantKeyW, objPerson},
	"portal|DELETE|/api/v1/people/:id":              {accTenantKeyW, objPerson},
	"portal|GET|/api/v1/people/:id/duplicates":      {accTenantKey, objPerson},
	"portal|POST|/api/v1/people/:id/merge":          {accTenantKeyW, objPerson},
	"portal|GET|/api/v1/people/:id/timeline":        {accTenantKey, objPerson},
	"portal|GET|/api/v1/companies":                  {accTenantKey, ""},
	"portal|POST|/api/v1/companies":                 {accTenantKeyW, ""},
	"portal|POST|/api/v1/companies/batch":           {accTenantKeyW, ""},
	"portal|GET|/api/v1/companies/:id":              {accTenantKey, objCompany},
	"portal|PATCH|/api/v1/companies/:id":            {accTenantKeyW, objCompany},
	"portal|DELETE|/api/v1/companies/:id":           {accTenantKeyW, objCompany},
	"portal|GET|/api/v1/companies/:id/timeline":     {accTenantKey, objCompany},
	"portal|GET|/api/v1/opportunities":              {accTenantKey, ""},
	"portal|POST|/api/v1/opportunities":             {accTenantKeyW, ""},
	"portal|POST|/api/v1/opportunities/batch":       {accTenantKeyW, ""},
	"portal|GET|/api/v1/opportunities/:id":          {accTenantKey, objDeal},
	"portal|PATCH|/api/v1/opportunities/:id":        {accTenantKeyW, objDeal},
	"portal|DELETE|/api/v1/opportunities/:id":       {accTenantKeyW, objDeal},
	"portal|GET|/api/v1/opportunities/:id/timeline": {accTenantKey, objDeal},
	"portal|GET|/api/v1/notes":                      {accTenantKey, ""},
	"portal|POST|/api/v1/notes":                     {accTenantKeyW, ""},
	"portal|POST|/api/v1/notes/batch":               {accTenantKeyW, ""},
	"portal|GET|/api/v1/notes/:id":                  {accTenantKey, objNote},
	"portal|PATCH|/api/v1/notes/:id":                {accTenantKeyW, objNote},
	"portal|DELETE|/api/v1/notes/:id":               {accTenantKeyW, objNote},
	"portal|GET|/api/v1/tasks":                      {accTenantKey, ""},
	"portal|POST|/api/v1/tasks":                     {accTenantKeyW, ""},
	"portal|POST|/api/v1/tasks/batch":               {accTenantKeyW, ""},
	"portal|GET|/api/v1/tasks/:id":                  {accTenantKey, objTask},
	"portal|PATCH|/api/v1/tasks/:id":                {accTenantKeyW, objTask},
	"portal|DELETE|/api/v1/tasks/:id":               {accTenantKeyW, objTask},
	// Portal: signed in.
	"portal|GET|/":                                   {accUser, ""},
	"portal|GET|/leads":                              {accUser, ""},
	"portal|POST|/leads":                             {accUser, ""},
	"portal|GET|/leads/:id":                          {accUser, objLead},
	"portal|POST|/leads/:id/delete":                  {accUser, objLead},
	"portal|GET|/account":                            {accUser, ""},
	"portal|POST|/account/password":                  {accUser, ""},
	"portal|GET|/account/2fa":                        {accUser, ""},
	"portal|POST|/account/2fa":                       {accUser, ""},
	"portal|POST|/account/2fa/disable":               {accUser, ""},
	"portal|POST|/account/sessions/:key/revoke":      {accUser, objSession},
	"portal|GET|/team":                               {accUser, ""},
	"portal|POST|/team":                              {accOwner, ""},
	"portal|POST|/team/:id/role":                     {accOwner, objUser},
	"portal|POST|/team/:id/delete":                   {accOwner, objUser},
	"portal|GET|/apikeys":                            {accOwner, ""},
	"portal|GET|/developers":                         {accOwner, ""},
	"portal|GET|/developers/openapi.json":            {accOwner, ""},
	"portal|GET|/developers/graphql":                 {accOwner, ""},
	"portal|GET|/integrations":                       {accOwner, ""},
	"portal|GET|/integrations/:key":                  {accOwner, ""},
	"portal|POST|/integrations/:key/test":            {accOwner, ""},
	"portal|GET|/api/v1/integrations":                {accTenantKey, ""},
	"portal|POST|/api/v1/integrations/:key/test":     {accTenantKeyW, ""},
	"portal|PUT|/api/v1/integrations/:key/settings":  {accTenantKeyW, ""}, // then 403: only admins change them
	"portal|GET|/webhooks":                           {accOwner, ""},
	"portal|POST|/webhooks":                          {accOwner, ""},
	"portal|POST|/webhooks/:id/delete":               {accOwner, objWebhook},
	"portal|POST|/webhooks/deliveries/:id/redeliver": {accOwner, objDelivery},
	"portal|GET|/automations":                        {accOwner, ""},
	"portal|POST|/automations/request":               {accOwner, ""},
	"portal|GET|/automations/requests/:id":           {accOwner, objAutoRequest},
	"portal|GET|/automations/runs":                   {accOwner, ""},
	"portal|GET|/automations/runs/:id":               {accOwner, objRun},
	"portal|POST|/automations/runs/:id/replay":       {accOwner, objRun},
	"portal|GET|/automations/workflows/new":          {accOwner, ""},
	"portal|POST|/automations/workflows/new":         {accOwner, ""},
	"portal|GET|/automations/workflows/:id/edit":     {accOwner, objWorkflow},
	"portal|POST|/automations/workflows/:id/edit":    {accOwner, objWorkflow},
	"portal|POST|/automations/workflows/:id/enable":  {accOwner, objWorkflow},
	"portal|POST|/automations/workflows/:id/hook":    {accOwner, objWorkflow},
	"portal|POST|/automations/workflows/:id/run":     {accOwner, objWorkflow},
	"portal|POST|/hooks/:token":                      {accPublic, ""},
	// Agent Studio's chat widget (public; the visitor's token is the
	// credential of a chat; the site serves only the house tenant's
	// agents) and an agent call's carrier endpoints (the relay token and
	// Twilio's signature).
	"*|GET|/chat/widget.js":            {accPublic, ""},
	"*|GET|/chat/:key":                 {accPublic, ""},
	"*|GET|/chat/:key/brand.css":       {accPublic, ""},
	"*|GET|/chat/:key/logo":            {accPublic, ""},
	"*|GET|/chat/:key/c/:id/events":    {accPublic, ""},
	"*|GET|/chat/:key/c/:id/history":   {accPublic, ""},
	"*|POST|/chat/:key/start":          {accPublic, ""},
	"*|POST|/chat/:key/c/:id/messages": {accPublic, ""},
	// Billing (issue #23): a client's own billing; Nexus plans and every client's.
	"portal|GET|/billing":                                  {accUser, ""},
	"portal|GET|/billing/invoices/:id/pdf":                 {accUser, objBillingInvoice},
	"nexus|POST|/billing/tenants/:id/invoice":              {accAdmin, objTenant},
	"nexus|GET|/billing/tenants/:id/invoices/:inv/pdf":     {accAdmin, objBillingTenantInvoice},
	"nexus|POST|/billing/tenants/:id/invoices/:inv/credit": {accAdmin, objBillingTenantInvoice},
	"portal|GET|/api/v1/billing/invoices":                  {accTenantKey, ""},
	"portal|GET|/api/v1/billing/invoices/:id":              {accTenantKey, objBillingInvoice},
	"nexus|GET|/api/v1/billing/invoices":                   {accAdminKey, ""},
	"nexus|GET|/api/v1/billing/invoices/:id":               {accAdminKey, objBillingInvoice},
	"nexus|GET|/billing":                                   {accAdmin, ""},
	"nexus|POST|/billing/tenants/:id/plan":                 {accAdmin, objTenant},
	"nexus|POST|/billing/tenants/:id/wallet":               {accAdmin, objTenant},
	"nexus|POST|/billing/tenants/:id/tax":                  {accAdmin, objTenant},
	"nexus|GET|/billing/plans":                             {accAdmin, ""},
	"nexus|POST|/billing/plans":                            {accAdmin, ""},
	"nexus|GET|/billing/plans/:id":                         {accAdmin, objBillingPlan},
	"nexus|POST|/billing/plans/:id":                        {accAdmin, objBillingPlan},
	"portal|GET|/api/v1/billing/summary":                   {accTenantKey, ""},
	"nexus|GET|/api/v1/billing/summary":                    {accAdminKey, ""},
	"nexus|GET|/api/v1/billing/plans":                      {accAdminKey, ""},
	"nexus|POST|/api/v1/billing/plans":                     {accAdminKeyW, ""},
	"nexus|GET|/api/v1/billing/plans/:id":                  {accAdminKey, objBillingPlan},
	"nexus|PUT|/api/v1/billing/plans/:id":                  {accAdminKeyW, objBillingPlan},
	"nexus|POST|/api/v1/billing/subscriptions":             {accAdminKeyW, ""},
	"nexus|POST|/api/v1/billing/wallet-topups":             {accAdminKeyW, ""},
	// Billing payments through Stripe (billing_stripe_test.go).
	"site|POST|/webhooks/stripe":                        {accPublic, ""},
	"portal|POST|/billing/card":                         {accOwner, ""},
	"portal|POST|/billing/invoices/:id/pay":             {accOwner, objBillingInvoice},
	"nexus|POST|/billing/tenants/:id/invoices/:inv/pay": {accAdmin, objBillingTenantInvoice},
	"portal|POST|/api/v1/billing/invoices/:id/payments": {accTenantKeyW, objBillingInvoice},
	"portal|GET|/api/v1/billing/invoices/:id/payments":  {accTenantKey, objBillingInvoice},
	"portal|POST|/api/v1/billing/card-setup":            {accTenantKeyW, ""},
	"nexus|POST|/api/v1/billing/invoices/:id/payments":  {accAdminKeyW, objBillingInvoice},
	"nexus|GET|/api/v1/billing/invoices/:id/payments":   {accAdminKey, objBillingInvoice},
	"nexus|POST|/api/v1/billing/card-setup":             {accAdminKeyW, ""},
	// Revenue and taking a client off its plan (billing_revenue_test.go).
	"nexus|GET|/billing/revenue":                         {accAdmin, ""},
	"nexus|POST|/billing/tenants/:id/cancel":             {accAdmin, objTenant},
	"nexus|GET|/api/v1/billing/revenue":                  {accAdminKey, ""},
	"nexus|DELETE|/api/v1/billing/subscriptions/:tenant": {accAdminKeyW, ""},
	"nexus|POST|/billing/dunning":                        {accAdmin, ""},
	"nexus|GET|/api/v1/billing/dunning":                  {accAdminKey, ""},
	"nexus|PUT|/api/v1/billing/dunning":                  {accAdminKeyW, ""},
	// Wallet auto-recharge (billing_recharge_test.go).
	"portal|POST|/billing/wallet/recharge":       {accOwner, ""},
	"nexus|POST|/billing/tenants/:id/recharge":   {accAdmin, objTenant},
	"portal|GET|/api/v1/billing/wallet":          {accTenantKey, ""},
	"portal|PUT|/api/v1/billing/wallet/recharge": {accTenantKeyW, ""},
	"nexus|GET|/api/v1/billing/wallet":           {accAdminKey, ""},
	"nexus|PUT|/api/v1/billing/wallet/recharge":  {accAdminKeyW, ""},
	// Conversations (issue #18): the tenant's inbox; Nexus every tenant's.
	"portal|GET|/inbox":                              {accUser, ""},
	"portal|GET|/inbox/events":                       {accUser, ""},
	"portal|GET|/inbox/mailbox":                      {accUser, ""},
	"portal|POST|/inbox/mailbox":                     {accOwner, ""},
	"portal|POST|/inbox/mailbox/poll":                {accUser, ""},
	"portal|POST|/inbox/inbound":                     {accOwner, ""},
	"portal|GET|/inbox/canned":                       {accUser, ""},
	"portal|POST|/inbox/canned":                      {accUser, ""},
	"portal|POST|/inbox/canned/:id/delete":           {accUser, objInboxCanned},
	"portal|GET|/inbox/:id":                          {accUser, objInboxConv},
	"portal|POST|/inbox/:id/reply":                   {accUser, objInboxConv},
	"portal|POST|/inbox/:id/note":                    {accUser, objInboxConv},
	"portal|POST|/inbox/:id/assign":                  {accUser, objInboxConv},
	"portal|POST|/inbox/:id/labels":                  {accUser, objInboxConv},
	"portal|POST|/inbox/:id/status":                  {accUser, objInboxConv},
	"portal|POST|/inbox/:id/snooze":                  {accUser, objInboxConv},
	"portal|POST|/inbox/:id/takeover":                {accUser, objInboxConv},
	"portal|POST|/inbox/:id/handback":                {accUser, objInboxConv},
	"portal|GET|/inbox/:id/messages/:mid/frame":      {accUser, objInboxEmail},
	"portal|GET|/inbox/:id/attachments/:aid":         {accUser, objInboxEmail},
	"nexus|GET|/inbox/:id/messages/:mid/frame":       {accAdmin, objInboxEmail},
	"nexus|GET|/inbox/:id/attachments/:aid":          {accAdmin, objInboxEmail},
	"portal|GET|/inbox/hours":                        {accUser, ""},
	"portal|POST|/inbox/hours":                       {accOwner, ""},
	"nexus|GET|/inbox/hours":                         {accAdmin, ""},
	"nexus|POST|/inbox/hours":                        {accAdmin, ""},
	"nexus|GET|/inbox":                               {accAdmin, ""},
	"nexus|GET|/inbox/events":                        {accAdmin, ""},
	"nexus|GET|/inbox/mailbox":                       {accAdmin, ""},
	"nexus|POST|/inbox/mailbox":                      {accAdmin, ""},
	"nexus|POST|/inbox/mailbox/poll":                 {accAdmin, ""},
	"nexus|POST|/inbox/inbound":                      {accAdmin, ""},
	"nexus|GET|/inbox/canned":                        {accAdmin, ""},
	"nexus|POST|/inbox/canned":                       {accAdmin, ""},
	"nexus|POST|/inbox/canned/:id/delete":            {accAdmin, objInboxCanned},
	"nexus|GET|/inbox/:id":                           {accAdmin, objInboxConv},
	"nexus|POST|/inbox/:id/reply":                    {accAdmin, objInboxConv},
	"nexus|POST|/inbox/:id/note":                     {accAdmin, objInboxConv},
	"nexus|POST|/inbox/:id/assign":                   {accAdmin, objInboxConv},
	"nexus|POST|/inbox/:id/labels":                   {accAdmin, objInboxConv},
	"nexus|POST|/inbox/:id/status":                   {accAdmin, objInboxConv},
	"nexus|POST|/inbox/:id/snooze":                   {accAdmin, objInboxConv},
	"nexus|POST|/inbox/:id/takeover":                 {accAdmin, objInboxConv},
	"nexus|POST|/inbox/:id/handback":                 {accAdmin, objInboxConv},
	"portal|GET|/agents":                             {accUser, ""},
	"portal|GET|/agents/new":                         {accUser, ""},
	"portal|GET|/agents/usage":                       {accUser, ""},
	"portal|GET|/agents/conversations":               {accUser, ""},
	"portal|GET|/agents/conversations/:id":           {accUser, objAgentConv},
	"portal|GET|/agents/conversations/:id/events":    {accUser, objAgentConv},
	"portal|GET|/agents/:id":                         {accUser, objAgent},
	"portal|GET|/agents/:id/versions":                {accUser, objAgent},
	"portal|POST|/agents/new":                        {accUser, ""},
	"portal|POST|/agents/prices":                     {accUser, ""},
	"portal|POST|/agents/prices/delete":              {accUser, ""},
	"portal|POST|/agents/budget":                     {accUser, ""},
	"portal|POST|/agents/conversations/:id/send":     {accUser, objAgentConv},
	"portal|POST|/agents/conversations/:id/message":  {accUser, objAgentConv},
	"portal|POST|/agents/conversations/:id/takeover": {accUser, objAgentConv},
	"portal|POST|/agents/conversations/:id/handback": {accUser, objAgentConv},
	"portal|POST|/agents/conversations/:id/end":      {accUser, objAgentConv},
	"portal|POST|/agents/:id":                        {accUser, objAgent},
	"portal|POST|/agents/:id/enable":                 {accUser, objAgent},
	"portal|POST|/agents/:id/delete":                 {accUser, objAgent},
	"portal|POST|/agents/:id/playground":             {accUser, objAgent},
	"portal|POST|/agents/:id/test-call":              {accUser, objAgent},
	"nexus|GET|/agents":                              {accAdmin, ""},
	"nexus|GET|/agents/new":                          {accAdmin, ""},
	"nexus|GET|/agents/usage":                        {accAdmin, ""},
	"nexus|GET|/agents/conversations":                {accAdmin, ""},
	"nexus|GET|/agents/conversations/:id":            {accAdmin, objAgentConv},
	"nexus|GET|/agents/conversations/:id/events":     {accAdmin, objAgentConv},
	"nexus|GET|/agents/:id":                          {accAdmin, objAgent},
	"nexus|GET|/agents/:id/versions":                 {accAdmin, objAgent},
	"nexus|POST|/agents/new":                         {accAdmin, ""},
	"nexus|POST|/agents/prices":                      {accAdmin, ""},
	"nexus|POST|/agents/prices/delete":               {accAdmin, ""},
	"nexus|POST|/agents/budget":                      {accAdmin, ""},
	"nexus|POST|/agents/conversations/:id/send":      {accAdmin, objAgentConv},
	"nexus|POST|/agents/conversations/:id/message":   {accAdmin, objAgentConv},
	"nexus|POST|/agents/conversations/:id/takeover":  {accAdmin, objAgentConv},
	"nexus|POST|/agents/conversations/:id/handback":  {accAdmin, objAgentConv},
	"nexus|POST|/agents/conversations/:id/end":       {accAdmin, objAgentConv},
	"nexus|POST|/agents/:id":                         {accAdmin, objAgent},
	"nexus|POST|/agents/:id/enable":                  {accAdmin, objAgent},
	"nexus|POST|/agents/:id/delete":                  {accAdmin, objAgent},
	"nexus|POST|/agents/:id/playground":              {accAdmin, objAgent},
	"nexus|POST|/agents/:id/test-call":               {accAdmin, objAgent},
	"portal|GET|/twilio/agent/relay":                 {accPublic, ""},
	"portal|POST|/twilio/agent/action":               {accPublic, ""},
	"portal|POST|/twilio/agent/gather":               {accPublic, ""},
	"portal|POST|/apikeys":                           {accOwner, ""},
	"portal|GET|/sites":                              {accOwner, ""},
	"portal|POST|/sites":                             {accOwner, ""},
	"portal|GET|/sites/:id":                          {accOwner, objSite},
	"portal|POST|/sites/:id":                         {accOwner, objSite},
	"portal|POST|/sites/:id/publish":                 {accOwner, objSite},
	"portal|POST|/sites/:id/rollback":                {accOwner, objSite},
	"portal|POST|/sites/:id/delete":                  {accOwner, objSite},
	"portal|GET|/sites/:id/theme.css":                {accOwner, objSite},
	"portal|POST|/sites/:id/pages":                   {accOwner, objSite},
	"portal|GET|/sites/:id/pages/:page":              {accOwner, objSitePage},
	"portal|POST|/sites/:id/pages/:page":             {accOwner, objSitePage},
	"portal|POST|/sites/:id/pages/:page/preview":     {accOwner, objSitePage},
	"portal|POST|/sites/:id/pages/:page/delete":      {accOwner, objSitePage},
	"nexus|GET|/sites":                               {accAdmin, ""},
	"nexus|POST|/sites":                              {accAdmin, ""},
	"nexus|GET|/sites/:id":                           {accAdmin, objHouseSite},
	"nexus|POST|/sites/:id":                          {accAdmin, objHouseSite},
	"nexus|POST|/sites/:id/publish":                  {accAdmin, objHouseSite},
	"nexus|POST|/sites/:id/rollback":                 {accAdmin, objHouseSite},
	"nexus|POST|/sites/:id/delete":                   {accAdmin, objHouseSite},
	"nexus|GET|/sites/:id/theme.css":                 {accAdmin, objHouseSite},
	"nexus|POST|/sites/:id/pages":                    {accAdmin, objHouseSite},
	"nexus|GET|/sites/:id/pages/:page":               {accAdmin, objHouseSitePage},
	"nexus|POST|/sites/:id/pages/:page":              {accAdmin, objHouseSitePage},
	"nexus|POST|/sites/:id/pages/:page/preview":      {accAdmin, objHouseSitePage},
	"nexus|POST|/sites/:id/pages/:page/delete":       {accAdmin, objHouseSitePage},
	// A published site's host (tests: tenant A's site): its files, form
	// posts (B's form is 404 there), logo, and the tenant's hosted forms,
	// booking pages and chat widget.
	"sites|GET|/*":               {accPublic, ""},
	"sites|GET|/_logo":           {accPublic, ""},
	"sites|POST|/_form/:id":      {accPublic, objForm},
	"sites|GET|/embed.js":        {accPublic, ""},
	"sites|GET|/f/:id":           {accPublic, objForm},
	"sites|POST|/f/:id":          {accPublic, objForm},
	"sites|GET|/f/:id/brand.css": {accPublic, objForm},
	"sites|GET|/book/embed.js":   {accPublic, ""},
	"sites|GET|/book/:slug":      {accPublic, ""},
	"sites|POST|/book/:slug":     {accPublic, ""},
	"sites|GET|/booking/:token":  {accPublic, ""},
	// A calendar's private ICS feed: the secret token is the key.
	"sites|GET|/calendar-feed/:token":       {accPublic, ""},
	"sites|POST|/booking/:token/cancel":     {accPublic, ""},
	"sites|POST|/booking/:token/reschedule": {accPublic, ""},
	"sites|GET|/f/:id/logo":                 {accPublic, objForm},
	"portal|GET|/forms":                     {accOwner, ""},
	"portal|GET|/forms/new":                 {accOwner, ""},
	"portal|POST|/forms/new":                {accOwner, ""},
	"portal|GET|/forms/:id":                 {accOwner, objForm},
	"portal|POST|/forms/:id":                {accOwner, objForm},
	"portal|POST|/forms/:id/delete":         {accOwner, objForm},
	"portal|POST|/apikeys/:id/revoke":       {accOwner, objKey},
	// Portal: CRM pages.
	"portal|GET|/crm/pipeline":                       {accUser, ""},
	"portal|POST|/crm/deals/:id/move":                {accUser, objDeal},
	"portal|POST|/crm/tasks/:id/done":                {accUser, objTask},
	"portal|POST|/crm/people/:id/merge":              {accUser, objPerson},
	"portal|GET|/crm/people.csv":                     {accUser, ""},
	"portal|GET|/crm/companies.csv":                  {accUser, ""},
	"portal|GET|/crm/deals.csv":                      {accUser, ""},
	"portal|POST|/crm/views":                         {accUser, ""},
	"portal|POST|/crm/views/:id/delete":              {accUser, objView},
	"portal|GET|/crm/settings":                       {accUser, ""},
	"portal|POST|/crm/settings/fields":               {accOwner, ""},
	"portal|POST|/crm/settings/fields/:id/delete":    {accOwner, objCustomField},
	"portal|POST|/crm/settings/pipelines":            {accOwner, ""},
	"portal|POST|/crm/settings/pipelines/:id":        {accOwner, objPipeline},
	"portal|GET|/crm/settings/tags":                  {accUser, ""},
	"portal|POST|/crm/settings/tags/rename":          {accOwner, objTag},
	"portal|POST|/crm/settings/tags/delete":          {accOwner, objTag},
	"portal|POST|/crm/imports/upload":                {accUser, ""},
	"portal|POST|/crm/imports/upload/:upload":        {accUser, objUpload},
	"portal|POST|/crm/imports/upload/:upload/finish": {accUser, objUpload},
	"portal|GET|/crm/import":                         {accUser, ""},
	"portal|POST|/crm/import":                        {accUser, ""},
	"portal|GET|/crm/import/:id":                     {accUser, objImportJob},
	"portal|POST|/crm/import/:id":                    {accUser, objImportJob},
	"portal|GET|/crm/people":                         {accUser, ""},
	"portal|POST|/crm/people":                        {accUser, ""},
	"portal|GET|/crm/people/:id":                     {accUser, objPerson},
	"portal|POST|/crm/people/:id":                    {accUser, objPerson},
	"portal|POST|/crm/people/:id/delete":             {accUser, objPerson},
	"portal|POST|/crm/people/:id/notes":              {accUser, objPerson},
	"portal|POST|/crm/people/:id/tags":               {accUser, objPerson},
	"portal|POST|/crm/people/:id/tasks":              {accUser, objPerson},
	"portal|GET|/crm/companies":                      {accUser, ""},
	"portal|POST|/crm/companies":                     {accUser, ""},
	"portal|GET|/crm/companies/:id":                  {accUser, objCompany},
	"portal|POST|/crm/companies/:id":                 {accUser, objCompany},
	"portal|POST|/crm/companies/:id/delete":          {accUser, objCompany},
	"portal|POST|/crm/companies/:id/notes":           {accUser, objCompany},
	"portal|POST|/crm/companies/:id/tags":            {accUser, objCompany},
	"portal|POST|/crm/companies/:id/tasks":           {accUser, objCompany},
	"portal|GET|/crm/deals":                          {accUser, ""},
	"portal|POST|/crm/deals":                         {accUser, ""},
	"portal|GET|/crm/deals/:id":                      {accUser, objDeal},
	"portal|POST|/crm/deals/:id":                     {accUser, objDeal},
	"portal|POST|/crm/deals/:id/delete":              {accUser, objDeal},
	"portal|POST|/crm/deals/:id/notes":               {accUser, objDeal},
	"portal|POST|/crm/deals/:id/tags":                {accUser, objDeal},
	"portal|POST|/crm/deals/:id/tasks":               {accUser, objDeal},

	// The outgoing-webhook delivery log: pages and API (issue #20).
	"portal|GET|/developers/webhooks":                       {accOwner, ""},
	"portal|GET|/developers/webhooks/:id":                   {accOwner, objDelivery},
	"portal|POST|/developers/webhooks/:id/redeliver":        {accOwner, objDelivery},
	"portal|GET|/api/v1/webhooks/deliveries":                {accTenantKey, ""},
	"portal|GET|/api/v1/webhooks/deliveries/:id":            {accTenantKey, objDelivery},
	"portal|POST|/api/v1/webhooks/deliveries/:id/redeliver": {accTenantKeyW, objDelivery},
	// Nexus: the delivery log across tenants (B's delivery: admins see it).
	"nexus|GET|/developers/webhooks":                       {accAdmin, ""},
	"nexus|GET|/developers/webhooks/:id":                   {accAdmin, objDelivery},
	"nexus|POST|/developers/webhooks/:id/redeliver":        {accAdmin, objDelivery},
	"nexus|GET|/api/v1/webhooks/deliveries":                {accAdminKey, ""},
	"nexus|GET|/api/v1/webhooks/deliveries/:id":            {accAdminKey, objDelivery},
	"nexus|POST|/api/v1/webhooks/deliveries/:id/redeliver": {accAdminKeyW, objDelivery},
	// Nexus: the FOSS tool register (the agency's, no tenant's).
	"nexus|GET|/foss/tools":               {accAdmin, ""},
	"nexus|POST|/foss/tools":              {accAdmin, ""},
	"nexus|GET|/foss/tools/:id":           {accAdmin, objTool},
	"nexus|POST|/foss/tools/:id":          {accAdmin, objTool},
	"nexus|POST|/foss/tools/:id/delete":   {accAdmin, objSpareTool},
	"nexus|GET|/api/v1/foss/tools":        {accAdminKey, ""},
	"nexus|POST|/api/v1/foss/tools":       {accAdminKeyW, ""},
	"nexus|GET|/api/v1/foss/tools/:id":    {accAdminKey, objTool},
	"nexus|PATCH|/api/v1/foss/tools/:id":  {accAdminKeyW, objTool},
	"nexus|DELETE|/api/v1/foss/tools/:id": {accAdminKeyW, objSpareTool},

	// Nexus: public.
	"nexus|GET|/login":       {accPublic, ""},
	"nexus|POST|/login":      {accPublic, ""},
	"nexus|POST|/logout":     {accPublic, ""},
	"nexus|GET|/setup":       {accPublic, ""},
	"nexus|POST|/setup":      {accPublic, ""},
	"nexus|POST|/login/code": {accPublic, ""},
	// Nexus: an admin session or the metrics token (ui/metrics_test.go).
	"nexus|GET|/metrics": {accAdmin, ""},
	// Nexus: admin API.
	"nexus|GET|/api/v1/me":          {accAdminKey, ""},
	"nexus|GET|/api/v1/tenants":     {accAdminKey, ""},
	"nexus|POST|/api/v1/tenants":    {accAdminKeyW, ""},
	"nexus|GET|/api/v1/tenants/:id": {accAdminKey, objTenant},
	// Nexus: federal API (house tenant's data).
	"nexus|GET|/api/v1/federal/opportunities":           {accAdminKey, ""},
	"nexus|GET|/api/v1/federal/opportunities/:noticeId": {accAdminKey, ""},
	"nexus|GET|/api/v1/federal/searches":                {accAdminKey, ""},
	"nexus|POST|/api/v1/federal/searches":               {accAdminKeyW, ""},
	"nexus|DELETE|/api/v1/federal/searches/:id":         {accAdminKeyW, ""},
	"nexus|GET|/api/v1/federal/grants":                  {accAdminKey, ""},
	// Nexus: CRM API across tenants.
	"nexus|GET|/api/v1/openapi.json":               {accAdminKey, ""},
	"nexus|GET|/api/v1/custom-fields":              {accAdminKey, ""},
	"nexus|POST|/api/v1/custom-fields":             {accAdminKeyW, ""},
	"nexus|DELETE|/api/v1/custom-fields/:id":       {accAdminKeyW, objCustomField},
	"nexus|POST|/api/v1/pipelines":                 {accAdminKeyW, ""},
	"nexus|PATCH|/api/v1/pipelines/:id":            {accAdminKeyW, objPipeline},
	"nexus|GET|/api/v1/pipelines":                  {accAdminKey, ""},
	"nexus|GET|/api/v1/people":                     {accAdminKey, ""},
	"nexus|POST|/api/v1/people":                    {accAdminKeyW, ""},
	"nexus|POST|/api/v1/people/batch":              {accAdminKeyW, ""},
	"nexus|GET|/api/v1/people/:id":                 {accAdminKey, objPerson},
	"nexus|PATCH|/api/v1/people/:id":               {accAdminKeyW, objPerson},
	"nexus|DELETE|/api/v1/people/:id":              {accAdminKeyW, objSparePerson},
	"nexus|GET|/api/v1/people/:id/duplicates":      {accAdminKey, objPerson},
	"nexus|POST|/api/v1/people/:id/merge":          {accAdminKeyW, objMergePerson},
	"nexus|GET|/api/v1/people/:id/timeline":        {accAdminKey, objPerson},
	"nexus|GET|/api/v1/companies":                  {accAdminKey, ""},
	"nexus|POST|/api/v1/companies":                 {accAdminKeyW, ""},
	"nexus|POST|/api/v1/companies/batch":           {accAdminKeyW, ""},
	"nexus|GET|/api/v1/companies/:id":              {accAdminKey, objCompany},
	"nexus|PATCH|/api/v1/companies/:id":            {accAdminKeyW, objCompany},
	"nexus|DELETE|/api/v1/companies/:id":           {accAdminKeyW, objSpareCompany},
	"nexus|GET|/api/v1/companies/:id/timeline":     {accAdminKey, objCompany},
	"nexus|GET|/api/v1/opportunities":              {accAdminKey, ""},
	"nexus|POST|/api/v1/opportunities":             {accAdminKeyW, ""},
	"nexus|POST|/api/v1/opportunities/batch":       {accAdminKeyW, ""},
	"nexus|GET|/api/v1/opportunities/:id":          {accAdminKey, objDeal},
	"nexus|PATCH|/api/v1/opportunities/:id":        {accAdminKeyW, objDeal},
	"nexus|DELETE|/api/v1/opportunities/:id":       {accAdminKeyW, objSpareDeal},
	"nexus|GET|/api/v1/opportunities/:id/timeline": {accAdminKey, objDeal},
	"nexus|GET|/api/v1/notes":                      {accAdminKey, ""},
	"nexus|POST|/api/v1/notes":                     {accAdminKeyW, ""},
	"nexus|POST|/api/v1/notes/batch":               {accAdminKeyW, ""},
	"nexus|GET|/api/v1/notes/:id":                  {accAdminKey, objNote},
	"nexus|PATCH|/api/v1/notes/:id":                {accAdminKeyW, objNote},
	"nexus|DELETE|/api/v1/notes/:id":               {accAdminKeyW, objSpareNote},
	"nexus|GET|/api/v1/tasks":                      {accAdminKey, ""},
	"nexus|POST|/api/v1/tasks":                     {accAdminKeyW, ""},
	"nexus|POST|/api/v1/tasks/batch":               {accAdminKeyW, ""},
	"nexus|GET|/api/v1/tasks/:id":                  {accAdminKey, objTask},
	"nexus|PATCH|/api/v1/tasks/:id":                {accAdminKeyW, objTask},
	"nexus|DELETE|/api/v1/tasks/:id":               {accAdminKeyW, objSpareTask},
	// Nexus: admins.
	"nexus|GET|/":                                 {accAdmin, ""},
	"nexus|GET|/leads":                            {accAdmin, ""},
	"nexus|GET|/admins":                           {accAdmin, ""},
	"nexus|POST|/admins":                          {accAdmin, ""},
	"nexus|GET|/site":                             {accAdmin, ""},
	"nexus|GET|/site/:slug?":                      {accAdmin, ""},
	"nexus|POST|/site":                            {accAdmin, ""},
	"nexus|GET|/tenants":                          {accAdmin, ""},
	"nexus|GET|/domains":                          {accAdmin, ""},
	"nexus|GET|/backups":                          {accAdmin, ""},
	"nexus|POST|/backups/drill":                   {accAdmin, ""},
	"nexus|POST|/domains":                         {accAdmin, ""},
	"nexus|POST|/domains/check":                   {accAdmin, ""},
	"nexus|POST|/domains/:id/delete":              {accAdmin, ""},
	"nexus|POST|/domains/:id/enable":              {accAdmin, ""},
	"nexus|POST|/domains/:id/disable":             {accAdmin, ""},
	"nexus|POST|/tenants":                         {accAdmin, ""},
	"nexus|GET|/tenants/:id":                      {accAdmin, objTenant},
	"nexus|POST|/tenants/:id":                     {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/status":              {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/federal":             {accAdmin, objTenant},
	"nexus|GET|/tenants/:id/logo":                 {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/logo":                {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/logo/delete":         {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/users":               {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/apikeys":             {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/apikeys/:kid/revoke": {accAdmin, objTenant},
	"nexus|GET|/apikeys":                          {accAdmin, ""},
	"nexus|GET|/developers":                       {accAdmin, ""},
	"nexus|GET|/developers/openapi.json":          {accAdmin, ""},
	"nexus|GET|/developers/graphql":               {accAdmin, ""},
	"nexus|POST|/apikeys":                         {accAdmin, ""},
	"nexus|POST|/apikeys/:id/revoke":              {accAdmin, ""},
	"nexus|GET|/integrations":                     {accAdmin, ""},
	"nexus|GET|/integrations/:key":                {accAdmin, ""},
	"nexus|POST|/integrations/:key/test":          {accAdmin, ""},
	"nexus|POST|/integrations/:key/settings":      {accAdmin, ""},
	// CSV import into the agency's own CRM (nexus_import_test.go).
	"nexus|POST|/crm/imports/upload":                {accAdmin, ""},
	"nexus|POST|/crm/imports/upload/:upload":        {accAdmin, ""},
	"nexus|POST|/crm/imports/upload/:upload/finish": {accAdmin, ""},
	"nexus|GET|/crm/import":                         {accAdmin, ""},
	"nexus|POST|/crm/views":                         {accAdmin, ""}, // in ?tenant= (the house tenant by default)
	"nexus|POST|/crm/views/:id/delete":              {accAdmin, ""},
	"nexus|POST|/crm/import":                        {accAdmin, ""},
	"nexus|GET|/crm/import/:id":                     {accAdmin, objImportJob}, // B's job: 404 in the agency's CRM
	"nexus|POST|/crm/import/:id":                    {accAdmin, objImportJob},
	"nexus|PUT|/api/v1/integrations/:key/settings":  {accAdminKeyW, ""},
	"nexus|GET|/api/v1/integrations":                {accAdminKey, ""},
	"nexus|POST|/api/v1/integrations/:key/test":     {accAdminKeyW, ""},
	"nexus|GET|/foss":                               {accAdmin, ""},
	"nexus|GET|/foss/notices":                       {accAdmin, ""},
	"nexus|GET|/foss/sbom.json":                     {accAdmin, ""},
	"nexus|GET|/api/v1/foss/components":             {accAdminKey, ""},
	"nexus|GET|/api/v1/foss/sbom":                   {accAdminKey, ""},
	"nexus|GET|/vault":                              {accAdmin, ""},
	"nexus|GET|/automations":                        {accAdmin, ""},
	"nexus|GET|/automations/runs":                   {accAdmin, ""},
	"nexus|GET|/automations/runs/:id":               {accAdmin, ""},
	"nexus|POST|/automations/runs/:id/replay":       {accAdmin, ""},
	"nexus|GET|/automations/new":                    {accAdmin, ""},
	"nexus|POST|/automations/new":                   {accAdmin, ""},
	"nexus|GET|/automations/:id/edit":               {accAdmin, ""},
	"nexus|POST|/automations/:id/edit":              {accAdmin, ""},
	"nexus|POST|/automations/:id/enable":            {accAdmin, ""},
	"nexus|POST|/automations/:id/hook":              {accAdmin, ""},
	"nexus|POST|/automations/:id/run":               {accAdmin, ""},
	"nexus|POST|/automations/requests/:id/approve":  {accAdmin, ""},
	"nexus|POST|/automations/requests/:id/reject":   {accAdmin, ""},
	"nexus|POST|/vault":                             {accAdmin, ""},
	"nexus|POST|/vault/delete":                      {accAdmin, ""},
	"nexus|GET|/audit":                              {accAdmin, ""},
	"nexus|GET|/outbox":                             {accAdmin, ""},
	"nexus|GET|/outbox/:id":                         {accAdmin, ""},
	"nexus|GET|/account":                            {accAdmin, ""},
	"nexus|POST|/account/2fa":                       {accAdmin, ""},
	"nexus|POST|/account/2fa/disable":               {accAdmin, ""},
	"nexus|POST|/account/2fa/policy":                {accAdmin, ""},
	"nexus|POST|/account/sessions/:key/revoke":      {accAdmin, objAdminSession},
	"nexus|GET|/forms":                              {accAdmin, ""},
	"nexus|GET|/forms/new":                          {accAdmin, ""},
	"nexus|POST|/forms/new":                         {accAdmin, ""},
	"nexus|GET|/forms/:id":                          {accAdmin, objHouseForm},
	"nexus|POST|/forms/:id":                         {accAdmin, objHouseForm},
	"nexus|POST|/forms/:id/delete":                  {accAdmin, objHouseForm},
	// Nexus: federal (house tenant).
	"nexus|GET|/federal/":                                                      {accAdmin, ""},
	"nexus|GET|/federal/opportunities/:noticeId":                               {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/pursue":                       {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/pipeline":                     {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/matrix":                       {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/matrix/:id":                   {accAdmin, ""},
	"nexus|GET|/federal/pipeline":                                              {accAdmin, ""},
	"nexus|GET|/federal/searches":                                              {accAdmin, ""},
	"nexus|POST|/federal/searches":                                             {accAdmin, ""},
	"nexus|POST|/federal/searches/:id/delete":                                  {accAdmin, ""},
	"nexus|POST|/federal/run":                                                  {accAdmin, ""},
	"nexus|POST|/federal/tenant":                                               {accAdmin, ""},
	"nexus|GET|/federal/settings":                                              {accAdmin, ""},
	"nexus|POST|/federal/settings":                                             {accAdmin, ""},
	"nexus|GET|/federal/grants":                                                {accAdmin, ""},
	"nexus|GET|/federal/compliance":                                            {accAdmin, ""},
	"nexus|GET|/federal/opportunities/:noticeId/proposal":                      {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/proposal/sections":            {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/proposal/from-matrix":         {accAdmin, ""},
	"nexus|GET|/federal/opportunities/:noticeId/proposal/sections/:id":         {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/proposal/sections/:id":        {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/proposal/sections/:id/delete": {accAdmin, ""},
	"nexus|GET|/federal/opportunities/:noticeId/proposal/docx":                 {accAdmin, ""},
	"nexus|GET|/federal/opportunities/:noticeId/proposal/pdf":                  {accAdmin, ""},
	"nexus|GET|/federal/grant-pipeline":                                        {accAdmin, ""},
	"nexus|GET|/federal/grants/:grantId":                                       {accAdmin, ""},
	"nexus|POST|/federal/grants/:grantId/pursue":                               {accAdmin, ""},
	"nexus|POST|/federal/grants/:grantId/pipeline":                             {accAdmin, ""},
	"nexus|POST|/federal/grants/:grantId/fetch":                                {accAdmin, ""},
	"nexus|GET|/federal/digest":                                                {accAdmin, ""},
	"nexus|POST|/federal/alerts/run":                                           {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/tasks":                        {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/tasks/:id/done":               {accAdmin, ""},
	"nexus|POST|/federal/opportunities/:noticeId/notes":                        {accAdmin, ""},
	"nexus|POST|/federal/grants/:grantId/tasks":                                {accAdmin, ""},
	"nexus|POST|/federal/grants/:grantId/tasks/:id/done":                       {accAdmin, ""},
	"nexus|POST|/federal/grants/:grantId/notes":                                {accAdmin, ""},
	// Nexus: Control Room > Knowledge Wiki (the internal space and each
	// client's shared space; :space is B's).
	// Calendar pages (portal: the user's tenant; Nexus: ?tenant=, the
	// matrix names B there, see isoCalendarPage).
	"portal|GET|/calendar":                          {accUser, ""},
	"portal|GET|/calendar/bookings":                 {accUser, ""},
	"portal|POST|/calendar/bookings/:id/cancel":     {accUser, objBooking},
	"portal|POST|/calendar/bookings/:id/reschedule": {accUser, objBooking},
	"portal|POST|/calendar/bookings/:id/confirm":    {accUser, objBooking},
	"portal|POST|/calendar/bookings/:id/no-show":    {accUser, objBooking},
	"portal|GET|/calendar/settings":                 {accUser, ""},
	"portal|POST|/calendar/calendars":               {accOwner, ""},
	"portal|GET|/calendar/calendars/:id":            {accUser, objCalendar},
	"portal|POST|/calendar/calendars/:id":           {accOwner, objCalendar},
	"portal|GET|/calendar/event-types/new":          {accUser, ""},
	"portal|POST|/calendar/event-types":             {accOwner, ""},
	"portal|GET|/calendar/event-types/:id":          {accUser, objEventType},
	"portal|POST|/calendar/event-types/:id":         {accOwner, objEventType},
	"portal|POST|/calendar/event-types/:id/delete":  {accOwner, objEventType},
	"nexus|GET|/calendar":                           {accAdmin, ""},
	"nexus|GET|/calendar/bookings":                  {accAdmin, ""},
	"nexus|POST|/calendar/bookings/:id/cancel":      {accAdmin, objBooking},
	"nexus|POST|/calendar/bookings/:id/reschedule":  {accAdmin, objBooking},
	"nexus|POST|/calendar/bookings/:id/confirm":     {accAdmin, objBooking},
	"nexus|POST|/calendar/bookings/:id/no-show":     {accAdmin, objBooking},
	"nexus|GET|/calendar/settings":                  {accAdmin, ""},
	"nexus|POST|/calendar/calendars":                {accAdmin, ""},
	"nexus|GET|/calendar/calendars/:id":             {accAdmin, objCalendar},
	"nexus|POST|/calendar/calendars/:id":            {accAdmin, objCalendar},
	"nexus|GET|/calendar/event-types/new":           {accAdmin, ""},
	"nexus|POST|/calendar/event-types":              {accAdmin, ""},
	"nexus|GET|/calendar/event-types/:id":           {accAdmin, objEventType},
	"nexus|POST|/calendar/event-types/:id":          {accAdmin, objEventType},
	"nexus|POST|/calendar/event-types/:id/delete":   {accAdmin, objEventType},
	// Calendar sync (issue #19): connect CalDAV, ICS feeds, choices.
	"portal|POST|/calendar/calendars/:id/caldav":     {accOwner, objCalendar},
	"portal|POST|/calendar/calendars/:id/feeds":      {accOwner, objCalendar},
	"portal|POST|/calendar/calendars/:id/feed-token": {accOwner, objCalendar},
	"portal|POST|/calendar/sources/:id/choose":       {accOwner, objCalendarSource},
	"portal|POST|/calendar/sources/:id/sync":         {accOwner, objCalendarSource},
	"portal|POST|/calendar/sources/:id/delete":       {accOwner, objCalendarSource},
	"nexus|POST|/calendar/calendars/:id/caldav":      {accAdmin, objCalendar},
	"nexus|POST|/calendar/calendars/:id/feeds":       {accAdmin, objCalendar},
	"nexus|POST|/calendar/calendars/:id/feed-token":  {accAdmin, objCalendar},
	"nexus|POST|/calendar/sources/:id/choose":        {accAdmin, objCalendarSource},
	"nexus|POST|/calendar/sources/:id/sync":          {accAdmin, objCalendarSource},
	"nexus|POST|/calendar/sources/:id/delete":        {accAdmin, objCalendarSource},
	"nexus|GET|/wiki":                                               {accAdmin, ""},
	"nexus|POST|/wiki/tenants/:id/open":                             {accAdmin, objTenant},
	"nexus|GET|/wiki/:space/":                                       {accAdmin, ""},
	"nexus|GET|/wiki/:space/search":                                 {accAdmin, ""},
	"nexus|GET|/wiki/:space/new":                                    {accAdmin, ""},
	"nexus|GET|/wiki/:space/p/:slug":                                {accAdmin, objWikiSlug},
	"nexus|GET|/wiki/:space/pages/:id/edit":                         {accAdmin, objWikiPage},
	"nexus|GET|/wiki/:space/pages/:id/history":                      {accAdmin, objWikiPage},
	"nexus|GET|/wiki/:space/pages/:id/diff":                         {accAdmin, objWikiPage},
	"nexus|GET|/wiki/:space/pages/:id/revisions/:n":                 {accAdmin, objWikiPage},
	"nexus|GET|/wiki/:space/files/:id":                              {accAdmin, objWikiFile},
	"nexus|GET|/wiki/:space/export.zip":                             {accAdmin, ""},
	"nexus|POST|/wiki/:space/pages":                                 {accAdmin, ""},
	"nexus|POST|/wiki/:space/preview":                               {accAdmin, ""},
	"nexus|POST|/wiki/:space/pages/:id":                             {accAdmin, objWikiPage},
	"nexus|POST|/wiki/:space/pages/:id/restore":                     {accAdmin, objWikiPage},
	"nexus|POST|/wiki/:space/pages/:id/move":                        {accAdmin, objWikiPage},
	"nexus|POST|/wiki/:space/pages/:id/delete":                      {accAdmin, objWikiPage},
	"nexus|POST|/wiki/:space/pages/:id/files":                       {accAdmin, objWikiPage},
	"nexus|POST|/wiki/:space/pages/:id/files/upload":                {accAdmin, objWikiPage},
	"nexus|POST|/wiki/:space/pages/:id/files/upload/:upload":        {accAdmin, objUpload},
	"nexus|POST|/wiki/:space/pages/:id/files/upload/:upload/finish": {accAdmin, objWikiPage},
	"nexus|POST|/wiki/:space/files/:id/delete":                      {accAdmin, objWikiFile},
	"nexus|POST|/wiki/:space/pages/:id/share":                       {accAdmin, objWikiPage},
	"nexus|POST|/wiki/:space/shares/:id/revoke":                     {accAdmin, objWikiShare},
	"nexus|POST|/wiki/:space/import":                                {accAdmin, ""},
	"nexus|POST|/wiki/:space/import/upload":                         {accAdmin, ""},
	"nexus|POST|/wiki/:space/import/upload/:upload":                 {accAdmin, objUpload},
	"nexus|POST|/wiki/:space/import/upload/:upload/finish":          {accAdmin, objUpload},
	// Nexus: Infrastructure > Data & Sheets (any tenant's tables).
	"nexus|GET|/data":                                          {accAdmin, ""},
	"nexus|GET|/data/tables/:id/":                              {accAdmin, objTable},
	"nexus|GET|/data/tables/:id/rows/:row":                     {accAdmin, objTable},
	"nexus|GET|/data/tables/:id/settings":                      {accAdmin, objTable},
	"nexus|GET|/data/tables/:id/export.csv":                    {accAdmin, objTable},
	"nexus|GET|/data/tables/:id/export.xlsx":                   {accAdmin, objTable},
	"nexus|GET|/data/tables/:id/import":                        {accAdmin, objTable},
	"nexus|GET|/data/tables/:id/imports/:job":                  {accAdmin, objTable},
	"nexus|GET|/data/tables/:id/charts":                        {accAdmin, objTable},
	"nexus|GET|/data/tables/:id/chart.svg":                     {accAdmin, objTable},
	"nexus|POST|/data/tables":                                  {accAdmin, ""},
	"nexus|POST|/data/tables/:id/rows":                         {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/rows/:row":                    {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/rows/:row/delete":             {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/cells":                        {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/settings":                     {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/columns":                      {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/columns/:key":                 {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/columns/:key/delete":          {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/columns/:key/move":            {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/delete":                       {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/import":                       {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/import/upload":                {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/import/upload/:upload":        {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/import/upload/:upload/finish": {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/imports/:job":                 {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/charts":                       {accAdmin, objTable},
	"nexus|POST|/data/tables/:id/charts/:chart/delete":         {accAdmin, objTable},
	// Nexus: Data & Sheets and Knowledge API (admin keys; ?tenant=B).
	"nexus|GET|/api/v1/tables":                          {accAdminKey, ""},
	"nexus|GET|/api/v1/tables/:id":                      {accAdminKey, objTable},
	"nexus|GET|/api/v1/tables/:id/rows":                 {accAdminKey, objTable},
	"nexus|GET|/api/v1/tables/:id/rows/:row":            {accAdminKey, objTable},
	"nexus|GET|/api/v1/wiki/pages":                      {accAdminKey, ""},
	"nexus|GET|/api/v1/wiki/pages/:id":                  {accAdminKey, objWikiPage},
	"nexus|GET|/api/v1/wiki/search":                     {accAdminKey, ""},
	"nexus|POST|/api/v1/tables":                         {accAdminKeyW, ""},
	"nexus|POST|/api/v1/tables/:id/rows":                {accAdminKeyW, objTable},
	"nexus|POST|/api/v1/tables/:id/rows/batch":          {accAdminKeyW, objTable},
	"nexus|POST|/api/v1/tables/:id/rows/delete":         {accAdminKeyW, objTable},
	"nexus|POST|/api/v1/wiki/pages":                     {accAdminKeyW, ""},
	"nexus|DELETE|/api/v1/tables/:id":                   {accAdminKeyW, objSpareTable},
	"nexus|DELETE|/api/v1/tables/:id/rows/:row":         {accAdminKeyW, objSpareRow},
	"nexus|DELETE|/api/v1/wiki/pages/:id":               {accAdminKeyW, objSpareWikiPage},
	"nexus|PATCH|/api/v1/tables/:id":                    {accAdminKeyW, objTable},
	"nexus|PATCH|/api/v1/tables/:id/rows/:row":          {accAdminKeyW, objTable},
	"nexus|PATCH|/api/v1/wiki/pages/:id":                {accAdminKeyW, objSpareWikiEdit},
	"nexus|GET|/api/v1/wiki/pages/:id/revisions":        {accAdminKey, objWikiPage},
	"nexus|GET|/api/v1/wiki/pages/:id/revisions/:n":     {accAdminKey, objWikiPage},
	"nexus|GET|/api/v1/wiki/pages/:id/attachments":      {accAdminKey, objWikiPage},
	"nexus|GET|/api/v1/wiki/pages/:id/shares":           {accAdminKey, objWikiPage},
	"nexus|GET|/api/v1/wiki/attachments/:id":            {accAdminKey, objWikiFile},
	"nexus|GET|/api/v1/wiki/export":                     {accAdminKey, ""},
	"nexus|POST|/api/v1/wiki/pages/:id/restore":         {accAdminKeyW, objSpareWikiKit},
	"nexus|POST|/api/v1/wiki/pages/:id/move":            {accAdminKeyW, objSpareWikiKit},
	"nexus|POST|/api/v1/wiki/pages/:id/attachments":     {accAdminKeyW, objSpareWikiKit},
	"nexus|POST|/api/v1/wiki/pages/:id/shares":          {accAdminKeyW, objSpareWikiKit},
	"nexus|POST|/api/v1/wiki/import":                    {accAdminKeyW, ""},
	"nexus|DELETE|/api/v1/wiki/attachments/:id":         {accAdminKeyW, objSpareWikiFile},
	"nexus|DELETE|/api/v1/wiki/pages/:id/shares/:share": {accAdminKeyW, objSpareWikiKit},
	// Agent Studio API: tenant keys see their own agents and
	// conversations; admin keys every tenant's (?tenant= narrows).
	"portal|GET|/api/v1/agents":                            {accTenantKey, ""},
	"portal|POST|/api/v1/agents":                           {accTenantKeyW, ""},
	"portal|GET|/api/v1/agents/:id":                        {accTenantKey, objAgent},
	"portal|PATCH|/api/v1/agents/:id":                      {accTenantKeyW, objAgent},
	"portal|GET|/api/v1/agents/:id/versions":               {accTenantKey, objAgent},
	"portal|GET|/api/v1/agent-conversations":               {accTenantKey, ""},
	"portal|GET|/api/v1/agent-conversations/:id":           {accTenantKey, objAgentConv},
	"portal|POST|/api/v1/agent-conversations/:id/takeover": {accTenantKeyW, objAgentLive},
	"portal|POST|/api/v1/agent-conversations/:id/handback": {accTenantKeyW, objAgentLive},
	"portal|POST|/api/v1/agent-conversations/:id/messages": {accTenantKeyW, objAgentLive},
	"portal|GET|/api/v1/agent-usage":                       {accTenantKey, ""},
	"nexus|GET|/api/v1/agents":                             {accAdminKey, ""},
	"nexus|POST|/api/v1/agents":                            {accAdminKeyW, ""},
	"nexus|GET|/api/v1/agents/:id":                         {accAdminKey, objAgent},
	"nexus|PATCH|/api/v1/agents/:id":                       {accAdminKeyW, objAgent},
	"nexus|GET|/api/v1/agents/:id/versions":                {accAdminKey, objAgent},
	"nexus|GET|/api/v1/agent-conversations":                {accAdminKey, ""},
	"nexus|GET|/api/v1/agent-conversations/:id":            {accAdminKey, objAgentConv},
	"nexus|POST|/api/v1/agent-conversations/:id/takeover":  {accAdminKeyW, objAgentLive},
	"nexus|POST|/api/v1/agent-conversations/:id/handback":  {accAdminKeyW, objAgentLive},
	"nexus|POST|/api/v1/agent-conversations/:id/messages":  {accAdminKeyW, objAgentLive},
	"nexus|GET|/api/v1/agent-usage":                        {accAdminKey, ""},
	"portal|GET|/api/v1/conversations":                     {accTenantKey, ""},
	"portal|GET|/api/v1/conversations/:id":                 {accTenantKey, objInboxConv},
	"portal|GET|/api/v1/conversations/:id/messages":        {accTenantKey, objInboxConv},
	"portal|POST|/api/v1/conversations/:id/messages":       {accTenantKeyW, objInboxConv},
	"portal|POST|/api/v1/conversations/:id/notes":          {accTenantKeyW, objInboxConv},
	"portal|PATCH|/api/v1/conversations/:id":               {accTenantKeyW, objInboxConv},
	"nexus|GET|/api/v1/conversations":                      {accAdminKey, ""},
	"nexus|GET|/api/v1/conversations/:id":                  {accAdminKey, objInboxConv},
	"nexus|GET|/api/v1/conversations/:id/messages":         {accAdminKey, objInboxConv},
	"nexus|POST|/api/v1/conversations/:id/messages":        {accAdminKeyW, objInboxConv},
	"nexus|POST|/api/v1/conversations/:id/notes":           {accAdminKeyW, objInboxConv},
	"nexus|PATCH|/api/v1/conversations/:id":                {accAdminKeyW, objInboxConv},

	// Conversations: an email's stored files (issue #18, inbox3).
	"portal|GET|/api/v1/conversations/:id/attachments/:attachment": {accTenantKey, objInboxEmail},
	"nexus|GET|/api/v1/conversations/:id/attachments/:attachment":  {accAdminKey, objInboxEmail},
	"portal|GET|/api/v1/inbox-hours":                               {accTenantKey, ""},
	"portal|PUT|/api/v1/inbox-hours":                               {accTenantKeyW, ""},
	"nexus|GET|/api/v1/inbox-hours":                                {accAdminKey, ""},
	"nexus|PUT|/api/v1/inbox-hours":                                {accAdminKeyW, ""},
	"portal|GET|/api/v1/inbox-inbound":                             {accTenantKey, ""},
	"portal|PUT|/api/v1/inbox-inbound":                             {accTenantKeyW, ""},
	"nexus|GET|/api/v1/inbox-inbound":                              {accAdminKey, ""},
	"nexus|PUT|/api/v1/inbox-inbound":                              {accAdminKeyW, ""},
	// Broadcasts (issue #18, inbox5): the portal's pages, both hosts' API
	// (admin keys name the tenant), and broadcast emails' signed
	// unsubscribe link (public: the signature is the key).
	"portal|GET|/inbox/broadcasts":              {accUser, ""},
	"portal|GET|/inbox/broadcasts/new":          {accOwner, ""},
	"portal|POST|/inbox/broadcasts":             {accOwner, ""},
	"portal|GET|/inbox/broadcasts/:id":          {accUser, objBroadcast},
	"portal|POST|/inbox/broadcasts/:id/cancel":  {accOwner, objBroadcast},
	"portal|GET|/unsubscribe":                   {accPublic, ""},
	"portal|POST|/unsubscribe":                  {accPublic, ""},
	"portal|GET|/api/v1/broadcasts":             {accTenantKey, ""},
	"portal|POST|/api/v1/broadcasts":            {accTenantKeyW, ""},
	"portal|POST|/api/v1/broadcasts/preview":    {accTenantKey, ""},
	"portal|GET|/api/v1/broadcasts/:id":         {accTenantKey, objBroadcast},
	"portal|POST|/api/v1/broadcasts/:id/cancel": {accTenantKeyW, objBroadcast},
	"nexus|GET|/api/v1/broadcasts":              {accAdminKey, ""},
	"nexus|POST|/api/v1/broadcasts":             {accAdminKeyW, ""},
	"nexus|POST|/api/v1/broadcasts/preview":     {accAdminKey, ""},
	"nexus|GET|/api/v1/broadcasts/:id":          {accAdminKey, objBroadcast},
	"nexus|POST|/api/v1/broadcasts/:id/cancel":  {accAdminKeyW, objBroadcast},
	// Quiet hours (issue #18, inbox5).
	"portal|GET|/inbox/quiet":                {accUser, ""},
	"portal|POST|/inbox/quiet":               {accOwner, ""},
	"portal|GET|/api/v1/inbox-quiet-hours":   {accTenantKey, ""},
	"portal|PUT|/api/v1/inbox-quiet-hours":   {accTenantKeyW, ""},
	"nexus|GET|/api/v1/inbox-quiet-hours":    {accAdminKey, ""},
	"nexus|PUT|/api/v1/inbox-quiet-hours":    {accAdminKeyW, ""},
	"portal|GET|/api/v1/inbox-mailbox":       {accTenantKey, ""},
	"portal|PUT|/api/v1/inbox-mailbox":       {accTenantKeyW, ""},
	"portal|POST|/api/v1/inbox-mailbox/poll": {accTenantKeyW, ""},
	"nexus|GET|/api/v1/inbox-mailbox":        {accAdminKey, ""},
	"nexus|PUT|/api/v1/inbox-mailbox":        {accAdminKeyW, ""},
	"nexus|POST|/api/v1/inbox-mailbox/poll":  {accAdminKeyW, ""},
	// Conversations reports (issue #18, convo6): the tenant's own; Nexus
	// every tenant's or one.
	"portal|GET|/inbox/reports":        {accUser, ""},
	"nexus|GET|/inbox/reports":         {accAdmin, ""},
	"portal|GET|/api/v1/inbox-reports": {accTenantKey, ""},
	"nexus|GET|/api/v1/inbox-reports":  {accAdminKey, ""},
	// Calls in threads: a call's recording (issue #18, convo6).
	"portal|GET|/inbox/:id/recordings/:mid":                    {accUser, objInboxCall},
	"nexus|GET|/inbox/:id/recordings/:mid":                     {accAdmin, objInboxCall},
	"portal|GET|/api/v1/conversations/:id/recordings/:message": {accTenantKey, objInboxCall},
	"nexus|GET|/api/v1/conversations/:id/recordings/:message":  {accAdminKey, objInboxCall},
	// Nexus: Control Room > CRM.
	"nexus|GET|/crm/pipeline":        {accAdmin, ""},
	"nexus|GET|/crm/tasks":           {accAdmin, ""},
	"nexus|GET|/crm/people":          {accAdmin, ""},
	"nexus|GET|/crm/people/:id":      {accAdmin, objPerson},
	"nexus|GET|/crm/companies":       {accAdmin, ""},
	"nexus|GET|/crm/companies/:id":   {accAdmin, objCompany},
	"nexus|GET|/crm/deals":           {accAdmin, ""},
	"nexus|GET|/crm/deals/:id":       {accAdmin, objDeal},
	"nexus|POST|/crm/deals/:id/move": {accAdmin, objDeal},
	// The house tenant's CRM, or ?tenant='s (audited), with the portal's handlers.
	"nexus|POST|/crm/tasks/:id/done":       {accAdmin, objTask},
	"nexus|POST|/crm/people/:id/merge":     {accAdmin, objPerson},
	"nexus|GET|/crm/people.csv":            {accAdmin, ""},
	"nexus|POST|/crm/people":               {accAdmin, ""},
	"nexus|POST|/crm/people/:id":           {accAdmin, objPerson},
	"nexus|POST|/crm/people/:id/delete":    {accAdmin, objPerson},
	"nexus|POST|/crm/people/:id/notes":     {accAdmin, objPerson},
	"nexus|POST|/crm/people/:id/tasks":     {accAdmin, objPerson},
	"nexus|POST|/crm/people/:id/tags":      {accAdmin, objPerson},
	"nexus|GET|/crm/companies.csv":         {accAdmin, ""},
	"nexus|POST|/crm/companies":            {accAdmin, ""},
	"nexus|POST|/crm/companies/:id":        {accAdmin, objCompany},
	"nexus|POST|/crm/companies/:id/delete": {accAdmin, objCompany},
	"nexus|POST|/crm/companies/:id/notes":  {accAdmin, objCompany},
	"nexus|POST|/crm/companies/:id/tasks":  {accAdmin, objCompany},
	"nexus|POST|/crm/companies/:id/tags":   {accAdmin, objCompany},
	"nexus|GET|/crm/deals.csv":             {accAdmin, ""},
	"nexus|POST|/crm/deals":                {accAdmin, ""},
	"nexus|POST|/crm/deals/:id":            {accAdmin, objDeal},
	"nexus|POST|/crm/deals/:id/delete":     {accAdmin, objDeal},
	"nexus|POST|/crm/deals/:id/notes":      {accAdmin, objDeal},
	"nexus|POST|/crm/deals/:id/tasks":      {accAdmin, objDeal},
	"nexus|POST|/crm/deals/:id/tags":       {accAdmin, objDeal},
	// Tenant export (issue #22).
	"nexus|GET|/tenants/:id/export":      {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/export":     {accAdmin, objTenant},
	"nexus|GET|/tenants/:id/export/:job": {accAdmin, objTenant},
	// Snapshots (issue #22): agency-wide, admins only.
	"nexus|GET|/snapshots":                     {accAdmin, ""},
	"nexus|POST|/snapshots":                    {accAdmin, ""},
	"nexus|GET|/snapshots/:id":                 {accAdmin, ""},
	"nexus|POST|/snapshots/:id/apply":          {accAdmin, ""},
	"nexus|POST|/snapshots/:id/delete":         {accAdmin, ""},
	"nexus|GET|/api/v1/snapshots":              {accAdminKey, ""},
	"nexus|POST|/api/v1/snapshots":             {accAdminKeyW, ""},
	"nexus|GET|/api/v1/snapshots/:id":          {accAdminKey, ""},
	"nexus|POST|/api/v1/snapshots/:id/preview": {accAdminKey, ""},
	"nexus|POST|/api/v1/snapshots/:id/apply":   {accAdminKeyW, ""},
	// New-client wizard (issue #22): wizard_test.go.
	"nexus|GET|/wizards":                          {accAdmin, ""},
	"nexus|POST|/wizards":                         {accAdmin, ""},
	"nexus|GET|/wizards/:id":                      {accAdmin, ""},
	"nexus|POST|/wizards/:id/steps/:step":         {accAdmin, ""},
	"nexus|POST|/wizards/:id/domain-check":        {accAdmin, ""},
	"nexus|GET|/api/v1/wizards":                   {accAdminKey, ""},
	"nexus|POST|/api/v1/wizards":                  {accAdminKeyW, ""},
	"nexus|GET|/api/v1/wizards/:id":               {accAdminKey, ""},
	"nexus|POST|/api/v1/wizards/:id/steps/:step":  {accAdminKeyW, ""},
	"nexus|POST|/api/v1/wizards/:id/domain-check": {accAdminKeyW, ""},
	// Tenant import from Nexus and the API (issue #22): tenant_import_test.go.
	"nexus|GET|/tenant-imports":                                {accAdmin, ""},
	"nexus|POST|/tenant-imports":                               {accAdmin, ""},
	"nexus|POST|/tenant-imports/upload":                        {accAdmin, ""},
	"nexus|POST|/tenant-imports/upload/:upload":                {accAdmin, ""},
	"nexus|POST|/tenant-imports/upload/:upload/finish":         {accAdmin, ""},
	"nexus|GET|/tenant-imports/:job":                           {accAdmin, ""},
	"nexus|POST|/tenant-imports/:job/check":                    {accAdmin, ""},
	"nexus|POST|/tenant-imports/:job/run":                      {accAdmin, ""},
	"nexus|GET|/api/v1/tenant-imports":                         {accAdminKey, ""},
	"nexus|POST|/api/v1/tenant-imports/uploads":                {accAdminKeyW, ""},
	"nexus|POST|/api/v1/tenant-imports/uploads/:upload":        {accAdminKeyW, ""},
	"nexus|POST|/api/v1/tenant-imports/uploads/:upload/finish": {accAdminKeyW, ""},
	"nexus|GET|/api/v1/tenant-imports/:id":                     {accAdminKey, ""},
	"nexus|POST|/api/v1/tenant-imports/:id/run":                {accAdminKeyW, ""},
	// Brand & press kit (issue #22): brand_test.go.
	"portal|GET|/brand":                                      {accUser, ""},
	"portal|POST|/brand":                                     {accOwner, ""},
	"portal|POST|/brand/logos/:variant":                      {accOwner, ""},
	"portal|POST|/brand/logos/:variant/delete":               {accOwner, ""},
	"portal|GET|/brand/assets/:asset":                        {accUser, objBrandAsset},
	"portal|POST|/brand/assets/:asset/delete":                {accOwner, objBrandSpareAsset},
	"portal|POST|/brand/screenshots":                         {accOwner, ""},
	"portal|POST|/brand/people":                              {accOwner, ""},
	"portal|POST|/brand/people/:person/delete":               {accOwner, objBrandPerson},
	"portal|GET|/brand/releases/new":                         {accUser, ""},
	"portal|POST|/brand/releases":                            {accOwner, ""},
	"portal|GET|/brand/releases/:release":                    {accUser, objBrandRelease},
	"portal|POST|/brand/releases/:release":                   {accOwner, objBrandRelease},
	"portal|POST|/brand/releases/:release/delete":            {accOwner, objBrandSpareRelease},
	"portal|GET|/brand/kit.zip":                              {accUser, ""},
	"nexus|GET|/brand":                                       {accAdmin, ""},
	"nexus|GET|/brand/tenants/:id":                           {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id":                          {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id/logos/:variant":           {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id/logos/:variant/delete":    {accAdmin, objBrandTenant},
	"nexus|GET|/brand/tenants/:id/assets/:asset":             {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id/assets/:asset/delete":     {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id/screenshots":              {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id/people":                   {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id/people/:person/delete":    {accAdmin, objBrandTenant},
	"nexus|GET|/brand/tenants/:id/releases/new":              {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id/releases":                 {accAdmin, objBrandTenant},
	"nexus|GET|/brand/tenants/:id/releases/:release":         {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id/releases/:release":        {accAdmin, objBrandTenant},
	"nexus|POST|/brand/tenants/:id/releases/:release/delete": {accAdmin, objBrandTenant},
	"nexus|GET|/brand/tenants/:id/kit.zip":                   {accAdmin, objBrandTenant},
	"site|GET|/press":                                        {accPublic, ""},
	"site|GET|/press/kit.zip":                                {accPublic, ""},
	"site|GET|/press/kit.css":                                {accPublic, ""},
	"site|GET|/press/logo":                                   {accPublic, ""},
	"site|GET|/press/assets/:asset":                          {accPublic, ""},
	"site|GET|/press/:slug":                                  {accPublic, ""},
	"portal|GET|/press":                                      {accPublic, ""},
	"portal|GET|/press/kit.zip":                              {accPublic, ""},
	"portal|GET|/press/kit.css":                              {accPublic, ""},
	"portal|GET|/press/logo":                                 {accPublic, ""},
	"portal|GET|/press/assets/:asset":                        {accPublic, objBrandAsset},
	"portal|GET|/press/:slug":                                {accPublic, ""},
	"sites|GET|/press":                                       {accPublic, ""},
	"sites|GET|/press/kit.zip":                               {accPublic, ""},
	"sites|GET|/press/kit.css":                               {accPublic, ""},
	"sites|GET|/press/logo":                                  {accPublic, ""},
	"sites|GET|/press/assets/:asset":                         {accPublic, ""},
	"sites|GET|/press/:slug":                                 {accPublic, ""},
	"portal|GET|/api/v1/brand":                               {accTenantKey, ""},
	"portal|PUT|/api/v1/brand":                               {accTenantKeyW, ""},
	"portal|PUT|/api/v1/brand/logos/:variant":                {accTenantKeyW, ""},
	"portal|DELETE|/api/v1/brand/logos/:variant":             {accTenantKeyW, ""},
	"portal|POST|/api/v1/brand/screenshots":                  {accTenantKeyW, ""},
	"portal|GET|/api/v1/brand/assets/:id":                    {accTenantKey, objBrandAsset},
	"portal|DELETE|/api/v1/brand/assets/:id":                 {accTenantKeyW, objBrandSpareAsset},
	"portal|POST|/api/v1/brand/people":                       {accTenantKeyW, ""},
	"portal|DELETE|/api/v1/brand/people/:id":                 {accTenantKeyW, objBrandPerson},
	"portal|GET|/api/v1/brand/releases":                      {accTenantKey, ""},
	"portal|POST|/api/v1/brand/releases":                     {accTenantKeyW, ""},
	"portal|GET|/api/v1/brand/releases/:id":                  {accTenantKey, objBrandRelease},
	"portal|PUT|/api/v1/brand/releases/:id":                  {accTenantKeyW, objBrandRelease},
	"portal|DELETE|/api/v1/brand/releases/:id":               {accTenantKeyW, objBrandSpareRelease},
	"portal|GET|/api/v1/brand/kit.zip":                       {accTenantKey, ""},
	"nexus|GET|/api/v1/brand":                                {accAdminKey, ""},
	"nexus|PUT|/api/v1/brand":                                {accAdminKeyW, ""},
	"nexus|PUT|/api/v1/brand/logos/:variant":                 {accAdminKeyW, ""},
	"nexus|DELETE|/api/v1/brand/logos/:variant":              {accAdminKeyW, ""},
	"nexus|POST|/api/v1/brand/screenshots":                   {accAdminKeyW, ""},
	"nexus|GET|/api/v1/brand/assets/:id":                     {accAdminKey, objBrandAsset},
	"nexus|DELETE|/api/v1/brand/assets/:id":                  {accAdminKeyW, objBrandSpareAsset},
	"nexus|POST|/api/v1/brand/people":                        {accAdminKeyW, ""},
	"nexus|DELETE|/api/v1/brand/people/:id":                  {accAdminKeyW, objBrandPerson},
	"nexus|GET|/api/v1/brand/releases":                       {accAdminKey, ""},
	"nexus|POST|/api/v1/brand/releases":                      {accAdminKeyW, ""},
	"nexus|GET|/api/v1/brand/releases/:id":                   {accAdminKey, objBrandRelease},
	"nexus|PUT|/api/v1/brand/releases/:id":                   {accAdminKeyW, objBrandRelease},
	"nexus|DELETE|/api/v1/brand/releases/:id":                {accAdminKeyW, objBrandSpareRelease},
	"nexus|GET|/api/v1/brand/kit.zip":                        {accAdminKey, ""},
	// Creators (UGC, issue #22): creators_test.go.
	"portal|GET|/creators":                                              {accUser, ""},
	"portal|POST|/creators/profiles":                                    {accOwner, ""},
	"portal|POST|/creators/campaigns":                                   {accOwner, ""},
	"portal|GET|/creators/campaigns/:campaign":                          {accUser, objCreatorCampaign},
	"portal|POST|/creators/campaigns/:campaign":                         {accOwner, objCreatorCampaign},
	"portal|POST|/creators/campaigns/:campaign/deliverables":            {accOwner, objCreatorCampaign},
	"portal|POST|/creators/campaigns/:campaign/delete":                  {accOwner, objCreatorCampaign},
	"portal|POST|/creators/profiles/:profile":                           {accOwner, objCreatorProfile},
	"portal|POST|/creators/deliverables/:deliverable":                   {accOwner, objCreatorDeliverable},
	"portal|POST|/creators/deliverables/:deliverable/delete":            {accOwner, objCreatorDeliverable},
	"portal|GET|/creators/deliverables/:deliverable":                    {accUser, objCreatorDeliverable},
	"portal|POST|/creators/deliverables/:deliverable/status":            {accOwner, objCreatorDeliverable},
	"portal|POST|/creators/deliverables/:deliverable/paid":              {accOwner, objCreatorDeliverable},
	"portal|POST|/creators/deliverables/:deliverable/link":              {accOwner, objCreatorDeliverable},
	"portal|GET|/creators/deliverables/:deliverable/file":               {accUser, objCreatorDeliverable},
	"portal|GET|/c/:token":                                              {accPublic, ""},
	"portal|POST|/c/:token":                                             {accPublic, ""},
	"nexus|GET|/creators":                                               {accAdmin, ""},
	"nexus|GET|/creators/tenants/:id":                                   {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/profiles":                         {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/campaigns":                        {accAdmin, objCreatorTenant},
	"nexus|GET|/creators/tenants/:id/campaigns/:campaign":               {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/campaigns/:campaign":              {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/campaigns/:campaign/deliverables": {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/campaigns/:campaign/delete":       {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/profiles/:profile":                {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/deliverables/:deliverable":        {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/deliverables/:deliverable/delete": {accAdmin, objCreatorTenant},
	"nexus|GET|/creators/tenants/:id/deliverables/:deliverable":         {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/deliverables/:deliverable/status": {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/deliverables/:deliverable/paid":   {accAdmin, objCreatorTenant},
	"nexus|POST|/creators/tenants/:id/deliverables/:deliverable/link":   {accAdmin, objCreatorTenant},
	"nexus|GET|/creators/tenants/:id/deliverables/:deliverable/file":    {accAdmin, objCreatorTenant},
	"portal|GET|/api/v1/creators":                                       {accTenantKey, ""},
	"portal|POST|/api/v1/creators":                                      {accTenantKeyW, ""},
	"portal|GET|/api/v1/creator-campaigns":                              {accTenantKey, ""},
	"portal|POST|/api/v1/creator-campaigns":                             {accTenantKeyW, ""},
	"portal|GET|/api/v1/creator-campaigns/:id":                          {accTenantKey, objCreatorCampaign},
	"portal|POST|/api/v1/creator-campaigns/:id/deliverables":            {accTenantKeyW, objCreatorCampaign},
	"portal|GET|/api/v1/creator-deliverables/:id":                       {accTenantKey, objCreatorDeliverable},
	"portal|POST|/api/v1/creator-deliverables/:id/status":               {accTenantKeyW, objCreatorDeliverable},
	"portal|PUT|/api/v1/creator-deliverables/:id/paid":                  {accTenantKeyW, objCreatorDeliverable},
	"portal|PUT|/api/v1/creators/:id":                                   {accTenantKeyW, objCreatorProfile},
	"portal|DELETE|/api/v1/creator-campaigns/:id":                       {accTenantKeyW, objCreatorCampaign},
	"portal|PUT|/api/v1/creator-deliverables/:id":                       {accTenantKeyW, objCreatorDeliverable},
	"portal|DELETE|/api/v1/creator-deliverables/:id":                    {accTenantKeyW, objCreatorDeliverable},
	"nexus|GET|/api/v1/creators":                                        {accAdminKey, ""},
	"nexus|POST|/api/v1/creators":                                       {accAdminKeyW, ""},
	"nexus|GET|/api/v1/creator-campaigns":                               {accAdminKey, ""},
	"nexus|POST|/api/v1/creator-campaigns":                              {accAdminKeyW, ""},
	"nexus|GET|/api/v1/creator-campaigns/:id":                           {accAdminKey, objCreatorCampaign},
	"nexus|POST|/api/v1/creator-campaigns/:id/deliverables":             {accAdminKeyW, objCreatorCampaign},
	"nexus|GET|/api/v1/creator-deliverables/:id":                        {accAdminKey, objCreatorDeliverable},
	"nexus|POST|/api/v1/creator-deliverables/:id/status":                {accAdminKeyW, objCreatorDeliverable},
	"nexus|PUT|/api/v1/creator-deliverables/:id/paid":                   {accAdminKeyW, objCreatorDeliverable},
	"nexus|PUT|/api/v1/creators/:id":                                    {accAdminKeyW, objCreatorProfile},
	"nexus|DELETE|/api/v1/creator-campaigns/:id":                        {accAdminKeyW, objCreatorCampaign},
	"nexus|PUT|/api/v1/creator-deliverables/:id":                        {accAdminKeyW, objCreatorDeliverable},
	"nexus|DELETE|/api/v1/creator-deliverables/:id":                     {accAdminKeyW, objCreatorDeliverable},
}

type isoRoute struct {
	Host, Method, Path string
	Line               isoLine
}

// isoRegisteredRoutes lists every route of every host app, failing the test
// for any route without a isolationMatrix line.
func isoRegisteredRoutes(t *testing.T, s *ui.Server) []isoRoute {
	var out []isoRoute
	seen := map[string]bool{}
	for _, h := range []string{ui.HostSite, ui.HostPortal, ui.HostNexus, sitesui.HostSites} {
		rs := s.Routes(h)
		if len(rs) == 0 {
			t.Fatalf("host %s has no routes", h)
		}
		for _, r := range rs {
			if r.Method == http.MethodHead || r.Method == http.MethodConnect || r.Method == http.MethodTrace || r.Method == http.MethodOptions {
				continue
			}
			key := h + "|" + r.Method + "|" + r.Path
			if seen[key] {
				continue
			}
			seen[key] = true
			line, ok := isolationMatrix[key]
			if !ok {
				line, ok = isolationMatrix["*|"+r.Method+"|"+r.Path]
			}
			if !ok {
				t.Errorf("route %s %s on %s has no line in the isolation matrix (ui/isolation_test.go): add %q", r.Method, r.Path, h, key)
				continue
			}
			out = append(out, isoRoute{h, r.Method, r.Path, line})
		}
	}
	return out
}

// fill puts B's object (or harmless values) in a route's parameters.
func (e *tenantEnv) fill(r isoRoute) string {
	p := r.Path
	var id string
	switch r.Line.Obj {
	case objLead:
		id = strconv.FormatInt(e.B.Lead.ID, 10)
	case objUser:
		id = strconv.FormatInt(e.B.Owner.ID, 10)
	case objKey:
		id = strconv.FormatInt(e.B.KeyID, 10)
	case objSession:
		id = e.B.SessionKey
	case objTenant:
		id = strconv.FormatInt(e.B.T.ID, 10)
	case objAdminSession:
		id = e.OtherAdminSessionKey
	case objMergePerson:
		id = strconv.FormatInt(e.B.MergeKeep.ID, 10)
	case objPipeline:
		id = strconv.FormatInt(e.B.PipelineID, 10)
	case objWebhook:
		id = strconv.FormatInt(e.B.WebhookID, 10)
	case objDelivery:
		id = strconv.FormatInt(e.B.DeliveryID, 10)
	case objCustomField:
		id = strconv.FormatInt(e.B.CustomField.ID, 10)
	case objImportJob:
		id = strconv.FormatInt(e.B.ImportJob.ID, 10)
	case objView:
		id = strconv.FormatInt(e.B.View.ID, 10)
	case objAutoRequest:
		id = strconv.FormatInt(e.B.AutoRequestID, 10)
	case objWorkflow:
		id = strconv.FormatInt(e.B.WorkflowID, 10)
	case objRun:
		id = strconv.FormatInt(e.B.RunID, 10)
	case objForm:
		id = strconv.FormatInt(e.B.FormID, 10)
	case objWikiPage:
		id = strconv.FormatInt(e.B.WikiPage.ID, 10)
	case objEventType:
		id = strconv.FormatInt(e.B.EventTypeID, 10)
	case objBooking:
		id = strconv.FormatInt(e.B.BookingID, 10)
	case objCalendar:
		id = strconv.FormatInt(e.B.CalendarID, 10)
	case objCalendarSource:
		id = strconv.FormatInt(e.B.CalendarSourceID, 10)
	case objWikiFile:
		id = strconv.FormatInt(e.B.WikiFileID, 10)
	case objAgent:
		id = strconv.FormatInt(e.B.Agent.ID, 10)
	case objAgentConv:
		id = strconv.FormatInt(e.B.AgentConv.ID, 10)
	case objAgentLive:
		id = strconv.FormatInt(e.B.AgentLive.ID, 10)
	case objInboxConv, objInboxCanned, objInboxEmail:
		id = e.inboxFixture(r.Line.Obj) // inbox_test.go
	case objInboxCall:
		var mid string
		id, mid = e.inboxCallFixture() // inbox_calls_test.go
		p = strings.ReplaceAll(strings.ReplaceAll(p, ":mid", mid), ":message", mid)
	case objBroadcast:
		id = e.isoBroadcastFixture() // inbox_broadcast_test.go
	case objBrandAsset, objBrandSpareAsset, objBrandPerson, objBrandRelease, objBrandSpareRelease, objBrandTenant:
		id, p = e.brandFill(r.Line.Obj, p) // brand_test.go
	case objCreatorCampaign, objCreatorDeliverable, objCreatorTenant, objCreatorProfile:
		id, p = e.creatorFill(r.Line.Obj, p) // creators_test.go
	case objBillingPlan:
		id = e.billingPlanFixture() // billing_test.go
	case objBillingInvoice:
		id = e.billingInvoiceFixture()
	case objBillingTenantInvoice:
		id = strconv.FormatInt(e.B.T.ID, 10)
		p = strings.ReplaceAll(p, ":inv", e.billingInvoiceFixture())
	case objCourse, objCourseLesson, objCourseMember, objCourseSlug:
		id, p = e.coursesFill(r.Line.Obj, p) // courses_test.go
	case objSpace, objSpaceSlug, objPost, objEvent, objComment:
		id, p = e.communityFill(r.Line.Obj, p) // community_test.go
	case objWikiShare:
		id = strconv.FormatInt(e.B.WikiShare.ID, 10)
	case objSpareWikiPage:
		id = strconv.FormatInt(e.B.SpareWikiPageID, 10)
	case objSpareWikiEdit:
		id = strconv.FormatInt(e.B.SpareWikiEditID, 10)
	case objSpareWikiKit:
		id = strconv.FormatInt(e.B.SpareWikiKitID, 10)
		p = strings.ReplaceAll(p, ":share", strconv.FormatInt(e.B.SpareWikiShareID, 10))
	case objSpareWikiFile:
		id = strconv.FormatInt(e.B.SpareWikiFileID, 10)
	case objSpareRow:
		id = strconv.FormatInt(e.B.Table.ID, 10)
		p = strings.ReplaceAll(p, ":row", strconv.FormatInt(e.B.SpareRowID, 10))
	case objSpareTable:
		id = strconv.FormatInt(e.B.SpareTableID, 10)
		p = strings.ReplaceAll(p, ":row", strconv.FormatInt(e.B.SpareTableRowID, 10))
	case objTable:
		id = strconv.FormatInt(e.B.Table.ID, 10)
		p = strings.ReplaceAll(p, ":row", strconv.FormatInt(e.B.TableRowID, 10))
		p = strings.ReplaceAll(p, ":job", strconv.FormatInt(e.B.ImportJobID, 10))
		p = strings.ReplaceAll(p, ":chart", e.B.Table.Charts[0].ID)
		p = strings.ReplaceAll(p, "/columns/:key", "/columns/"+e.B.Table.Columns[0].Key)
	case objHouseForm:
		id = strconv.FormatInt(e.HouseFormID, 10)
	case objTool:
		id = strconv.FormatInt(e.ToolID, 10)
	case objSpareTool:
		id = strconv.FormatInt(e.SpareToolID, 10)
	case objSite:
		id = strconv.FormatInt(e.B.Site.ID, 10)
	case objSitePage:
		id = strconv.FormatInt(e.B.Site.ID, 10)
		p = strings.ReplaceAll(p, ":page", strconv.FormatInt(e.B.SitePage.ID, 10))
	case objHouseSite:
		id = strconv.FormatInt(e.HouseSite.ID, 10)
	case objHouseSitePage:
		id = strconv.FormatInt(e.HouseSite.ID, 10)
		p = strings.ReplaceAll(p, ":page", strconv.FormatInt(e.HouseSitePage.ID, 10))
	case objPerson, objCompany, objDeal, objNote, objTask, objSparePerson, objSpareCompany, objSpareDeal, objSpareNote, objSpareTask,
		objRestPerson, objRestCompany, objRestDeal, objRestNote, objRestTask:
		f := e.B.CRM
		kind := r.Line.Obj
		if k, ok := strings.CutPrefix(kind, "spare:"); ok {
			f, kind = e.B.Spare, k
		} else if k, ok := strings.CutPrefix(kind, "rest:"); ok {
			f, kind = e.B.RestSpare, k
		}
		id = strconv.FormatInt(map[string]int64{objPerson: f.Person.ID, objCompany: f.Company.ID, objDeal: f.Deal.ID, objNote: f.Note.ID, objTask: f.Task.ID}[kind], 10)
	default:
		id = "1"
	}
	p = strings.ReplaceAll(p, ":upload", e.B.UploadID)
	p = strings.ReplaceAll(p, ":space", strconv.FormatInt(e.B.WikiPage.SpaceID, 10))
	p = strings.ReplaceAll(p, ":token", e.B.WikiShare.Token)
	if strings.HasSuffix(p, "/:n") { // a revision number
		p = strings.TrimSuffix(p, ":n") + "1"
	}
	if r.Line.Obj == objWikiSlug {
		p = strings.ReplaceAll(p, ":slug", e.B.WikiPage.Slug)
	}
	if r.Line.Obj == objInboxEmail {
		p = strings.ReplaceAll(p, ":mid", e.inboxFixture("inboxmsg"))
		p = strings.ReplaceAll(p, ":aid", e.inboxFixture("inboxatt"))
		p = strings.ReplaceAll(p, ":attachment", e.inboxFixture("inboxatt"))
	}
	p = strings.ReplaceAll(p, ":noticeId", e.NoticeID)
	p = strings.ReplaceAll(p, ":grantId", "361874")
	p = strings.ReplaceAll(p, ":slug?", "")
	p = strings.ReplaceAll(p, ":kid", strconv.FormatInt(e.B.KeyID, 10))
	p = strings.ReplaceAll(p, ":id", id)
	p = strings.ReplaceAll(p, "/integrations/:key/settings", "/integrations/model/settings") // the one with settings
	p = strings.ReplaceAll(p, "/integrations/:key", "/integrations/smtp")                    // not configured here: its test fails at once
	p = strings.ReplaceAll(p, ":key", id)
	p = strings.ReplaceAll(p, ":slug", "pricing")
	p = strings.ReplaceAll(p, "*", "x")
	return p
}

// isoCRMRequest gives CRM API writes a body valid for every record type
// (a note or task on B's person), and Nexus creates and pipelines
// ?tenant=B, so the admin key's requests succeed.
func (e *tenantEnv) isoCRMRequest(r isoRoute, req *treq) {
	crm := false
	for _, p := range []string{"people", "companies", "opportunities", "notes", "tasks", "pipelines", "custom-fields"} {
		if strings.HasPrefix(r.Path, "/api/v1/"+p) {
			crm = true
		}
	}
	if !crm {
		return
	}
	rec := `{"stages":[{"name":"Api stage"}],"object":"person","key":"api_field","type":"text","merge_id":` + strconv.FormatInt(e.B.MergeDrop.ID, 10) + `,"first_name":"Api","email":"api@a.test","name":"Api Tenant","title":"Api task","record_type":"person","record_id":` +
		strconv.FormatInt(e.B.CRM.Person.ID, 10) + `,"body":"Api note"}`
	if r.Method == http.MethodPost {
		req.JSON = rec
		if strings.HasSuffix(r.Path, "/batch") {
			req.JSON = `{"records":[` + rec + `]}`
		}
	}
	if r.Host == ui.HostNexus && (r.Method == http.MethodPost || strings.HasPrefix(r.Path, "/api/v1/pipelines") || strings.HasPrefix(r.Path, "/api/v1/custom-fields")) {
		req.Path += "?tenant=" + strconv.FormatInt(e.B.T.ID, 10)
	}
}

// isoCalendarRequest gives the calendar API valid bodies (free times of
// B's event type) and Nexus's requests ?tenant=B; cancels take B's spare
// booking so the reschedule still finds an active one.
func (e *tenantEnv) isoCalendarRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/calendar") {
		return
	}
	day := func(n, h int) string {
		return time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, n).Add(time.Duration(h) * time.Hour).Format(time.RFC3339)
	}
	switch {
	case r.Path == "/api/v1/calendar/bookings" && r.Method == http.MethodPost:
		req.JSON = `{"event_type_id":` + strconv.FormatInt(e.B.EventTypeID, 10) + `,"start":"` + day(8, 10) + `","name":"Api Guest","email":"api-guest@booking.test"}`
	case strings.HasSuffix(r.Path, "/reschedule"):
		req.JSON = `{"start":"` + day(9, 10) + `"}`
	case strings.HasSuffix(r.Path, "/sources") && r.Method == http.MethodPost:
		req.JSON = `{"kind":"ics","url":"` + icsFeedURL() + `"}`
	case strings.HasSuffix(r.Path, "/choose"):
		req.JSON = `{"busy":["/dav/work/"],"target":"/dav/work/"}`
	case strings.HasPrefix(r.Path, "/api/v1/calendar/event-types") && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		slug := "call" // PUT keeps B's fixture as it was; each POST makes a new one
		if r.Method == http.MethodPost {
			slug = "iso-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		}
		req.JSON = `{"slug":"` + slug + `","title":"Iso call","durations":[30],"hosts":[` + strconv.FormatInt(e.B.CalendarID, 10) + `]}`
	case strings.HasSuffix(r.Path, "/cancel"):
		req.Path = strings.Replace(req.Path, "/"+strconv.FormatInt(e.B.BookingID, 10)+"/", "/"+strconv.FormatInt(e.B.SpareBookingID, 10)+"/", 1)
		req.JSON = `{"reason":"isolation test"}`
	}
	if r.Host == ui.HostNexus {
		req.Path += "?tenant=" + strconv.FormatInt(e.B.T.ID, 10)
	}
}

// isoCalendarPage names tenant B on Nexus's calendar pages (Nexus shows
// the agency's calendar unless ?tenant= says whose).
func (e *tenantEnv) isoCalendarPage(r isoRoute, req *treq) {
	if r.Host == ui.HostNexus && strings.HasPrefix(r.Path, "/calendar") {
		req.Path += "?tenant=" + strconv.FormatInt(e.B.T.ID, 10)
	}
}

// isoKnowledgeRequest gives the tables and wiki API valid bodies, and
// Nexus's requests ?tenant=B, so the admin key's requests succeed.
func (e *tenantEnv) isoKnowledgeRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/tables") && !strings.HasPrefix(r.Path, "/api/v1/wiki") {
		return
	}
	switch {
	case r.Path == "/api/v1/tables" && r.Method == http.MethodPost:
		req.JSON = `{"name":"Api table","columns":[{"name":"Service"}]}`
	case r.Path == "/api/v1/tables/:id" && r.Method == http.MethodPatch:
		req.JSON = `{"description":"changed by the API"}`
	case strings.HasSuffix(r.Path, "/rows/batch"):
		req.JSON = `{"records":[{"values":{"service":"api row"}}]}`
	case strings.HasSuffix(r.Path, "/rows/delete"):
		req.JSON = `{"ids":[999999999]}`
	case strings.HasSuffix(r.Path, "/rows") && r.Method == http.MethodPost:
		req.JSON = `{"values":{"service":"api row"}}`
	case strings.HasSuffix(r.Path, "/rows/:row") && r.Method == http.MethodPatch:
		req.JSON = `{"values":{"price":"5"}}`
	case r.Path == "/api/v1/wiki/pages" && r.Method == http.MethodPost:
		req.JSON = `{"title":"Api page","body":"from the API"}`
	case r.Path == "/api/v1/wiki/pages/:id" && r.Method == http.MethodPatch:
		req.JSON = `{"body":"changed","revision":1}`
	case strings.HasSuffix(r.Path, "/restore"):
		req.JSON = `{"number":1,"revision":1}`
	case strings.HasSuffix(r.Path, "/move"):
		req.JSON = `{"parent_id":0,"position":0}`
	case strings.HasSuffix(r.Path, "/attachments") && r.Method == http.MethodPost:
		req.JSON = ""
		req.Raw, req.ContentType = multipartFile(e.t, "api.txt", []byte("from the API"))
	case r.Path == "/api/v1/wiki/import":
		req.JSON = ""
		req.Raw, req.ContentType = multipartFile(e.t, "space.zip", []byte(zipOf(e.t, map[string]string{"Api import.md": "imported"})))
	case strings.HasSuffix(r.Path, "/shares") && r.Method == http.MethodPost:
		req.JSON = ""
	}
	req.Path = strings.ReplaceAll(req.Path, "/revisions/:n", "/revisions/1")
	if r.Path == "/api/v1/wiki/search" {
		req.Path += "?q=sop"
	}
	if r.Host == ui.HostNexus && (strings.HasPrefix(r.Path, "/api/v1/wiki") || r.Path == "/api/v1/tables") {
		sep := "?"
		if strings.Contains(req.Path, "?") {
			sep = "&"
		}
		req.Path += sep + "tenant=" + strconv.FormatInt(e.B.T.ID, 10)
	}
}

// isoAgentRequest gives the Agent Studio API valid bodies (Nexus creates
// in B); before Nexus writes to B's live conversation the admin key takes
// it over (the route order is not fixed, so a hand-back may come first).
func (e *tenantEnv) isoAgentRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/agent") {
		return
	}
	switch {
	case r.Path == "/api/v1/agents" && r.Method == http.MethodPost:
		req.JSON = `{"tenant_id":` + strconv.FormatInt(e.B.T.ID, 10) + `,"name":"Api agent","config":{"instructions":"Answer briefly."}}`
	case r.Method == http.MethodPatch:
		req.JSON = `{"config":{"greeting":"Hello from the API"}}`
	case strings.HasSuffix(r.Path, "/messages"):
		req.JSON = `{"text":"A person of the agency here."}`
		if r.Host == ui.HostNexus {
			ctx := context.Background()
			k, err := e.Server.APIKeys.Authenticate(ctx, e.AdminKeyW)
			if err != nil {
				e.t.Fatal(err)
			}
			if err := e.App.Agents.TakeOver(app.NewContextWithAPIKey(ctx, k), e.B.AgentLive.ID); err != nil {
				e.t.Fatal(err)
			}
		}
	}
}

// isoTwentyRequest gives /rest writes Twenty-shaped bodies valid for
// each object (notes on B's person), Nexus creates ?tenant=B, and
// /graphql a query of every object.
func (e *tenantEnv) isoTwentyRequest(r isoRoute, req *treq) {
	if strings.Contains(r.Path, "graphql") {
		q := `{ people(first: 50) { totalCount edges { node { id name { firstName } emails { primaryEmail } } } } companies { edges { node { name domainName { primaryLinkUrl } } } } notes { edges { node { bodyV2 { markdown } } } } }`
		if r.Method == http.MethodGet {
			req.Path += "?query=" + url.QueryEscape(q)
		} else {
			req.JSON = gqlBody(q, nil)
		}
		return
	}
	person := twenty.FormatID(e.B.CRM.Person.ID)
	bodies := map[string]string{
		"people": `{"name":{"firstName":"Api"},"emails":{"primaryEmail":"api@a.test"}}`, "companies": `{"name":"Api Co"}`,
		"opportunities": `{"name":"Api deal"}`, "notes": `{"bodyV2":{"markdown":"Api note"},"personId":"` + person + `"}`, "tasks": `{"title":"Api task"}`,
	}
	updates := map[string]string{"people": `{"jobTitle":"Api"}`, "companies": `{"industry":"Api"}`, "opportunities": `{"probability":40}`,
		"notes": `{"bodyV2":{"markdown":"Api edit"}}`, "tasks": `{"status":"DONE"}`}
	obj := strings.Split(strings.TrimPrefix(strings.TrimPrefix(r.Path, "/rest/"), "batch/"), "/")[0]
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/rest/batch/"):
		req.JSON = "[" + bodies[obj] + "]"
	case r.Method == http.MethodPost:
		req.JSON = bodies[obj]
	case r.Method == http.MethodPatch || r.Method == http.MethodPut:
		req.JSON = updates[obj]
	}
	if r.Host == ui.HostNexus && r.Method == http.MethodPost {
		req.Path += "?tenant=" + strconv.FormatInt(e.B.T.ID, 10)
	}
}

// bMarkers are strings only tenant B's data contains.
func (e *tenantEnv) bMarkers() []string {
	return []string{e.B.Tag, e.B.T.Name, e.B.Lead.FirstName, e.B.Owner.Email, e.B.Lead.Email, e.B.KeyRead[:12],
		e.B.CRM.Person.Emails[0], e.B.CRM.Note.Body, e.B.CRM.Company.Domain, "import@" + e.B.T.Slug + ".test", e.B.WikiPage.Body, e.B.WikiShare.Token, e.B.T.Name + " secret service"}
}

func isoAuthRefusal(status int, resp *http.Response) bool {
	loc := resp.Header.Get("Location")
	return status == http.StatusUnauthorized || status == http.StatusSeeOther && (strings.HasPrefix(loc, "/login") || strings.HasPrefix(loc, "/learn/login"))
}

func TestIsolationMatrix(t *testing.T) {
	e := newTenantEnv(t)
	routes := isoRegisteredRoutes(t, e.Server)
	if t.Failed() {
		t.FailNow()
	}
	for _, r := range routes {
		name := r.Host + " " + r.Method + " " + r.Path
		path := e.fill(r)
		post := r.Method != http.MethodGet
		base := treq{Host: r.Host, Method: r.Method, Path: path, CSRF: post}
		if r.Line.Obj == objTag {
			base.Form = url.Values{"tag": {e.B.Tag}, "to": {"renamed-by-a"}}
		}
		if strings.HasPrefix(r.Path, "/rest/") || r.Path == "/graphql" {
			base.CSRF = false
			e.isoTwentyRequest(r, &base)
		}
		if r.Path == "/mcp" && r.Method == http.MethodPost {
			// A tool call that lists every person the key can see.
			base.CSRF = false
			base.JSON = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_records","arguments":{"object":"people","limit":100}}}`
			base.Header = map[string]string{"Accept": "application/json, text/event-stream"}
		}
		if strings.HasPrefix(r.Path, "/api/") {
			base.CSRF = false
			if r.Method == http.MethodPost {
				base.JSON = `{"first_name":"Api","email":"api@a.test","name":"Api Tenant"}`
			}
			e.isoCourseRequest(r, &base)    // courses_test.go
			e.isoCommunityRequest(r, &base) // community_test.go

			e.isoCRMRequest(r, &base)
			e.isoKnowledgeRequest(r, &base)
			e.isoCalendarRequest(r, &base)
			e.isoSitesRequest(r, &base) // sites_test.go
			e.isoAgentRequest(r, &base)
			e.isoToolRequest(r, &base)         // foss_tools_test.go
			e.isoInboxRequest(r, &base)        // inbox_test.go
			e.isoBroadcastRequest(r, &base)    // inbox_broadcast_test.go
			e.isoSnapshotRequest(r, &base)     // snapshot_test.go
			e.isoWizardRequest(r, &base)       // wizard_test.go
			e.isoTenantImportRequest(r, &base) // tenant_import_test.go
			if strings.HasSuffix(r.Path, "/integrations/:key/settings") {
				base.JSON = `{"model":"gpt-4o-mini"}` // providers_test.go
			}
			e.isoBillingRequest(r, &base) // billing_test.go
			e.isoBrandRequest(r, &base)   // brand_test.go
			e.isoCreatorRequest(r, &base) // creators_test.go
		}
		e.isoCalendarPage(r, &base)
		t.Run(name, func(t *testing.T) {
			// Anonymous: refused unless public.
			status, _, resp := e.do(base)
			if r.Line.Access != accPublic {
				if !isoAuthRefusal(status, resp) {
					t.Errorf("anonymous: status %d (location %q), want 401 or redirect to /login", status, resp.Header.Get("Location"))
				}
			} else if status >= 500 {
				t.Errorf("anonymous on a public route: status %d", status)
			}

			switch r.Line.Access {
			case accMember:
				e.isoMember(t, r, base) // courses_test.go
			case accUser, accOwner:
				// Tenant A's owner never touches B's objects: 404.
				a := base
				a.Cookies = map[string]string{"psid": e.A.Cookie}
				status, body, _ := e.do(a)
				if r.Line.Obj != "" && status != http.StatusNotFound {
					t.Errorf("tenant A on B's %s: status %d, want 404", r.Line.Obj, status)
				}
				if status >= 500 {
					t.Errorf("tenant A: status %d", status)
				}
				for _, m := range e.bMarkers() {
					if strings.Contains(body, m) {
						t.Errorf("tenant A's response contains tenant B's %q", m)
					}
				}
				// The same request on Nexus: a tenant user never reaches it.
				n := a
				n.Host = ui.HostNexus
				if st, _, resp := e.do(n); st < 300 || st == http.StatusOK {
					t.Errorf("tenant user on nexus %s: status %d (location %q)", path, st, resp.Header.Get("Location"))
				}
				// A tenant API key is not a session.
				k := base
				k.Bearer = e.A.KeyWrite
				if st, _, resp := e.do(k); !isoAuthRefusal(st, resp) && st != http.StatusForbidden {
					t.Errorf("tenant key as a portal session: status %d", st)
				}
			case accTenantKey, accTenantKeyW:
				a := base
				a.Bearer = e.A.KeyWrite
				status, body, _ := e.do(a)
				if r.Line.Obj != "" && status != http.StatusNotFound {
					t.Errorf("tenant A's key on B's %s: status %d, want 404", r.Line.Obj, status)
				}
				if status >= 500 {
					t.Errorf("tenant A's key: status %d: %s", status, body)
				}
				for _, m := range e.bMarkers() {
					if strings.Contains(body, m) {
						t.Errorf("tenant A's API response contains tenant B's %q", m)
					}
				}
				if r.Line.Access == accTenantKeyW {
					ro := base
					ro.Bearer = e.A.KeyRead
					if st, _, _ := e.do(ro); st != http.StatusForbidden {
						t.Errorf("read-scoped key on a write isoRoute: status %d, want 403", st)
					}
				}
				// Admin keys and sessions are not tenant keys.
				for _, k := range []string{e.AdminKeyW, "ogt_" + strings.Repeat("A", 43), "garbage"} {
					x := base
					x.Bearer = k
					if st, _, _ := e.do(x); st != http.StatusUnauthorized {
						t.Errorf("key %.4s… on the tenant API: status %d, want 401", k, st)
					}
				}
				// A tenant key never works on Nexus.
				n := a
				n.Host = ui.HostNexus
				if st, _, resp := e.do(n); st < 300 {
					t.Errorf("tenant key on nexus %s: status %d (location %q)", path, st, resp.Header.Get("Location"))
				}
			case accAdmin:
				// A tenant user's session, even an owner's, is no admin.
				a := base
				a.Cookies = map[string]string{"psid": e.A.Cookie}
				if st, _, resp := e.do(a); !isoAuthRefusal(st, resp) {
					t.Errorf("tenant user on nexus: status %d, want 401 or redirect to /login", st)
				}
				k := base
				k.Bearer = e.A.KeyWrite
				if st, _, resp := e.do(k); !isoAuthRefusal(st, resp) && st != http.StatusForbidden {
					t.Errorf("tenant key on a nexus page: status %d", st)
				}
				if r.Line.Obj == objAdminSession {
					ad := base
					ad.Cookies = map[string]string{"orengen_session": e.AdminCookie}
					if st, _, _ := e.do(ad); st != http.StatusNotFound {
						t.Errorf("admin revoking another admin's session: status %d, want 404", st)
					}
				}
				// The admin does reach it (GETs only: POSTs change data).
				if r.Method == http.MethodGet {
					ad := base
					ad.Cookies = map[string]string{"orengen_session": e.AdminCookie}
					if st, body, _ := e.do(ad); st >= 400 && !(r.Path == "/tenants/:id/logo" && st == http.StatusNotFound) && !(r.Path == "/outbox/:id" && st == http.StatusNotFound) && !(r.Path == "/tenants/:id/export/:job" && st == http.StatusNotFound) &&
						!(r.Path == "/crm/import/:id" && st == http.StatusNotFound) && // another tenant's job
						!(r.Path == "/snapshots/:id" && st == http.StatusNotFound) && // no snapshot 1 in the fixtures
						!(r.Path == "/sites/:id/media/:name" && st == http.StatusNotFound) && // no image uploaded in the fixtures
						!(r.Path == "/wizards/:id" && st == http.StatusNotFound) && // no wizard run in the fixtures
						!(r.Path == "/tenant-imports/:job" && st == http.StatusNotFound) { // no import job in the fixtures
						t.Errorf("admin: status %d: %.200s", st, body)
					}
				}
			case accAdminKey, accAdminKeyW:
				for _, k := range []string{e.A.KeyWrite, e.A.KeyRead} {
					x := base
					x.Bearer = k
					if st, _, _ := e.do(x); st != http.StatusUnauthorized {
						t.Errorf("tenant key on the admin API: status %d, want 401", st)
					}
				}
				x := base
				x.Cookies = map[string]string{"psid": e.A.Cookie}
				if st, _, _ := e.do(x); st != http.StatusUnauthorized {
					t.Errorf("tenant session on the admin API: status %d, want 401", st)
				}
				ad := base
				ad.Bearer = e.AdminKeyW
				if st, body, _ := e.do(ad); st >= 400 && !isoNeedsStripe(r.Path, st) { // billing_stripe_test.go
					t.Errorf("admin write key: status %d: %s", st, body)
				}
				if r.Line.Access == accAdminKeyW {
					ro := base
					ro.Bearer = e.AdminKeyRead
					if st, _, _ := e.do(ro); st != http.StatusForbidden {
						t.Errorf("read-scoped admin key on a write isoRoute: status %d, want 403", st)
					}
				}
			}
		})
	}

	// Nothing of B's was changed by all of the above.
	ctx := app.NewContextWithTenant(context.Background(), e.B.T)
	if _, err := e.Server.Leads.TenantLead(ctx, e.B.Lead.ID); err != nil {
		t.Errorf("B's lead after the isolationMatrix: %v", err)
	}
	if u, err := e.Server.Users.Users.FindTenantUser(ctx, e.B.Owner.ID); err != nil || u.Role != app.UserRoleOwner {
		t.Errorf("B's owner after the isolationMatrix: %v %+v", err, u)
	}
	if _, err := e.Server.APIKeys.Authenticate(ctx, e.B.KeyRead); err != nil {
		t.Errorf("B's key after the isolationMatrix: %v", err)
	}
	if p, err := e.Server.CRM.FindPerson(ctx, e.B.CRM.Person.ID); err != nil || p.FirstName != e.B.CRM.Person.FirstName || len(p.Emails) != 1 {
		t.Errorf("B's person after the isolationMatrix: %v %+v", err, p)
	}
	if _, _, _, err := e.Server.Users.Authenticate(ctx, e.B.Cookie); err != nil {
		t.Errorf("B's session after the isolationMatrix: %v", err)
	}
	if p, err := e.App.Wiki.Page(ctx, e.B.WikiPage.ID); err != nil || p.Revision != 1 || p.Body != e.B.WikiPage.Body {
		t.Errorf("B's wiki page after the isolationMatrix: %v %+v", err, p)
	}
	if _, _, _, err := e.App.Wiki.SharedPage(context.Background(), e.B.WikiShare.Token); err != nil {
		t.Errorf("B's share link after the isolationMatrix: %v", err)
	}
	if a, _, err := e.App.Wiki.Attachment(ctx, e.B.WikiFileID); err != nil || a.PageID != e.B.WikiPage.ID {
		t.Errorf("B's wiki file after the isolationMatrix: %v", err)
	}
	if tb, err := e.App.Sheets.Table(ctx, e.B.Table.ID); err != nil || tb.Name != e.B.Table.Name || len(tb.Columns) != len(e.B.Table.Columns) || len(tb.Charts) != 1 || tb.Charts[0].ID != e.B.Table.Charts[0].ID {
		t.Errorf("B's table after the isolationMatrix: %v %+v", err, tb)
	} else if r, err := e.App.Sheets.Row(ctx, tb, e.B.TableRowID); err != nil || r.Values["service"] != e.B.T.Name+" secret service" {
		t.Errorf("B's row after the isolationMatrix: %v %+v", err, r)
	}
}

// A store method called without a tenant in ctx refuses: a handler cannot
// forget the filter.
func TestTenantScopedStoreNeedsTenant(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	checks := map[string]error{}
	_, _, checks["FindTenantLeads"] = e.Server.Leads.ListTenantLeads(ctx, 10)
	_, checks["FindTenantLead"] = e.Server.Leads.TenantLead(ctx, e.A.Lead.ID)
	checks["DeleteTenantLead"] = e.Server.Leads.DeleteTenantLead(ctx, e.A.Lead.ID)
	checks["CreateTenantLead"] = e.Server.Leads.CreateTenantLead(ctx, &app.Lead{FirstName: "x", Email: "x@x.test"})
	_, checks["FindTenantUsers"] = e.Server.Users.Users.FindTenantUsers(ctx)
	_, checks["FindTenantAPIKeys"] = e.Server.APIKeys.ListTenantKeys(ctx)
	checks["RevokeTenantAPIKey"] = e.Server.APIKeys.RevokeTenantKey(ctx, e.A.KeyID)
	_, _, checks["FindPeople"] = e.Server.CRM.FindPeople(ctx, app.PersonFilter{})
	_, checks["FindPerson"] = e.Server.CRM.FindPerson(ctx, e.A.CRM.Person.ID)
	checks["CreatePerson"] = e.Server.CRM.CreatePerson(ctx, &app.Person{FirstName: "x"})
	_, checks["UpdateDeal"] = e.Server.CRM.UpdateDeal(ctx, e.A.CRM.Deal.ID, app.DealUpdate{})
	checks["DeleteNote"] = e.Server.CRM.DeleteNote(ctx, e.A.CRM.Note.ID)
	_, checks["FindTimeline"] = e.Server.CRM.FindTimeline(ctx, app.RecordPerson, e.A.CRM.Person.ID)
	checks["AddTimelineEntry"] = e.Server.CRM.AddTimelineEntry(ctx, &app.TimelineEntry{RecordType: app.RecordPerson, RecordID: e.A.CRM.Person.ID, Kind: "sms"})
	_, checks["Pipelines"] = e.Server.CRM.Pipelines(ctx)
	_, _, checks["FindPeopleAcross"] = e.Server.CRM.FindPeople(app.NewContextAcrossTenants(ctx), app.PersonFilter{})
	for name, err := range checks {
		if app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Errorf("%s without a tenant: %v, want EUNAUTHORIZED", name, err)
		}
	}
}
