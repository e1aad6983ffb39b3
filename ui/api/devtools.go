package api

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/assets"
	"orengen/ui/web"
)

// API & developer tools (Portal for owners, Nexus for admins): the API
// reference (the vendored Swagger UI over the OpenAPI document, "Try it
// out" with a pasted key), the keys with their use, the GraphQL
// playground, the MCP endpoint and copy-paste examples (curl, n8n's HTTP
// Request node). The page is read with the session; the requests it
// sends carry an API key, as any program's would.

type devToolsPage struct {
	web.Layout
	Portal      bool
	Base        string // the host's URL
	SpecURL     string
	Keys        []*app.APIKey
	Curl        string
	CurlGraphQL string
	N8N         string
	SwaggerJS   string
	SwaggerCSS  string
	// Deliveries links to the webhook delivery log (when it is served).
	Deliveries bool
}

// MountDevTools serves /developers on a host's signed-in group.
func (s *Handler) MountDevTools(r fiber.Router, sc web.Scope, csrf fiber.Handler) {
	guard := func(c *fiber.Ctx) error {
		if !sc.Nexus() {
			if err := web.RequireOwner(c, "use the developer tools"); err != nil {
				return err
			}
		}
		return c.Next()
	}
	r.Get("/developers", guard, s.handleDevTools(sc))
	if !sc.Nexus() {
		r.Get("/developers/openapi.json", guard, s.handlePortalOpenAPI)
	} else {
		r.Get("/developers/openapi.json", guard, s.handleOpenAPI)
	}
	r.Get("/developers/graphql", guard, s.handleGraphiQL(sc))
	s.mountDeliveryLog(r, sc, guard, csrf)
}

func (s *Handler) handleDevTools(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := &devToolsPage{Portal: !sc.Nexus(), SpecURL: "/developers/openapi.json", Deliveries: s.Webhooks != nil,
			SwaggerJS: assets.URL("vendor/swagger-ui/swagger-ui-bundle.js"), SwaggerCSS: assets.URL("vendor/swagger-ui/swagger-ui.css")}
		var err error
		if p.Portal {
			p.Base = c.BaseURL()
			p.Keys, err = s.APIKeys.ListTenantKeys(c.UserContext())
		} else {
			p.Base = s.URL(web.HostNexus)
			p.Keys, err = s.APIKeys.ListAdminKeys(c.UserContext())
		}
		if err != nil {
			return err
		}
		p.Curl = "curl -H 'Authorization: Bearer YOUR_KEY' '" + p.Base + "/rest/people?limit=5&filter=emails.primaryEmail%5Beq%5D:ana@example.com'"
		gql := map[string]any{"query": seedMutationExample, "variables": map[string]any{"data": map[string]any{"firstName": "Ana", "lastName": "Diaz", "email": "ana@example.com"}}}
		body, _ := json.Marshal(gql)
		p.CurlGraphQL = "curl -X POST -H 'Authorization: Bearer YOUR_KEY' -H 'Content-Type: application/json' \\\n  -d '" + string(body) + "' \\\n  " + p.Base + "/graphql"
		node := map[string]any{"name": "Create contact", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2, "position": []int{0, 0},
			"parameters": map[string]any{"method": "POST", "url": p.Base + "/graphql", "authentication": "genericCredentialType",
				"genericAuthType": "httpHeaderAuth", "sendBody": true, "specifyBody": "json", "jsonBody": string(body)}}
		n8n, _ := json.MarshalIndent(map[string]any{"nodes": []any{node}, "connections": map[string]any{}}, "", "  ")
		p.N8N = string(n8n)
		p.Layout = s.Layout(c, sc.Host, "API & developer tools")
		return s.Render(c, sc.Page("developers"), p)
	}
}

// seedMutationExample is the seed's n8n-to-Twenty mutation.
const seedMutationExample = `mutation CreateContact($data: ContactInput!) { createContact(data: $data) { id firstName lastName email } }`

type graphiqlPage struct {
	web.Layout
	Endpoint string
	Query    string
	Schema   string
}

func (s *Handler) handleGraphiQL(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := &graphiqlPage{Endpoint: "/graphql", Schema: GraphQLSchema(),
			Query: "{\n  people(first: 5, orderBy: [{createdAt: DescNullsLast}]) {\n    totalCount\n    edges { node { id name { firstName lastName } emails { primaryEmail } } }\n  }\n}"}
		if !sc.Nexus() {
			// The schema's own description speaks of the agency's admin
			// host: a client's portal shows the types only (white label).
			if i := strings.Index(p.Schema, "schema {"); i >= 0 {
				p.Schema = p.Schema[i:]
			}
		}
		p.Layout = s.Layout(c, sc.Host, "GraphQL playground")
		return s.Render(c, sc.Page("graphiql"), p)
	}
}

// handlePortalOpenAPI is the document as a client's portal shows it
// (white label): the client's name as its title, without the admin
// host's endpoints, and no word of the agency's product or admin host.
func (s *Handler) handlePortalOpenAPI(c *fiber.Ctx) error {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	name := "API"
	if t := web.Tenant(c); t != nil {
		name = t.BrandName() + " API"
	}
	info, _ := doc["info"].(map[string]any)
	if info != nil {
		info["title"] = name
		info["description"] = "Authenticate with Authorization: Bearer KEY (a key from API keys). Write routes need a write-scoped key. " +
			"Every key has a rate limit (RateLimit-* headers; 429 with Retry-After past it). Errors are {\"error\":{\"code\",\"message\",\"field\"}}; " +
			"lists are {\"data\":[...],\"next_cursor\":...}. /rest and /graphql follow Twenty CRM's shapes."
	}
	if paths, ok := doc["paths"].(map[string]any); ok {
		for p := range paths {
			for _, a := range adminOnlyAPI {
				if p == a || strings.HasPrefix(p, a+"/") {
					delete(paths, p)
				}
			}
		}
		dropUnusedTags(doc, paths)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	// What is left may name the admin host in a parameter's note (admin
	// keys' ?tenant=); the client reads "the admin host".
	out := strings.NewReplacer("nexus.DOMAIN", "the admin host", "Nexus", "the admin host", "orengen", "this server", "OrenGen", "this server").Replace(string(b))
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.SendString(out)
}
