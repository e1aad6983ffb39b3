package api

// The Twenty-compatible REST API (/rest) and GraphQL (/graphql) in the
// OpenAPI document, so the API reference shows them and the contract
// test calls every one of them.

import (
	"orengen/app"
	"orengen/app/twenty"
)

// twentyExtras adds the schemas of a kind's fields Twenty lacks (a
// person's birthday) under their Twenty names.
func twentyExtras(k *app.RecordKind, p obj) obj {
	for _, f := range twenty.ExtraFields(k) {
		p[twenty.ExtraName(f)] = fieldSchema(f, false)
	}
	return p
}

func addTwentyAPI(paths, schemas obj, tenantParam obj) {
	nStrF := func(format string) obj { return obj{"type": []string{"string", "null"}, "format": format} }
	num := obj{"type": "number"}
	boolean := obj{"type": "boolean"}
	uuid := obj{"type": "string", "format": "uuid", "description": "the record number in UUID form; the plain number is read too"}
	nUUID := obj{"type": []string{"string", "null"}, "format": "uuid"}
	record := func(required []string, p obj) obj {
		o := props(append([]string{"id", "createdAt", "updatedAt", "deletedAt"}, required...), p)
		p["id"], p["createdAt"], p["updatedAt"], p["deletedAt"], p["position"] = uuid, tstamp, tstamp, nTime, num
		o["additionalProperties"] = obj{"description": "custom fields, by key"}
		return o
	}
	schemas["TwentyPerson"] = record([]string{"name", "emails", "phones", "jobTitle", "city", "companyId"}, twentyExtras(app.KindPerson, obj{
		"name":   props([]string{"firstName", "lastName"}, obj{"firstName": str, "lastName": str}),
		"emails": props([]string{"primaryEmail", "additionalEmails"}, obj{"primaryEmail": str, "additionalEmails": strArr}),
		"phones": props([]string{"primaryPhoneNumber", "primaryPhoneCountryCode", "primaryPhoneCallingCode", "additionalPhones"}, obj{
			"primaryPhoneNumber": str, "primaryPhoneCountryCode": str, "primaryPhoneCallingCode": str,
			"additionalPhones": obj{"type": "array", "items": props([]string{"number"}, obj{"number": str, "countryCode": str, "callingCode": str})}}),
		"jobTitle": str, "city": obj{"type": "string", "description": "the person's address"}, "avatarUrl": str, "companyId": nUUID,
		"company": ref("TwentyCompany"), "source": str, "tags": strArr,
	}))
	schemas["TwentyCompany"] = record([]string{"name", "domainName", "employees", "address"}, twentyExtras(app.KindCompany, obj{
		"name":       str,
		"domainName": props([]string{"primaryLinkUrl"}, obj{"primaryLinkUrl": str, "primaryLinkLabel": str, "secondaryLinks": obj{"type": "array"}}),
		"employees":  obj{"type": []string{"integer", "null"}, "description": "the smallest head count of the size band"},
		"address": props([]string{"addressStreet1"}, obj{"addressStreet1": str, "addressStreet2": str, "addressCity": str, "addressPostcode": str,
			"addressState": str, "addressCountry": str, "addressLat": obj{"type": []string{"number", "null"}}, "addressLng": obj{"type": []string{"number", "null"}}}),
		"idealCustomerProfile": boolean, "industry": str, "tags": strArr,
	}))
	schemas["TwentyOpportunity"] = record([]string{"name", "amount", "closeDate", "stage", "companyId", "pointOfContactId"}, twentyExtras(app.KindDeal, obj{
		"name":      str,
		"amount":    props([]string{"amountMicros", "currencyCode"}, obj{"amountMicros": obj{"type": "integer", "description": "1500000000 is 1500.00"}, "currencyCode": str}),
		"closeDate": nStrF("date-time"), "stage": obj{"type": "string", "description": "the stage's name in upper case"},
		"probability": nInt, "companyId": nUUID, "pointOfContactId": nUUID, "company": ref("TwentyCompany"), "pointOfContact": ref("TwentyPerson"), "tags": strArr,
	}))
	richText := props([]string{"markdown"}, obj{"markdown": str, "blocknote": nStr})
	targets := obj{"personId": nUUID, "companyId": nUUID, "opportunityId": nUUID}
	note := obj{"title": obj{"type": "string", "description": "a leading \"# Title\" line"}, "bodyV2": richText}
	task := obj{"title": str, "bodyV2": richText, "dueAt": nStrF("date-time"), "status": obj{"type": "string", "enum": []string{"TODO", "DONE"}}, "assigneeId": nUUID}
	for k, v := range targets {
		note[k], task[k] = v, v
	}
	schemas["TwentyNote"] = record([]string{"title", "bodyV2"}, note)
	schemas["TwentyTask"] = record([]string{"title", "status", "dueAt"}, task)
	schemas["TwentyError"] = props([]string{"statusCode", "error", "messages"}, obj{"statusCode": integ, "error": str, "messages": strArr,
		"field": obj{"type": "string", "description": "the input at fault: filter, order_by, name.firstName, records[3].emails ..."}})
	schemas["TwentyPageInfo"] = props([]string{"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}, obj{"hasNextPage": boolean,
		"hasPreviousPage": boolean, "startCursor": nStr, "endCursor": nStr})

	errR := func(desc string) obj { return jsonResp(desc, ref("TwentyError")) }
	std := func(ok obj, extra ...string) obj {
		r := obj{"401": errR("Missing or invalid API key."), "429": errR("Past the key's rate limit (Retry-After)."), "default": errR("Error.")}
		for k, v := range ok {
			r[k] = v
		}
		for _, code := range extra {
			r[code] = errR(map[string]string{"400": "Invalid input; field names it.", "403": "Read-only key.", "404": "Not found (or another tenant's)."}[code])
		}
		return r
	}
	data := func(key string, schema obj) obj {
		return obj{"type": "object", "required": []string{"data"}, "properties": obj{"data": props([]string{key}, obj{key: schema})}}
	}
	depth := qparam("depth", "1 (default) embeds the records a record points at (a person's company; an opportunity's company and point of contact); 0 gives their IDs",
		obj{"type": "integer", "enum": []int{0, 1, 2}})
	list := []obj{
		qparam("filter", "field[comparator]:value, comma-separated (all must match), grouped with and(...), or(...) and not(...); comparators eq, neq, in ([a,b]), is (NULL, NOT_NULL), gt, gte, lt, lte, startsWith, like, ilike, containsIlike. Example: or(createdAt[gte]:\"2024-01-01\",not(companyId[is]:NULL))", str),
		qparam("order_by", "one field, optionally [AscNullsFirst|AscNullsLast|DescNullsFirst|DescNullsLast]; default createdAt", str),
		qparam("limit", "1 to 200, default 60", obj{"type": "integer", "minimum": 1, "maximum": 200}),
		qparam("starting_after", "a cursor (pageInfo.endCursor): the page after it", str),
		qparam("ending_before", "a cursor (pageInfo.startCursor): the page before it", str),
		depth, tenantParam,
	}
	idParam := obj{"name": "id", "in": "path", "required": true, "schema": str}
	for _, o := range twentyObjects {
		schema := ref("Twenty" + capitalize(o.Singular))
		input := obj{"type": "object", "description": "Twenty's fields, as the record's schema; unknown ones are refused (400 naming them)"}
		base := "/rest/" + o.Plural
		paths[base] = obj{
			"get": obj{"summary": "List " + o.Plural + " (Twenty's REST)", "tags": []string{"Twenty-compatible REST"}, "parameters": list,
				"responses": std(obj{"200": jsonResp("OK", props([]string{"data", "pageInfo", "totalCount"}, obj{
					"data": props([]string{o.Plural}, obj{o.Plural: obj{"type": "array", "items": schema}}), "pageInfo": ref("TwentyPageInfo"), "totalCount": integ}))}, "400")},
			"post": obj{"summary": "Create a " + o.Singular, "tags": []string{"Twenty-compatible REST"}, "parameters": []obj{tenantParam}, "requestBody": jsonBody(input),
				"responses": std(obj{"201": jsonResp("Created", data("create"+capitalize(o.Singular), schema))}, "400", "403")},
		}
		paths["/rest/batch/"+o.Plural] = obj{
			"post": obj{"summary": "Create " + o.Plural + " in one transaction (all or none)", "tags": []string{"Twenty-compatible REST"}, "parameters": []obj{tenantParam},
				"requestBody": jsonBody(obj{"type": "array", "items": input, "maxItems": 1000}),
				"responses":   std(obj{"201": jsonResp("Created", data("create"+capitalize(o.Plural), obj{"type": "array", "items": schema}))}, "400", "403")},
		}
		upd := obj{"summary": "Change the fields sent", "tags": []string{"Twenty-compatible REST"}, "requestBody": jsonBody(input),
			"responses": std(obj{"200": jsonResp("OK", data("update"+capitalize(o.Singular), schema))}, "400", "403", "404")}
		put := obj{}
		for k, v := range upd {
			put[k] = v
		}
		put["summary"] = "Change the fields sent (as PATCH)"
		paths[base+"/{id}"] = obj{"parameters": []obj{idParam, tenantParam},
			"get": obj{"summary": "One " + o.Singular, "tags": []string{"Twenty-compatible REST"}, "parameters": []obj{depth},
				"responses": std(obj{"200": jsonResp("OK", data(o.Singular, schema))}, "400", "404")},
			"patch": upd, "put": put,
			"delete": obj{"summary": "Delete a " + o.Singular, "tags": []string{"Twenty-compatible REST"},
				"responses": std(obj{"200": jsonResp("Deleted", data("delete"+capitalize(o.Singular), props([]string{"id"}, obj{"id": uuid})))}, "403", "404")},
		}
	}
	gqlResp := props(nil, obj{"data": obj{"type": []string{"object", "null"}},
		"errors": obj{"type": "array", "items": props([]string{"message"}, obj{"message": str, "path": obj{"type": "array"},
			"locations": obj{"type": "array"}, "extensions": props(nil, obj{"code": str, "field": str})})}})
	gqlDesc := "Twenty's GraphQL: people, companies, opportunities, notes and tasks (filter, orderBy, first/after, last/before), create, createMany, update, delete, " +
		"and createContact (upserts a person and runs the contact created workflows). Depth at most 10, cost at most 50000 (fields × rows): past either, 400 naming the limit. " +
		"Read keys run queries only. The schema is served by introspection; the playground is under API & developer tools."
	paths["/graphql"] = obj{"parameters": []obj{tenantParam},
		"post": obj{"summary": "GraphQL query or mutation", "description": gqlDesc, "tags": []string{"GraphQL"},
			"requestBody": jsonBody(props([]string{"query"}, obj{"query": str, "operationName": str, "variables": obj{"type": "object"}})),
			"responses": obj{"200": jsonResp("Ran (resolver errors in errors)", gqlResp), "400": jsonResp("Refused before running: malformed, unknown field, depth or cost", gqlResp),
				"401": jsonResp("Missing or invalid API key.", gqlResp), "403": jsonResp("A mutation with a read-only key.", gqlResp), "default": jsonResp("Error.", gqlResp)}},
		"get": obj{"summary": "GraphQL query (no mutations)", "tags": []string{"GraphQL"},
			"parameters": []obj{{"name": "query", "in": "query", "required": true, "schema": str}, qparam("variables", "JSON object", str), qparam("operationName", "", str)},
			"responses": obj{"200": jsonResp("Ran", gqlResp), "400": jsonResp("Refused before running", gqlResp), "401": jsonResp("Missing or invalid API key.", gqlResp),
				"default": jsonResp("Error.", gqlResp)}},
	}
}
