package api

import "orengen/app"

// addCRMAPI documents the CRM: people, companies, deals (opportunities),
// notes and tasks with their batch, timeline and custom fields, the
// pipelines, and finding and merging duplicate people. The built-in
// fields of a record kind come from its descriptors (fieldSchemas).
func addCRMAPI(paths, schemas obj, std func(obj, ...string) obj, tenantParam, idParam obj) {
	common := []string{"id", "created_at", "updated_at"}
	tagsIn := obj{"type": "array", "maxItems": 30, "description": "Lowercased and de-duplicated; each starts with a letter or digit, at most 50 characters.",
		"items": obj{"type": "string", "maxLength": 50}}
	addAll(schemas, obj{
		"Consent": props(nil, obj{"email": obj{"type": "boolean"}, "sms": obj{"type": "boolean"}, "calls": obj{"type": "boolean"}}),
		"Person": props(append(common, "first_name", "last_name", "emails", "phones"), fieldSchemas(obj{
			"id": integ, "tenant_id": integ,
			"emails":     obj{"type": "array", "items": obj{"type": "string", "format": "email"}},
			"phones":     obj{"type": "array", "items": obj{"type": "string", "description": "E.164, e.g. +15125550100"}},
			"company_id": nInt, "company_name": str, "owner_id": nInt,
			"tags": strArr, "consent": ref("Consent"), "custom": ref("Custom"), "created_at": tstamp, "updated_at": tstamp,
		}, app.KindPerson, false)),
		"Custom": obj{"type": "object", "description": "Custom field values by key, checked by the field's type; in PATCH a null value removes one.", "additionalProperties": true},
		"CustomField": props([]string{"id", "object", "key", "type"}, obj{"id": integ, "object": obj{"type": "string", "enum": []string{"person", "company", "deal"}},
			"key": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}, "label": str, "type": obj{"type": "string", "enum": app.CustomTypes},
			"options": strArr, "position": integ, "created_at": tstamp}),
		"PersonInput": props(nil, fieldSchemas(obj{
			"id": obj{"type": "integer", "description": "batch only: replace this person"}, "emails": strArr,
			"email": obj{"type": "string", "description": "shorthand for one email"}, "phones": strArr,
			"phone":      obj{"type": "string", "description": "shorthand for one phone; any format, US by default"},
			"company_id": nInt, "owner_id": nInt, "tags": tagsIn, "consent": ref("Consent"), "custom": ref("Custom"),
		}, app.KindPerson, true)),
		"Company": props(append(common, "name"), fieldSchemas(obj{"id": integ, "tenant_id": integ,
			"tags": strArr, "custom": ref("Custom"), "created_at": tstamp, "updated_at": tstamp}, app.KindCompany, false)),
		"CompanyInput": props(nil, fieldSchemas(obj{"id": integ, "tags": tagsIn, "custom": ref("Custom")}, app.KindCompany, true)),
		"Opportunity": props(append(common, "name", "amount", "currency", "stage"), fieldSchemas(obj{
			"id": integ, "tenant_id": integ, "amount": obj{"type": "integer", "description": "integer minor units of the currency (cents): 125000 with USD is 1,250.00 USD, as every page shows it"},
			"currency": obj{"type": "string", "pattern": "^[A-Z]{3}$"}, "pipeline_id": integ, "stage_id": integ, "stage": str,
			"expected_close": obj{"type": []string{"string", "null"}, "format": "date"}, "probability": nInt, "owner_id": nInt, "company_id": nInt,
			"person_ids": obj{"type": "array", "items": integ}, "tags": strArr, "custom": ref("Custom"), "created_at": tstamp, "updated_at": tstamp,
		}, app.KindDeal, false)),
		"OpportunityInput": props(nil, fieldSchemas(obj{
			"id": integ, "amount": obj{"type": "integer", "description": "integer minor units of the currency (cents): 125000 with USD is 1,250.00 USD, as every page shows it"}, "currency": str,
			"pipeline_id": integ, "stage": obj{"type": "string", "description": "stage name or ID in the pipeline"}, "stage_id": integ,
			"expected_close": obj{"type": "string", "format": "date"}, "probability": integ, "owner_id": nInt, "company_id": nInt,
			"person_ids": obj{"type": "array", "items": integ}, "tags": tagsIn, "custom": ref("Custom"),
		}, app.KindDeal, true)),
		"Note": props(append(common, "record_type", "record_id", "body"), obj{"id": integ, "tenant_id": integ,
			"record_type": linkType, "record_id": integ,
			"body": obj{"type": "string", "description": "markdown"}, "body_html": obj{"type": "string", "description": "safe HTML (raw HTML escaped)"},
			"author": str, "created_at": tstamp, "updated_at": tstamp}),
		"NoteInput": props(nil, obj{"id": integ, "record_type": linkType, "record_id": integ, "body": str}),
		"Task": props(append(common, "title", "done"), obj{"id": integ, "tenant_id": integ, "title": str, "due": obj{"type": []string{"string", "null"}, "format": "date-time"},
			"assignee_id": nInt, "done": obj{"type": "boolean"}, "done_at": nStr, "record_type": taskLinkType, "record_id": nInt, "created_at": tstamp, "updated_at": tstamp}),
		"TaskInput": props(nil, obj{"id": integ, "title": str, "due": obj{"type": "string", "description": "date or date-time"}, "assignee_id": nInt,
			"done": obj{"type": "boolean"}, "record_type": taskLinkType, "record_id": integ}),
		"TimelineEntry": props([]string{"id", "kind", "actor", "created_at"}, obj{"id": integ,
			"kind":  obj{"type": "string", "description": "created, updated, note, task, task_done; later features add form, sms, call, email"},
			"actor": str, "field": str, "old": str, "new": str, "body": str, "ref_type": str, "ref_id": integ, "created_at": tstamp}),
		"Pipeline": props([]string{"id", "name", "stages"}, obj{"id": integ, "name": str, "stages": obj{"type": "array", "items": props(nil, obj{
			"id": integ, "name": str, "position": integ, "probability": integ, "won": obj{"type": "boolean"}, "lost": obj{"type": "boolean"}})}}),
		"PipelineInput": props(nil, obj{"name": str, "stages": obj{"type": "array", "description": "In order; on PATCH the full new list (stages with an id are kept)",
			"items": props([]string{"name"}, obj{"id": integ, "name": str, "probability": obj{"type": "integer", "minimum": 0, "maximum": 100},
				"won": obj{"type": "boolean"}, "lost": obj{"type": "boolean"}})}}),
	})
	addAll(paths, obj{
		"/api/v1/pipelines": obj{
			"get": obj{"summary": "Pipelines and stages (the default Sales pipeline is created on first use)",
				"parameters": []obj{tenantParam}, "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Pipeline")))}, "400")},
			"post": obj{"summary": "Add a pipeline with its stages", "parameters": []obj{tenantParam}, "requestBody": jsonBody(ref("PipelineInput")),
				"responses": std(obj{"201": jsonResp("Created", dataOf(ref("Pipeline")))}, "400", "403")},
		},
		"/api/v1/pipelines/{id}": obj{"parameters": []obj{idParam, tenantParam},
			"patch": obj{"summary": "Rename; with stages, replace the stages in order (stages with an id are kept; one left out is removed unless it has deals)",
				"requestBody": jsonBody(ref("PipelineInput")), "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Pipeline")))}, "400", "403", "404")}},
	})
	schemaOf := map[string]string{app.RecordPerson: "Person", app.RecordCompany: "Company", app.RecordDeal: "Opportunity", app.RecordNote: "Note", app.RecordTask: "Task"}
	for _, r := range crmResources {
		sc := schemaOf[r.Record]
		params := []obj{
			qparam("limit", "Page size, 1 to 200 (default 50).", obj{"type": "integer", "minimum": 1, "maximum": app.MaxPageSize}),
			qparam("cursor", "next_cursor of the previous page.", str),
			qparam("sort", "Sort key; - for descending. Default -created_at.", obj{"type": "string", "enum": app.SortKeysFor(r.Record)}),
			qparam("q", "Full-text search (names, emails, phones, notes).", str),
			tenantParam,
		}
		for _, f := range r.Filter {
			if f == "record_type" {
				params = append(params, qparam(f, "Filter: what the record is linked to; pursuit and grant_pursuit are bid and grant pipeline entries.", linkType))
				continue
			}
			params = append(params, qparam(f, "Filter: exact match.", str))
		}
		if app.KindOf(r.Record) != nil { // people, companies and deals have saved views
			params = append(params, qparam("view", "ID of a saved view (portal: CRM > Views): its conditions and, unless sort is given, its sort.", integ))
		}
		paths["/api/v1/"+r.Path] = obj{
			"get": obj{"summary": "List " + r.Path, "parameters": params, "responses": std(obj{"200": jsonResp("A page", pageOf(ref(sc)))}, "400")},
			"post": obj{"summary": "Create one of " + r.Path, "parameters": []obj{tenantParam}, "requestBody": jsonBody(ref(sc + "Input")),
				"responses": std(obj{"201": jsonResp("Created", dataOf(ref(sc)))}, "400", "403")},
		}
		paths["/api/v1/"+r.Path+"/batch"] = obj{"post": obj{
			"summary":     "Upsert up to 1000 " + r.Path + " in one transaction (records with id replace, others are created); any invalid record fails the whole batch",
			"parameters":  []obj{tenantParam},
			"requestBody": jsonBody(props([]string{"records"}, obj{"records": obj{"type": "array", "maxItems": app.MaxBatch, "items": ref(sc + "Input")}})),
			"responses":   std(obj{"200": jsonResp("Written", dataOf(props([]string{"ids", "count"}, obj{"ids": obj{"type": "array", "items": integ}, "count": integ})))}, "400", "403"),
		}}
		paths["/api/v1/"+r.Path+"/{id}"] = obj{"parameters": []obj{idParam},
			"get":    obj{"summary": "One of " + r.Path, "responses": std(obj{"200": jsonResp("OK", dataOf(ref(sc)))}, "404")},
			"patch":  obj{"summary": "Change the given fields", "requestBody": jsonBody(ref(sc + "Input")), "responses": std(obj{"200": jsonResp("OK", dataOf(ref(sc)))}, "400", "403", "404")},
			"delete": obj{"summary": "Delete", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")},
		}
		if r.Record != app.RecordNote && r.Record != app.RecordTask {
			paths["/api/v1/"+r.Path+"/{id}/timeline"] = obj{"parameters": []obj{idParam},
				"get": obj{"summary": "The record's activity, oldest first", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("TimelineEntry")))}, "404")}}
		}
	}
	paths["/api/v1/custom-fields"] = obj{
		"get": obj{"summary": "The tenant's custom field definitions", "parameters": []obj{qparam("object", "person, company or deal", str), tenantParam},
			"responses": std(obj{"200": jsonResp("OK", pageOf(ref("CustomField")))}, "400")},
		"post": obj{"summary": "Define a custom field", "parameters": []obj{tenantParam}, "requestBody": jsonBody(ref("CustomField")),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("CustomField")))}, "400", "403")},
	}
	paths["/api/v1/custom-fields/{id}"] = obj{"parameters": []obj{idParam, tenantParam},
		"delete": obj{"summary": "Delete a definition and its values on every record", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")}}
	paths["/api/v1/people/{id}/duplicates"] = obj{"parameters": []obj{idParam},
		"get": obj{"summary": "People of the tenant sharing a normalised email or phone with this one", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Person")))}, "404")}}
	paths["/api/v1/people/{id}/merge"] = obj{"parameters": []obj{idParam},
		"post": obj{"summary": "Merge person merge_id into this one, keeping every note, task, deal link and timeline entry (one transaction)",
			"requestBody": jsonBody(props([]string{"merge_id"}, obj{"merge_id": integ})),
			"responses":   std(obj{"200": jsonResp("Merged", dataOf(ref("Person")))}, "400", "403", "404")}}
}
