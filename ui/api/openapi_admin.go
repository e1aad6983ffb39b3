package api

import "orengen/app"

// addAll copies every entry of src into dst (schemas or paths written as
// one literal).
func addAll(dst, src obj) {
	for k, v := range src {
		dst[k] = v
	}
}

// addLeadAPI documents the portal's leads.
func addLeadAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	addAll(schemas, obj{
		"Lead": props([]string{"id", "first_name", "last_name", "email", "phone", "company", "message", "source", "created_at"}, obj{"id": integ,
			"first_name": str, "last_name": str, "email": str, "phone": str, "company": str, "message": str, "source": str, "created_at": tstamp}),
		"LeadInput": props([]string{"first_name"}, obj{"first_name": str, "last_name": str, "email": obj{"type": "string", "format": "email"}, "phone": str,
			"company": str, "message": obj{"type": "string", "maxLength": 5000}}),
	})
	addAll(paths, obj{
		"/api/v1/leads": obj{
			"get": obj{"summary": "Portal: the tenant's leads, newest first", "x-host": "portal",
				"parameters": []obj{qparam("limit", "Page size, 1 to 200 (default 50).", obj{"type": "integer", "minimum": 1, "maximum": app.MaxPageSize}),
					qparam("cursor", "next_cursor of the previous page.", str)},
				"responses": std(obj{"200": jsonResp("A page", pageOf(ref("Lead")))}, "400")},
			"post": obj{"summary": "Portal: add a lead", "x-host": "portal", "requestBody": jsonBody(ref("LeadInput")), "responses": std(obj{"201": jsonResp("Created", dataOf(ref("Lead")))}, "400", "403")},
		},
		"/api/v1/leads/{id}": obj{"parameters": []obj{idParam},
			"get":    obj{"summary": "Portal: one lead", "x-host": "portal", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Lead")))}, "404")},
			"delete": obj{"summary": "Portal: delete a lead", "x-host": "portal", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")},
		},
	})
}

// addTenantAPI documents Nexus's tenants, snapshots, tenant imports and the
// new-client wizard.
func addTenantAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	addAll(schemas, obj{
		"Tenant": props([]string{"id", "slug", "name", "display_name", "status", "house", "created_at"}, obj{"id": integ, "slug": str, "name": str,
			"display_name": str, "status": str, "house": obj{"type": "boolean"}, "primary_color": str, "accent_color": str,
			"support_email": str, "timezone": str, "created_at": tstamp}),
		"Snapshot": props([]string{"id", "name", "version", "source_name", "items", "created_at"}, obj{"id": integ, "name": str, "version": integ, "description": str,
			"source_tenant_id": integ, "source_name": str, "schema_version": str, "items": integ, "created_by": str, "created_at": tstamp}),
		"SnapshotInput":      props([]string{"tenant_id", "name"}, obj{"tenant_id": integ, "name": str, "description": str}),
		"SnapshotApplyInput": props([]string{"tenant_id"}, obj{"tenant_id": integ}),
		"SnapshotApply": props([]string{"snapshot", "tenant_id", "applied", "created", "kept", "changes"}, obj{"snapshot": ref("Snapshot"), "tenant_id": integ, "applied": obj{"type": "boolean"},
			"created": integ, "kept": integ, "changes": obj{"type": "array", "items": props([]string{"kind", "name", "action"}, obj{"kind": str, "name": str,
				"action": obj{"type": "string", "enum": []string{app.SnapshotCreate, app.SnapshotExists}}, "note": str})}}),
		"WizardRun": props([]string{"id", "tenant_id", "step", "finished", "steps", "domain", "created_at"}, obj{"id": integ,
			"tenant_id": obj{"type": "integer", "description": "0 until the client step is done"},
			"step":      obj{"type": "string", "enum": append(append([]string{}, app.WizardSteps...), app.WizardDone), "description": "the next step to submit"},
			"finished":  obj{"type": "boolean"},
			"steps": obj{"type": "array", "items": props([]string{"step", "label", "status"}, obj{"step": str, "label": str,
				"status":  obj{"type": "string", "enum": []string{"done", "current", "todo"}},
				"inputs":  obj{"type": "object", "additionalProperties": str},
				"results": obj{"type": "object", "additionalProperties": str, "description": "what the step did: tenant_id, user_id, contrast ratios, domain_id, snapshot counts..."}})},
			"domain": obj{"type": []string{"object", "null"}, "description": "the custom domain, once the domain step added one (null before)", "properties": obj{"name": str, "status": str,
				"dns_ok": obj{"type": "boolean"}, "dns_error": str, "records": obj{"type": "array", "description": "the DNS records to set",
					"items": props([]string{"type", "name", "value"}, obj{"type": str, "name": str, "value": str})}}},
			"created_by": str, "created_at": tstamp, "updated_at": tstamp}),
		"TenantImport": props([]string{"id", "file_name", "size", "status", "slug", "check", "percent", "tenant_id", "created_at"}, obj{"id": str, "file_name": str, "size": integ,
			"status":  obj{"type": "string", "enum": []string{"refused", "checked", "importing", "imported", "failed"}},
			"refused": obj{"type": "string", "description": "why the file cannot be imported (not an export, truncated, newer schema, slug/user/domain exists)"},
			"error":   obj{"type": "string", "description": "the last import's failure"},
			"slug":    obj{"type": "string", "description": "the slug asked for (empty: the file's)"},
			"check": obj{"type": []string{"object", "null"}, "description": "the dry run: what the import creates", "properties": obj{"tenant": str, "schema_version": str,
				"rows": integ, "files": integ, "tables": obj{"type": "array", "items": props([]string{"table", "rows"}, obj{"table": str, "rows": integ})}}},
			"percent": integ, "tenant_id": obj{"type": "integer", "description": "the new tenant, once imported"}, "created_at": tstamp}),
		"UploadStarted": props([]string{"id", "chunk_size", "size"}, obj{"id": str, "chunk_size": integ, "size": integ}),
		"UploadChunk":   props([]string{"size", "total"}, obj{"size": integ, "total": integ}),
		"WizardStepInput": obj{"type": "object", "description": "client: name, slug; owner: email, name; brand: display_name, primary_color, accent_color (each at least 4.5:1 with white), logo_base64 (PNG or JPEG); domain: domain (empty: none); snapshot: snapshot_id (empty: none)",
			"additionalProperties": str},
		"TenantInput": props([]string{"name"}, obj{"name": str, "slug": str, "display_name": str, "primary_color": str, "accent_color": str,
			"support_email": str, "timezone": str, "domain": obj{"type": "string", "description": "a custom domain for the portal"}}),
	})
	addAll(paths, obj{
		"/api/v1/tenants": obj{
			"get":  obj{"summary": "Nexus: every tenant", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Tenant")))})},
			"post": obj{"summary": "Nexus: create a tenant", "x-host": "nexus", "requestBody": jsonBody(ref("TenantInput")), "responses": std(obj{"201": jsonResp("Created", dataOf(ref("Tenant")))}, "400", "403")},
		},
		"/api/v1/tenants/{id}": obj{"parameters": []obj{idParam},
			"get": obj{"summary": "Nexus: one tenant", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Tenant")))}, "404")}},
		"/api/v1/snapshots": obj{
			"get":  obj{"summary": "Nexus: every snapshot, newest first", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Snapshot")))})},
			"post": obj{"summary": "Nexus: capture a tenant's configuration as the next version of a snapshot", "x-host": "nexus", "requestBody": jsonBody(ref("SnapshotInput")), "responses": std(obj{"201": jsonResp("Created", dataOf(ref("Snapshot")))}, "400", "403", "404")},
		},
		"/api/v1/snapshots/{id}": obj{"parameters": []obj{idParam},
			"get": obj{"summary": "Nexus: one snapshot", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Snapshot")))}, "404")}},
		"/api/v1/snapshots/{id}/preview": obj{"parameters": []obj{idParam},
			"post": obj{"summary": "Nexus: what applying the snapshot to a tenant would create or keep (changes nothing)", "x-host": "nexus", "requestBody": jsonBody(ref("SnapshotApplyInput")), "responses": std(obj{"200": jsonResp("OK", dataOf(ref("SnapshotApply")))}, "400", "404")}},
		"/api/v1/tenant-imports": obj{
			"get": obj{"summary": "Nexus: uploaded tenant export files and their imports, newest first", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("TenantImport")))})}},
		"/api/v1/tenant-imports/uploads": obj{"parameters": []obj{qparam("name", "The file's name.", str), qparam("size", "The file's size in bytes.", integ)},
			"post": obj{"summary": "Nexus: start a chunked upload of a tenant export file", "x-host": "nexus", "responses": std(obj{"201": jsonResp("Created", ref("UploadStarted"))}, "400", "403", "413")}},
		"/api/v1/tenant-imports/uploads/{upload}": obj{"parameters": []obj{{"name": "upload", "in": "path", "required": true, "schema": str}, qparam("offset", "Bytes already sent: the chunk's start.", integ)},
			"post": obj{"summary": "Nexus: append a chunk (the raw bytes as the body)", "x-host": "nexus", "requestBody": obj{"required": true, "content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}}}},
				"responses": std(obj{"200": jsonResp("OK", ref("UploadChunk"))}, "400", "403", "404", "409", "413")}},
		"/api/v1/tenant-imports/uploads/{upload}/finish": obj{"parameters": []obj{{"name": "upload", "in": "path", "required": true, "schema": str}},
			"post": obj{"summary": "Nexus: finish the upload; the file is checked by a dry run (counts per table, or why it is refused)", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("TenantImport")))}, "403", "404", "409")}},
		"/api/v1/tenant-imports/{id}": obj{"parameters": []obj{{"name": "id", "in": "path", "required": true, "schema": str}},
			"get": obj{"summary": "Nexus: an import's check, progress and result", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("TenantImport")))}, "404")}},
		"/api/v1/tenant-imports/{id}/run": obj{"parameters": []obj{{"name": "id", "in": "path", "required": true, "schema": str}},
			"post": obj{"summary": "Nexus: import the file as a new tenant, in the background (one transaction)", "x-host": "nexus",
				"requestBody": obj{"required": false, "content": obj{"application/json": obj{"schema": props(nil, obj{"slug": obj{"type": "string", "description": "empty: the file's"}})}}},
				"responses":   std(obj{"202": jsonResp("Accepted", dataOf(ref("TenantImport")))}, "400", "403", "404", "409")}},
		"/api/v1/wizards": obj{
			"get":  obj{"summary": "Nexus: new-client wizard runs, newest first", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("WizardRun")))})},
			"post": obj{"summary": "Nexus: start a new-client wizard run", "x-host": "nexus", "responses": std(obj{"201": jsonResp("Created", dataOf(ref("WizardRun")))}, "403")},
		},
		"/api/v1/wizards/{id}": obj{"parameters": []obj{idParam},
			"get": obj{"summary": "Nexus: a wizard run's status, step by step", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("WizardRun")))}, "404")}},
		"/api/v1/wizards/{id}/steps/{step}": obj{"parameters": []obj{idParam, {"name": "step", "in": "path", "required": true, "schema": obj{"type": "string", "enum": app.WizardSteps}}},
			"post": obj{"summary": "Nexus: do a step of the run (in order; a step that is done changes nothing)", "x-host": "nexus", "requestBody": jsonBody(ref("WizardStepInput")), "responses": std(obj{"200": jsonResp("OK", dataOf(ref("WizardRun")))}, "400", "403", "404", "413")}},
		"/api/v1/wizards/{id}/domain-check": obj{"parameters": []obj{idParam},
			"post": obj{"summary": "Nexus: check the run's custom domain's DNS now", "x-host": "nexus", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("WizardRun")))}, "400", "403", "404")}},
		"/api/v1/snapshots/{id}/apply": obj{"parameters": []obj{idParam},
			"post": obj{"summary": "Nexus: apply the snapshot to a tenant, in one transaction", "x-host": "nexus", "requestBody": jsonBody(ref("SnapshotApplyInput")), "responses": std(obj{"200": jsonResp("OK", dataOf(ref("SnapshotApply")))}, "400", "403", "404")}},
	})
}

// addFederalAPI documents federal contracting (nexus host, admin keys; the
// house tenant's data).
func addFederalAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	addAll(schemas, obj{
		"FederalOpportunity": props([]string{"notice_id", "title", "naics", "active", "fit_score", "reasons", "versions", "first_seen_at", "updated_at"}, obj{
			"notice_id": str, "title": str, "solicitation_number": str, "agency": str, "agency_path": str, "type": str, "base_type": str,
			"set_aside": str, "set_aside_description": str, "naics": strArr, "psc": str, "active": obj{"type": "boolean"},
			"posted_date": nTime, "response_deadline": nTime, "state": str, "ui_link": str, "fit_score": integ,
			"reasons":        obj{"type": "array", "items": props([]string{"factor", "points", "text"}, obj{"factor": str, "points": integ, "text": str})},
			"pipeline_stage": str, "versions": integ, "first_seen_at": tstamp, "updated_at": tstamp,
			"contacts":       obj{"type": "array", "items": props(nil, obj{"type": str, "full_name": str, "title": str, "email": str, "phone": str})},
			"resource_links": strArr, "description_text": str}),
		"FederalSearch": props([]string{"id", "kind", "name", "naics", "psc", "set_asides", "procurement_types", "posted_days", "requests_per_run", "created_at"}, obj{
			"id": integ, "kind": obj{"type": "string", "enum": []string{"sam", "grants"}}, "name": str, "naics": strArr, "psc": strArr, "set_asides": strArr,
			"state": str, "title": str, "procurement_types": strArr, "posted_days": integ, "fetch_descriptions": obj{"type": "boolean"},
			"requests_per_run": obj{"type": "integer", "description": "SAM.gov requests one run sends per window and page: one per combination of codes"},
			"last_run_at":      nTime, "last_status": str, "last_error": str, "created_at": tstamp}),
		"FederalSearchInput": props([]string{"name"}, obj{"name": str, "kind": obj{"type": "string", "enum": []string{"sam", "grants"}},
			"naics": codeList, "psc": codeList, "set_asides": codeList,
			"set_aside": obj{"description": "older name of set_asides", "oneOf": []obj{str, strArr}}, "state": str, "title": str,
			"procurement_types": codeList, "posted_days": obj{"type": "integer", "minimum": 1, "maximum": 365}, "fetch_descriptions": obj{"type": "boolean"}}),
		"FederalGrant": props([]string{"id", "number", "title", "alns"}, obj{"id": str, "number": str, "title": str, "agency_code": str, "agency_name": str,
			"open_date": nTime, "close_date": nTime, "status": str, "doc_type": str, "alns": strArr}),
	})
	// Federal (nexus host, admin keys; the house tenant's data).
	cursorParams := []obj{qparam("limit", "page size (max 200)", integ), qparam("cursor", "next_cursor of the previous page", str), qparam("q", "full-text search over titles and descriptions", str)}
	paths["/api/v1/federal/opportunities"] = obj{
		"get": obj{"summary": "SAM.gov notices found by the saved searches, with fit scores",
			"parameters": append(cursorParams, qparam("naics", "NAICS code", str), qparam("set_aside", "set-aside code", str), qparam("type", "notice type", str),
				qparam("active", "true or false", str), qparam("state", "place of performance state", str), qparam("min_score", "lowest fit score", integ),
				qparam("sort", "score, posted or deadline", str)),
			"responses": std(obj{"200": jsonResp("OK", pageOf(ref("FederalOpportunity")))}, "400")}}
	paths["/api/v1/federal/opportunities/{noticeId}"] = obj{"parameters": []obj{{"name": "noticeId", "in": "path", "required": true, "schema": str}},
		"get": obj{"summary": "One notice with every field and its amendment history", "responses": std(obj{"200": jsonResp("OK", props([]string{"data", "amendments"}, obj{
			"data": ref("FederalOpportunity"),
			"amendments": obj{"type": "array", "items": props([]string{"changed_at", "fields"}, obj{"changed_at": tstamp,
				"fields": obj{"type": "array", "items": obj{"type": "object"}}})}}))}, "404")}}
	paths["/api/v1/federal/searches"] = obj{
		"get": obj{"summary": "Saved searches", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("FederalSearch")))})},
		"post": obj{"summary": "Create a saved search (several NAICS, PSC and set-aside codes: one SAM.gov request per combination)", "requestBody": jsonBody(ref("FederalSearchInput")),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("FederalSearch")))}, "400", "403")}}
	paths["/api/v1/federal/searches/{id}"] = obj{"parameters": []obj{idParam},
		"delete": obj{"summary": "Delete a saved search", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")}}
	paths["/api/v1/federal/grants"] = obj{
		"get": obj{"summary": "Grants.gov opportunities found by the saved searches", "parameters": cursorParams,
			"responses": std(obj{"200": jsonResp("OK", pageOf(ref("FederalGrant")))}, "400")}}
}
