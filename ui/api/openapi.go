package api

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/sheets"
)

// The OpenAPI 3.1 document of /api/v1. TestOpenAPI_MatchesRoutes checks it
// against the registered routes: every /api/v1 route documented, every
// documented path registered.

type obj = map[string]any

var (
	openAPIOnce sync.Once
	openAPIJSON []byte
)

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonBody(schema obj) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": schema}}}
}

func jsonResp(desc string, schema obj) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": schema}}}
}

func errResp(desc string) obj { return jsonResp(desc, ref("Error")) }

func dataOf(schema obj) obj {
	return obj{"type": "object", "required": []string{"data"}, "properties": obj{"data": schema}}
}

func pageOf(schema obj) obj {
	return obj{"type": "object", "required": []string{"data", "next_cursor"}, "properties": obj{
		"data":        obj{"type": "array", "items": schema},
		"next_cursor": obj{"type": []string{"string", "null"}, "description": "Pass as ?cursor= for the next page; null on the last page."},
	}}
}

func qparam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

var (
	str    = obj{"type": "string"}
	integ  = obj{"type": "integer"}
	nInt   = obj{"type": []string{"integer", "null"}}
	nStr   = obj{"type": []string{"string", "null"}}
	strArr = obj{"type": "array", "items": obj{"type": "string"}}
	tstamp = obj{"type": "string", "format": "date-time"}
	nTime  = obj{"type": []string{"string", "null"}, "format": "date-time"}
	// codeList is a list of codes: a JSON array, or a string of
	// comma-separated codes.
	codeList = obj{"oneOf": []obj{{"type": "array", "items": obj{"type": "string"}}, {"type": "string", "description": "comma-separated"}}}
	// linkType is what a note links to: a CRM record, a pursued notice
	// (pursuit: the bid pipeline entry's id) or a pursued grant; a task
	// may also be unlinked ("").
	linkType = obj{"type": "string", "enum": []string{"person", "company", "deal", "pursuit", "grant_pursuit"},
		"description": "pursuit and grant_pursuit: the id of a bid or grant pipeline entry (Nexus > Federal)"}
	taskLinkType = obj{"type": "string", "enum": []string{"", "person", "company", "deal", "pursuit", "grant_pursuit"},
		"description": "\"\" when not linked; pursuit and grant_pursuit: the id of a bid or grant pipeline entry"}
)

// props is an object schema; required is left out when empty (a null
// "required" is not valid OpenAPI).
func props(required []string, p obj) obj {
	o := obj{"type": "object", "properties": p}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// OpenAPI returns the API description as JSON.
func OpenAPI() []byte {
	openAPIOnce.Do(func() {
		schemas := obj{
			"Error": props([]string{"error"}, obj{"error": props([]string{"code", "message"}, obj{
				"code":    obj{"type": "string", "enum": []string{app.EINVALID, app.ENOTFOUND, app.EUNAUTHORIZED, app.EFORBIDDEN, app.ECONFLICT, app.ETOOMANY, app.ETOOLARGE, app.EINTERNAL, "method_not_allowed"}},
				"message": str, "field": obj{"type": "string", "description": "The input field at fault, e.g. email or records[3].phones."},
			})}),
			"APIKey": props([]string{"id", "name", "prefix", "scope", "kind", "created_at"}, obj{"id": integ, "name": str, "prefix": str,
				"scope": obj{"type": "string", "enum": []string{"read", "write"}}, "kind": obj{"type": "string", "enum": []string{"tenant", "admin"}}, "created_at": tstamp}),
			"Me": props([]string{"key", "scope"}, obj{"key": ref("APIKey"), "scope": str,
				"tenant": obj{"description": "portal keys: the key's tenant", "type": "object", "properties": obj{"id": integ, "slug": str, "name": str, "timezone": str}}}),
		}
		std := func(ok obj, extra ...string) obj {
			r := obj{"401": errResp("Missing or invalid API key."), "default": errResp("Error.")}
			for k, v := range ok {
				r[k] = v
			}
			for _, code := range extra {
				r[code] = errResp(map[string]string{"400": "Invalid input; error.field names the field.", "403": "Read-only key.", "404": "Not found (or another tenant's).",
					"409": "Conflicts with the record's state (error.message says how).", "413": "Too large: error.message says the limit."}[code])
			}
			return r
		}
		tenantParam := qparam("tenant", "Nexus (admin keys) only: tenant ID or slug. Reads without it span every tenant; creates need it.", str)
		idParam := obj{"name": "id", "in": "path", "required": true, "schema": integ}
		paths := obj{
			"/api/v1/me":           obj{"get": obj{"summary": "The key and (portal) its tenant", "responses": std(obj{"200": jsonResp("OK", ref("Me"))})}},
			"/api/v1/openapi.json": obj{"get": obj{"summary": "This document", "responses": std(obj{"200": jsonResp("OK", props([]string{"openapi", "info", "paths"}, obj{"openapi": str, "info": obj{"type": "object"}, "paths": obj{"type": "object"}}))})}},
		}
		addCRMAPI(paths, schemas, std, tenantParam, idParam) // openapi_crm.go
		addLeadAPI(paths, schemas, std, idParam)             // openapi_admin.go
		addTenantAPI(paths, schemas, std, idParam)           // openapi_admin.go
		addFederalAPI(paths, schemas, std, idParam)          // openapi_admin.go
		addKnowledgeAPI(paths, schemas, std, tenantParam, idParam)
		addCalendarAPI(paths, schemas, std, idParam)
		addCalendarSyncAPI(paths, schemas, std, idParam)
		addSitesAPI(paths, schemas, std, idParam) // sites.go
		addAgentAPI(paths, schemas, std, idParam)
		addFOSSAPI(paths, schemas, std)
		addWebhookAPI(paths, schemas, std, tenantParam, idParam)
		addToolAPI(paths, schemas, std, idParam)
		addIntegrationAPI(paths, schemas, std)
		addConversationAPI(paths, schemas, std, idParam)   // conversations.go
		addBroadcastAPI(paths, schemas, std, idParam)      // broadcasts.go
		addQuietAPI(paths, schemas, std)                   // inbox_quiet.go
		addInboxReportAPI(paths, schemas, std, idParam)    // inbox_reports.go
		addBillingAPI(paths, schemas, std, idParam)        // billing.go
		addBillingPaymentAPI(paths, schemas, std, idParam) // billing_payments.go
		addBillingRechargeAPI(paths, schemas, std)         // billing_recharge.go
		addBillingRevenueAPI(paths, schemas, std)          // billing_revenue.go
		addCourseAPI(paths, schemas, std, idParam)         // courses.go
		addCommunityAPI(paths, schemas, std, idParam)      // community.go
		addCommunityEventAPI(paths, schemas, std, idParam) // community_events.go
		addMemberAccessAPI(paths, std, idParam)            // courses.go
		addBrandAPI(paths, schemas, std, idParam)          // brand.go (issue #22)
		addCreatorAPI(paths, schemas, std, idParam)        // creators.go (issue #22)
		addTwentyAPI(paths, schemas, tenantParam)
		addOperationIDs(paths)
		tags := addTags(paths) // openapi_tags.go
		doc := obj{
			"openapi": "3.1.0",
			"info": obj{"title": "orengen API", "version": "1",
				"description": "Portal host (app.DOMAIN or a tenant's domain): tenant API keys, the key's tenant only. Nexus host: admin API keys, every tenant. " +
					"Every key has a rate limit (RateLimit-Limit, -Remaining and -Reset headers on every answer; 429 with Retry-After past it). " +
					"/rest and /graphql are Twenty CRM's APIs (its shapes, filters and errors) over the same CRM. " +
					"Authenticate with Authorization: Bearer KEY. Write routes need a write-scoped key. Errors are {\"error\":{\"code\",\"message\",\"field\"}}: " +
					"a path the host does not serve is a JSON 404 (403 when it is an endpoint of the other host). Lists are {\"data\":[...],\"next_cursor\":...}; " +
					"one record is {\"data\":{...}}. Changed in this version: /leads and /tenants use these envelopes (they were {\"leads\",\"total\"} and " +
					"{\"lead\"}, {\"tenants\"} and {\"tenant\"}), and a federal saved search has lists of naics, psc and set_asides."},
			"servers":    []obj{{"url": "/"}},
			"security":   []obj{{"bearer": []string{}}},
			"tags":       tags,
			"paths":      paths,
			"components": obj{"schemas": schemas, "securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}}},
		}
		openAPIJSON, _ = json.MarshalIndent(doc, "", "  ")
	})
	return openAPIJSON
}

// addOperationIDs gives every operation an operationId made of its method
// and path: GET /api/v1/people/{id}/timeline is getPeopleIdTimeline.
func addOperationIDs(paths obj) {
	for path, item := range paths {
		for method, op := range item.(obj) {
			o, ok := op.(obj)
			if !ok || method == "parameters" {
				continue
			}
			id := method
			for _, seg := range strings.FieldsFunc(strings.TrimPrefix(path, "/api/v1/"), func(r rune) bool { return r == '/' || r == '-' || r == '.' || r == '{' || r == '}' }) {
				id += strings.ToUpper(seg[:1]) + seg[1:]
			}
			o["operationId"] = id
		}
	}
}

// addKnowledgeAPI documents Data & Sheets (tables and rows) and the
// Knowledge Wiki's pages and search.
func addKnowledgeAPI(paths, schemas obj, std func(obj, ...string) obj, tenantParam, idParam obj) {
	colTypes := obj{"type": "string", "enum": sheets.Types}
	schemas["Column"] = props([]string{"key", "name", "type"}, obj{
		"key":  obj{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$", "description": "The column's name in rows, filters and workflows; made from the name when left out; it stays when the column is renamed."},
		"name": str, "type": colTypes,
		"options":  obj{"type": "array", "items": str, "description": "select: the allowed values"},
		"currency": obj{"type": "string", "pattern": "^[A-Z]{3}$", "description": "currency: ISO 4217 (default USD)"},
		"link":     obj{"type": "string", "enum": sheets.LinkTypes, "description": "link: the CRM record type"},
		"required": obj{"type": "boolean"},
	})
	schemas["Table"] = props([]string{"id", "name", "columns", "row_count"}, obj{"id": integ, "tenant_id": integ, "name": str, "description": str,
		"columns": obj{"type": "array", "items": ref("Column")}, "row_count": integ, "created_at": tstamp, "updated_at": tstamp})
	schemas["TableInput"] = props(nil, obj{"name": str, "description": str, "columns": obj{"type": "array", "maxItems": sheets.MaxColumns, "items": ref("Column"),
		"description": "PATCH: the whole list; a known key keeps its values (converted when its type changes; a value that does not fit fails the change naming its row); a key left out is deleted with its values"}})
	values := obj{"type": "object", "additionalProperties": true, "description": "By column key: text and select strings, numbers, currency as a number of major units " +
		"(writes also take strings like \"1,250.50\"), dates as YYYY-MM-DD, checkboxes true/false, links as the CRM record ID (writes also take a person's email or a company's or deal's name); null empties a cell. A value of the wrong type is a 400 naming the column."}
	schemas["Row"] = props([]string{"id", "values"}, obj{"id": integ, "values": values,
		"links": obj{"type": "object", "additionalProperties": str, "description": "Display names of linked CRM records, by column key"}, "created_at": tstamp, "updated_at": tstamp})
	schemas["RowInput"] = props([]string{"values"}, obj{"id": obj{"type": "integer", "description": "batch only: change this row"}, "values": values})
	tableID := obj{"name": "id", "in": "path", "required": true, "schema": integ}
	rowID := obj{"name": "row", "in": "path", "required": true, "schema": integ}
	admin := qparam("tenant", "Nexus (admin keys) only: tenant ID or slug; required to list or create tables (a table's ID finds its tenant).", str)
	paths["/api/v1/tables"] = obj{
		"get":  obj{"summary": "The tenant's tables", "parameters": []obj{admin}, "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Table")))}, "400")},
		"post": obj{"summary": "Create a table with its columns", "parameters": []obj{admin}, "requestBody": jsonBody(ref("TableInput")), "responses": std(obj{"201": jsonResp("Created", dataOf(ref("Table")))}, "400", "403")},
	}
	paths["/api/v1/tables/{id}"] = obj{"parameters": []obj{tableID},
		"get":    obj{"summary": "A table and its columns", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Table")))}, "404")},
		"patch":  obj{"summary": "Rename, describe or change the columns", "requestBody": jsonBody(ref("TableInput")), "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Table")))}, "400", "403", "404")},
		"delete": obj{"summary": "Delete the table and its rows", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")},
	}
	paths["/api/v1/tables/{id}/rows"] = obj{"parameters": []obj{tableID},
		"get": obj{"summary": "Rows, filtered and sorted, a page at a time", "parameters": []obj{
			{"name": "where", "in": "query", "required": false, "schema": obj{"type": "array", "items": str}, "style": "form", "explode": true,
				"description": "column:op:value, repeatable; op is one of " + strings.Join(sheets.Ops, ", ") + " (empty and not_empty take no value); column:value means eq. Text compares without case."},
			qparam("match", "all (default) or any of the where conditions", obj{"type": "string", "enum": []string{"all", "any"}}),
			qparam("sort", "A column key, id, created_at or updated_at; - for descending; empty values last. Default id.", str),
			qparam("limit", "1 to 500, default 100", obj{"type": "integer", "minimum": 1, "maximum": sheets.MaxPageSize}),
			qparam("cursor", "next_cursor of the previous page", str)},
			"responses": std(obj{"200": jsonResp("A page", pageOf(ref("Row")))}, "400", "404")},
		"post": obj{"summary": "Add a row", "requestBody": jsonBody(ref("RowInput")), "responses": std(obj{"201": jsonResp("Created", dataOf(ref("Row")))}, "400", "403", "404")},
	}
	paths["/api/v1/tables/{id}/rows/batch"] = obj{"parameters": []obj{tableID}, "post": obj{
		"summary":     "Upsert up to 1000 rows in one transaction (records with id change the values given, others are created); any invalid record fails the batch, naming it (records[3].values.price)",
		"requestBody": jsonBody(props([]string{"records"}, obj{"records": obj{"type": "array", "maxItems": sheets.MaxBatch, "items": ref("RowInput")}})),
		"responses":   std(obj{"200": jsonResp("Written", dataOf(props([]string{"ids", "count"}, obj{"ids": obj{"type": "array", "items": integ}, "count": integ})))}, "400", "403", "404"),
	}}
	paths["/api/v1/tables/{id}/rows/delete"] = obj{"parameters": []obj{tableID}, "post": obj{
		"summary":     "Delete up to 1000 rows by ID in one transaction (IDs of other tables are left alone)",
		"requestBody": jsonBody(props([]string{"ids"}, obj{"ids": obj{"type": "array", "maxItems": sheets.MaxBatch, "items": integ}})),
		"responses":   std(obj{"200": jsonResp("Deleted", dataOf(props([]string{"count"}, obj{"count": integ})))}, "400", "403", "404"),
	}}
	paths["/api/v1/tables/{id}/rows/{row}"] = obj{"parameters": []obj{tableID, rowID},
		"get":    obj{"summary": "One row", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Row")))}, "404")},
		"patch":  obj{"summary": "Change the given values", "requestBody": jsonBody(ref("RowInput")), "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Row")))}, "400", "403", "404")},
		"delete": obj{"summary": "Delete the row", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")},
	}
	schemas["WikiPage"] = props([]string{"id", "title", "slug", "revision"}, obj{"id": integ, "space_id": integ, "parent_id": nInt, "position": integ, "title": str, "slug": str,
		"revision": obj{"type": "integer", "description": "the latest revision; send it back with a change"},
		"body":     obj{"type": "string", "description": "markdown ([[Page title]] links, attachment:ID files); one page only"}, "body_html": obj{"type": "string", "description": "sanitised HTML; one page only"},
		"updated_by": str, "created_at": tstamp, "updated_at": tstamp})
	schemas["WikiPageInput"] = props(nil, obj{"title": str, "body": str, "parent_id": obj{"type": "integer", "description": "create: the parent page (0: top level)"},
		"revision": obj{"type": "integer", "description": "PATCH: required, the revision the change starts from"}})
	wikiTenant := qparam("tenant", "Nexus (admin keys) only, required: the tenant whose space (1 or house: the agency's internal space; a client's must be shared with the agency)", str)
	paths["/api/v1/wiki/pages"] = obj{
		"get": obj{"summary": "The space's pages in tree order (no bodies); ?slug= one page with its body", "parameters": []obj{qparam("slug", "a page's slug", str), wikiTenant},
			"responses": std(obj{"200": jsonResp("OK", pageOf(ref("WikiPage")))}, "400", "404")},
		"post": obj{"summary": "Create a page (revision 1)", "parameters": []obj{wikiTenant}, "requestBody": jsonBody(ref("WikiPageInput")),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("WikiPage")))}, "400", "403")},
	}
	paths["/api/v1/wiki/pages/{id}"] = obj{"parameters": []obj{idParam, wikiTenant},
		"get": obj{"summary": "A page with its markdown and HTML", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("WikiPage")))}, "404")},
		"patch": obj{"summary": "Save a new revision; a revision older than the page's is 409 with the page as it is now (current), nothing written",
			"requestBody": jsonBody(ref("WikiPageInput")),
			"responses":   std(obj{"200": jsonResp("OK", dataOf(ref("WikiPage"))), "409": jsonResp("Changed meanwhile", props([]string{"error", "current"}, obj{"error": ref("Error"), "current": ref("WikiPage")}))}, "400", "403", "404")},
		"delete": obj{"summary": "Delete the page, its history, files and share links (sub-pages move up)", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")},
	}
	schemas["WikiRevision"] = props([]string{"number", "title", "created_at"}, obj{"number": integ, "title": str,
		"body": obj{"type": "string", "description": "one revision only"}, "author": str, "note": str, "size": integ, "created_at": tstamp})
	schemas["WikiAttachment"] = props([]string{"id", "page_id", "name", "content_type", "size"}, obj{"id": integ, "page_id": integ, "name": str,
		"content_type": obj{"type": "string", "description": "as sniffed from the content"}, "size": integ, "sha256": str,
		"markdown": obj{"type": "string", "description": "what to put in the page's body to show or link the file"}, "created_by": str, "created_at": tstamp})
	schemas["WikiShare"] = props([]string{"id", "page_id", "url"}, obj{"id": integ, "page_id": integ,
		"url": obj{"type": "string", "description": "the public read-only address of the page"}, "created_by": str, "created_at": tstamp, "revoked_at": nTime})
	fileBody := func(desc string) obj {
		return obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": props([]string{"file"}, obj{"file": obj{"type": "string", "format": "binary", "description": desc}})}}}
	}
	binary := func(desc, media string) obj {
		return obj{"description": desc, "content": obj{media: obj{"schema": obj{"type": "string", "format": "binary"}}}}
	}
	paths["/api/v1/wiki/pages/{id}/revisions"] = obj{"parameters": []obj{idParam, wikiTenant},
		"get": obj{"summary": "The page's revisions, newest first (no bodies)", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("WikiRevision")))}, "404")}}
	paths["/api/v1/wiki/pages/{id}/revisions/{n}"] = obj{"parameters": []obj{idParam, {"name": "n", "in": "path", "required": true, "schema": integ, "description": "the revision number"}, wikiTenant},
		"get": obj{"summary": "One revision with its body", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("WikiRevision")))}, "400", "404")}}
	paths["/api/v1/wiki/pages/{id}/restore"] = obj{"parameters": []obj{idParam, wikiTenant},
		"post": obj{"summary": "Make an old revision the page's text again, as a new revision; a stale revision is 409 with the page as it is now",
			"requestBody": jsonBody(props([]string{"number", "revision"}, obj{"number": obj{"type": "integer", "description": "the revision to restore"},
				"revision": obj{"type": "integer", "description": "the page's revision the restore starts from"}})),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("WikiPage"))), "409": jsonResp("Changed meanwhile", props([]string{"error", "current"}, obj{"error": ref("Error"), "current": ref("WikiPage")}))}, "400", "403", "404")}}
	paths["/api/v1/wiki/pages/{id}/move"] = obj{"parameters": []obj{idParam, wikiTenant},
		"post": obj{"summary": "Move the page in the tree (its sub-pages move with it)",
			"requestBody": jsonBody(props([]string{"position"}, obj{"parent_id": obj{"type": []string{"integer", "null"}, "description": "the new parent (0 or null: the top level)"},
				"position": obj{"type": "integer", "description": "0-based place among the new siblings"}})),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("WikiPage")))}, "400", "403", "404")}}
	paths["/api/v1/wiki/pages/{id}/attachments"] = obj{"parameters": []obj{idParam, wikiTenant},
		"get": obj{"summary": "The page's files", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("WikiAttachment")))}, "404")},
		"post": obj{"summary": "Attach a file (size-capped, type-checked; PDF and text are indexed for search)", "requestBody": fileBody("the file"),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("WikiAttachment")))}, "400", "403", "404", "413")}}
	paths["/api/v1/wiki/attachments/{id}"] = obj{"parameters": []obj{idParam, wikiTenant},
		"get":    obj{"summary": "Download the file (as an attachment, never inline)", "responses": std(obj{"200": binary("The file, with its sniffed type", "*/*")}, "404")},
		"delete": obj{"summary": "Delete the file and its indexed text", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")}}
	paths["/api/v1/wiki/pages/{id}/shares"] = obj{"parameters": []obj{idParam, wikiTenant},
		"get":  obj{"summary": "The page's public share links, revoked ones included", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("WikiShare")))}, "404")},
		"post": obj{"summary": "Create a public read-only link to the page, in the tenant's brand", "responses": std(obj{"201": jsonResp("Created", dataOf(ref("WikiShare")))}, "403", "404")}}
	paths["/api/v1/wiki/pages/{id}/shares/{share}"] = obj{"parameters": []obj{idParam, {"name": "share", "in": "path", "required": true, "schema": integ, "description": "the share link's id"}, wikiTenant},
		"delete": obj{"summary": "Revoke the link: it no longer opens the page", "responses": std(obj{"204": obj{"description": "Revoked"}}, "403", "404")}}
	paths["/api/v1/wiki/export"] = obj{"get": obj{"summary": "The space as a zip of markdown files (folders follow the page tree, files beside their pages)", "parameters": []obj{wikiTenant},
		"responses": std(obj{"200": binary("The zip", "application/zip")}, "400")}}
	paths["/api/v1/wiki/import"] = obj{"post": obj{"summary": "Add the pages of a zip of markdown files (Outline or Obsidian style folders); bad entries are skipped and named", "parameters": []obj{wikiTenant},
		"requestBody": fileBody("the zip"),
		"responses": std(obj{"201": jsonResp("Imported", dataOf(props([]string{"pages", "files", "skipped", "page_ids"}, obj{"pages": integ, "files": integ,
			"skipped": obj{"type": "array", "items": str, "description": "\"name: reason\" for each entry not imported"}, "page_ids": obj{"type": "array", "items": integ}})))}, "400", "403", "413")}}
	paths["/api/v1/wiki/search"] = obj{"get": obj{"summary": "Full-text search of the space's pages and files (BM25, one hit per page or file)",
		"parameters": []obj{{"name": "q", "in": "query", "required": true, "schema": str, "description": "words (all required), \"phrases\", -excluded; the last word matches as a prefix"},
			qparam("limit", "1 to 100, default 20", integ), wikiTenant},
		"responses": std(obj{"200": jsonResp("OK", pageOf(props(nil, obj{"page_id": integ, "title": str, "slug": str, "attachment_id": nInt, "attachment_name": str,
			"snippet": obj{"type": "string", "description": "HTML: the text escaped, matches in <mark>"}, "score": obj{"type": "number", "description": "BM25, lower is better"}})))}, "400")}}
}

func (s *Handler) handleOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(OpenAPI())
}

// fieldSchemas adds the schemas of a kind's descriptor fields to props:
// as records carry them, or as clients send them (input).
func fieldSchemas(props obj, k *app.RecordKind, input bool) obj {
	for _, f := range k.Fields {
		props[f.Key] = fieldSchema(f, input)
	}
	return props
}

// fieldSchema is the schema of a descriptor field's value: as records
// carry it, or as clients send it (input).
func fieldSchema(f *app.Field, input bool) obj {
	switch {
	case f.Type == app.ValueDate && input:
		return obj{"type": "string", "format": "date"}
	case f.Type == app.ValueDate:
		return obj{"type": []string{"string", "null"}, "format": "date"}
	case f.Type == app.ValueSelect && !input:
		return obj{"type": "string", "enum": append([]string{""}, f.Options...)}
	}
	return obj{"type": "string"}
}
