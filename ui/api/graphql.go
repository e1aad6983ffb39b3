package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"orengen/app"
	"orengen/app/twenty"
	"orengen/ui/web"
)

// GraphQL at /graphql (tenant keys on the portal hosts, admin keys on
// Nexus with ?tenant=): Twenty's queries and mutations for people,
// companies, opportunities, notes and tasks, and the seed's createContact.
// graph-gophers/graphql-go executes it: the schema is a plain SDL file
// (graphql.graphqls) bound to resolvers by reflection, with no generated
// code to keep in step (gqlgen would generate some ten thousand lines).
// Depth and cost are measured before execution (graphql_cost.go).

//go:embed graphql.graphqls
var graphqlSDL string

// GraphQLSchema returns the schema's SDL (the playground's reference):
// graphql.graphqls and the CRM's extra fields (graphql_extra.go).
func GraphQLSchema() string { return gqlSDL() }

var gqlSDL = sync.OnceValue(func() string { return graphqlSDL + "\n" + extraSDL() })

var gqlSchema = sync.OnceValues(func() (*graphql.Schema, error) {
	return graphql.ParseSchema(gqlSDL(), &gqlRoot{}, graphql.UseFieldResolvers(), graphql.MaxParallelism(4),
		graphql.MaxQueryLength(GraphQLMaxQueryLength), graphql.PanicHandler(gqlPanics{}))
})

// gqlPanics logs a resolver's panic and answers an internal error.
type gqlPanics struct{}

func (gqlPanics) MakePanicError(ctx context.Context, value any) *gqlerrors.QueryError {
	if env := gqlEnvFrom(ctx); env != nil {
		env.log.Error("graphql resolver panic", "panic", value)
	}
	return &gqlerrors.QueryError{Message: "Internal error.", Extensions: map[string]any{"code": gqlCodes[app.EINTERNAL]}}
}

// MountGraphQL serves /graphql on a host (web.HostPortal or web.HostNexus):
// POST (JSON or application/graphql) and GET (?query=, reads only).
func (s *Handler) MountGraphQL(r fiber.Router, host string) {
	if s.Twenty == nil {
		return
	}
	r.Post("/graphql", graphqlErrors, s.requireAPIKey(host), s.handleGraphQL)
	r.Get("/graphql", graphqlErrors, s.requireAPIKey(host), s.handleGraphQL)
}

// gqlCodes are the extension codes of GraphQL errors (Apollo's names,
// which Twenty's errors carry).
var gqlCodes = map[string]string{app.EINVALID: "BAD_USER_INPUT", app.EUNAUTHORIZED: "UNAUTHENTICATED", app.EFORBIDDEN: "FORBIDDEN",
	app.ENOTFOUND: "NOT_FOUND", app.ECONFLICT: "CONFLICT", app.ETOOMANY: "TOO_MANY_REQUESTS", app.ETOOLARGE: "PAYLOAD_TOO_LARGE",
	app.EINTERNAL: "INTERNAL_SERVER_ERROR"}

// gqlErrorBody is a GraphQL response of one error.
func gqlErrorBody(err error) fiber.Map {
	ext := fiber.Map{"code": gqlCodes[app.ErrorCode(err)]}
	if f := app.ErrorField(err); f != "" {
		ext["field"] = f
	}
	return fiber.Map{"errors": []fiber.Map{{"message": app.ErrorMessage(err), "extensions": ext}}}
}

// graphqlErrors answers errors before execution (the key, its rate
// limit, a bad body, a limit) as GraphQL errors with their HTTP status.
func graphqlErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	var fe *fiber.Error
	if errors.As(err, &fe) || app.ErrorCode(err) == app.EINTERNAL {
		return err
	}
	var rl *app.RateLimitError
	if errors.As(err, &rl) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
	}
	return c.Status(web.ErrorStatus(app.ErrorCode(err))).JSON(gqlErrorBody(err))
}

// gqlRequest is a GraphQL-over-HTTP request.
type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

func readGQLRequest(c *fiber.Ctx) (*gqlRequest, error) {
	var r gqlRequest
	if c.Method() == fiber.MethodGet {
		r.Query, r.OperationName = c.Query("query"), c.Query("operationName")
		if v := c.Query("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &r.Variables); err != nil {
				return nil, app.FieldErrorf("variables", "variables must be a JSON object.")
			}
		}
	} else if strings.HasPrefix(c.Get(fiber.HeaderContentType), "application/graphql") && !strings.Contains(c.Get(fiber.HeaderContentType), "json") {
		r.Query = string(c.Body())
	} else {
		d := json.NewDecoder(strings.NewReader(string(c.Body())))
		d.UseNumber()
		if err := d.Decode(&r); err != nil {
			return nil, app.FieldErrorf("query", "The body must be JSON: {\"query\": \"...\", \"variables\": {...}}.")
		}
		r.Variables = numbersToFloat(r.Variables).(map[string]any)
	}
	if strings.TrimSpace(r.Query) == "" {
		return nil, app.FieldErrorf("query", "Send a GraphQL query as \"query\".")
	}
	if r.Variables == nil {
		r.Variables = map[string]any{}
	}
	return &r, nil
}

// numbersToFloat turns json.Numbers into float64 (what the executor
// expects) but keeps integers that float64 cannot hold exactly as text.
func numbersToFloat(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return map[string]any(nil)
		}
		for k, e := range x {
			x[k] = numbersToFloat(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = numbersToFloat(e)
		}
		return x
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return string(x)
		}
		return f
	}
	return v
}

// gqlEnv is what resolvers need of the request.
type gqlEnv struct {
	h   *Handler
	c   *fiber.Ctx
	log *slog.Logger
	// admin: the request is an admin key's (creates need ?tenant=,
	// changes act in the record's tenant).
	admin bool
}

type gqlEnvKey struct{}

func gqlEnvFrom(ctx context.Context) *gqlEnv {
	e, _ := ctx.Value(gqlEnvKey{}).(*gqlEnv)
	return e
}

func (s *Handler) handleGraphQL(c *fiber.Ctx) error {
	req, err := readGQLRequest(c)
	if err != nil {
		return err
	}
	plan, err := planGraphQL(req.Query, req.OperationName, req.Variables)
	if err != nil {
		return err
	}
	if plan.Mutation {
		if c.Method() == fiber.MethodGet {
			return app.Errorf(app.EINVALID, "Mutations are sent with POST.")
		}
		if k := web.APIKey(c); k == nil || !k.CanWrite() {
			return app.Errorf(app.EFORBIDDEN, "This API key is read-only; create a write key to change data.")
		}
	}
	schema, err := gqlSchema()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	env := &gqlEnv{h: s, c: c, log: s.Logger}
	if k := app.APIKeyFromContext(ctx); k != nil && k.Admin() {
		env.admin = true
		if ctx, err = s.adminScope(c, ctx, app.RecordPerson, 0); err != nil && app.ErrorField(err) != "tenant" {
			return err
		} else if err != nil {
			ctx = app.NewContextAcrossTenants(c.UserContext()) // a create then says what is missing
		}
	}
	ctx = context.WithValue(ctx, gqlEnvKey{}, env)
	resp := schema.Exec(ctx, req.Query, req.OperationName, req.Variables)
	status := fiber.StatusOK
	if len(resp.Errors) > 0 && resp.Data == nil {
		status = fiber.StatusBadRequest // the document or its variables were refused: nothing ran
	}
	for _, e := range resp.Errors {
		var ae *app.Error
		if errors.As(e.ResolverError, &ae) {
			if e.Extensions == nil {
				e.Extensions = map[string]any{}
			}
			e.Message = ae.Message
			e.Extensions["code"] = gqlCodes[ae.Code]
			if ae.Field != "" {
				e.Extensions["field"] = ae.Field
			}
		} else if e.ResolverError != nil {
			s.Logger.Error("graphql resolver", "err", e.ResolverError, "path", e.Path)
			e.Message, e.Extensions = "Internal error.", map[string]any{"code": gqlCodes[app.EINTERNAL]}
		}
	}
	c.Status(status)
	return c.JSON(resp)
}

// ---- scalars ----

// rawIn is any input scalar as the client sent it: Set says it was sent
// (null included). Inputs are turned back into JSON and read by package
// twenty, which names the field at fault.
type rawIn struct {
	Set bool
	V   any
}

var inScalars = map[string]bool{"String": true, "UUID": true, "DateTime": true, "Date": true, "BigFloat": true, "Float": true, "Int": true, "Boolean": true,
	"OpportunityStageEnum": true, "TaskStatusEnum": true}

func (rawIn) ImplementsGraphQLType(name string) bool { return inScalars[name] }
func (r *rawIn) UnmarshalGraphQL(v any) error {
	r.Set, r.V = true, v
	if i, ok := v.(int32); ok {
		r.V = int64(i)
	}
	return nil
}
func (r *rawIn) Nullable()     {}
func (r rawIn) IsZero() bool   { return !r.Set }
func (r rawIn) String() string { return strings.Trim(mustJSON(r.V), `"`) }
func (r rawIn) MarshalJSON() ([]byte, error) {
	if f, ok := r.V.(float64); ok && f == float64(int64(f)) {
		return []byte(strconv.FormatInt(int64(f), 10)), nil
	}
	return json.Marshal(r.V)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type uuidOut string

func (uuidOut) ImplementsGraphQLType(name string) bool { return name == "UUID" }
func (u *uuidOut) UnmarshalGraphQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return errors.New("a UUID is a string")
	}
	*u = uuidOut(s)
	return nil
}

func optUUID(s *string) *uuidOut {
	if s == nil {
		return nil
	}
	u := uuidOut(*s)
	return &u
}

type dateTime string

func (dateTime) ImplementsGraphQLType(name string) bool { return name == "DateTime" }
func (d *dateTime) UnmarshalGraphQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return errors.New("a DateTime is a string")
	}
	*d = dateTime(s)
	return nil
}

func optDateTime(s *string) *dateTime {
	if s == nil {
		return nil
	}
	d := dateTime(*s)
	return &d
}

type bigFloat float64

func (bigFloat) ImplementsGraphQLType(name string) bool { return name == "BigFloat" }
func (b *bigFloat) UnmarshalGraphQL(v any) error {
	f, ok := v.(float64)
	if !ok {
		return errors.New("a BigFloat is a number")
	}
	*b = bigFloat(f)
	return nil
}
func (b bigFloat) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(b), 'f', -1, 64)), nil
}

// ---- inputs ----

// filterIn is every filter input type at once (the executor matches input
// fields to struct fields by name; unused ones stay nil): comparators,
// composite fields, record fields and the and/or/not groups. It is turned
// into Twenty's filter tree by its JSON.
type filterIn struct {
	Eq                 rawIn       `json:"eq,omitzero"`
	Neq                rawIn       `json:"neq,omitzero"`
	In                 *[]rawIn    `json:"in,omitempty"`
	Like               rawIn       `json:"like,omitzero"`
	Ilike              rawIn       `json:"ilike,omitzero"`
	StartsWith         rawIn       `json:"startsWith,omitzero"`
	ContainsIlike      rawIn       `json:"containsIlike,omitzero"`
	Gt                 rawIn       `json:"gt,omitzero"`
	Gte                rawIn       `json:"gte,omitzero"`
	Lt                 rawIn       `json:"lt,omitzero"`
	Lte                rawIn       `json:"lte,omitzero"`
	Is                 *string     `json:"is,omitempty"`
	FirstName          *filterIn   `json:"firstName,omitempty"`
	LastName           *filterIn   `json:"lastName,omitempty"`
	PrimaryEmail       *filterIn   `json:"primaryEmail,omitempty"`
	AdditionalEmails   *filterIn   `json:"additionalEmails,omitempty"`
	PrimaryPhoneNumber *filterIn   `json:"primaryPhoneNumber,omitempty"`
	AdditionalPhones   *filterIn   `json:"additionalPhones,omitempty"`
	PrimaryLinkURL     *filterIn   `json:"primaryLinkUrl,omitempty"`
	AddressStreet1     *filterIn   `json:"addressStreet1,omitempty"`
	AmountMicros       *filterIn   `json:"amountMicros,omitempty"`
	CurrencyCode       *filterIn   `json:"currencyCode,omitempty"`
	Markdown           *filterIn   `json:"markdown,omitempty"`
	ID                 *filterIn   `json:"id,omitempty"`
	Name               *filterIn   `json:"name,omitempty"`
	Emails             *filterIn   `json:"emails,omitempty"`
	Phones             *filterIn   `json:"phones,omitempty"`
	JobTitle           *filterIn   `json:"jobTitle,omitempty"`
	City               *filterIn   `json:"city,omitempty"`
	CompanyID          *filterIn   `json:"companyId,omitempty"`
	Source             *filterIn   `json:"source,omitempty"`
	Tags               *filterIn   `json:"tags,omitempty"`
	CreatedAt          *filterIn   `json:"createdAt,omitempty"`
	UpdatedAt          *filterIn   `json:"updatedAt,omitempty"`
	DomainName         *filterIn   `json:"domainName,omitempty"`
	Employees          *filterIn   `json:"employees,omitempty"`
	Address            *filterIn   `json:"address,omitempty"`
	Industry           *filterIn   `json:"industry,omitempty"`
	Amount             *filterIn   `json:"amount,omitempty"`
	CloseDate          *filterIn   `json:"closeDate,omitempty"`
	Stage              *filterIn   `json:"stage,omitempty"`
	Probability        *filterIn   `json:"probability,omitempty"`
	PointOfContactID   *filterIn   `json:"pointOfContactId,omitempty"`
	Title              *filterIn   `json:"title,omitempty"`
	BodyV2             *filterIn   `json:"bodyV2,omitempty"`
	PersonID           *filterIn   `json:"personId,omitempty"`
	OpportunityID      *filterIn   `json:"opportunityId,omitempty"`
	DueAt              *filterIn   `json:"dueAt,omitempty"`
	Status             *filterIn   `json:"status,omitempty"`
	AssigneeID         *filterIn   `json:"assigneeId,omitempty"`
	And                *[]filterIn `json:"and,omitempty"`
	Or                 *[]filterIn `json:"or,omitempty"`
	Not                *filterIn   `json:"not,omitempty"`
	filterExtraIn
}

// node turns a filter input into a filter, through its JSON tree.
func (f *filterIn) node() (*twenty.Node, error) {
	if f == nil {
		return nil, nil
	}
	var tree map[string]any
	if err := json.Unmarshal([]byte(mustJSON(f)), &tree); err != nil {
		return nil, err
	}
	return twenty.NodeFromTree(tree)
}

// orderIn is every order input (a direction per field) but a person's.
type orderIn struct {
	CreatedAt   *string     `json:"createdAt,omitempty"`
	UpdatedAt   *string     `json:"updatedAt,omitempty"`
	Position    *string     `json:"position,omitempty"`
	Name        *string     `json:"name,omitempty"`
	Employees   *string     `json:"employees,omitempty"`
	Industry    *string     `json:"industry,omitempty"`
	CloseDate   *string     `json:"closeDate,omitempty"`
	Probability *string     `json:"probability,omitempty"`
	DomainName  *subOrderIn `json:"domainName,omitempty"`
	Amount      *subOrderIn `json:"amount,omitempty"`
	orderExtraIn
}

// personOrderIn is PersonOrderByInput: its name orders by a sub-field.
type personOrderIn struct {
	CreatedAt *string     `json:"createdAt,omitempty"`
	UpdatedAt *string     `json:"updatedAt,omitempty"`
	Position  *string     `json:"position,omitempty"`
	JobTitle  *string     `json:"jobTitle,omitempty"`
	Source    *string     `json:"source,omitempty"`
	Name      *subOrderIn `json:"name,omitempty"`
	personOrderExtraIn
}

type subOrderIn struct {
	FirstName      *string `json:"firstName,omitempty"`
	LastName       *string `json:"lastName,omitempty"`
	PrimaryLinkURL *string `json:"primaryLinkUrl,omitempty"`
	AmountMicros   *string `json:"amountMicros,omitempty"`
}

// orders turns order inputs into orderings, through their JSON.
func orders[O any](in *[]*O) []twenty.Order {
	if in == nil {
		return nil
	}
	var out []twenty.Order
	for _, o := range *in {
		var tree map[string]any
		_ = json.Unmarshal([]byte(mustJSON(o)), &tree)
		out = append(out, twenty.OrdersFromTree(tree)...)
	}
	return out
}

// compIn is every composite data input (FullNameInput, EmailsInput ...).
type compIn struct {
	FirstName               rawIn     `json:"firstName,omitzero"`
	LastName                rawIn     `json:"lastName,omitzero"`
	PrimaryEmail            rawIn     `json:"primaryEmail,omitzero"`
	AdditionalEmails        *[]string `json:"additionalEmails,omitempty"`
	PrimaryPhoneNumber      rawIn     `json:"primaryPhoneNumber,omitzero"`
	PrimaryPhoneCountryCode rawIn     `json:"primaryPhoneCountryCode,omitzero"`
	PrimaryPhoneCallingCode rawIn     `json:"primaryPhoneCallingCode,omitzero"`
	AdditionalPhones        *[]compIn `json:"additionalPhones,omitempty"`
	Number                  rawIn     `json:"number,omitzero"`
	CountryCode             rawIn     `json:"countryCode,omitzero"`
	CallingCode             rawIn     `json:"callingCode,omitzero"`
	PrimaryLinkURL          rawIn     `json:"primaryLinkUrl,omitzero"`
	PrimaryLinkLabel        rawIn     `json:"primaryLinkLabel,omitzero"`
	AddressStreet1          rawIn     `json:"addressStreet1,omitzero"`
	AddressStreet2          rawIn     `json:"addressStreet2,omitzero"`
	AddressCity             rawIn     `json:"addressCity,omitzero"`
	AddressPostcode         rawIn     `json:"addressPostcode,omitzero"`
	AddressState            rawIn     `json:"addressState,omitzero"`
	AddressCountry          rawIn     `json:"addressCountry,omitzero"`
	AddressLat              rawIn     `json:"addressLat,omitzero"`
	AddressLng              rawIn     `json:"addressLng,omitzero"`
	AmountMicros            rawIn     `json:"amountMicros,omitzero"`
	CurrencyCode            rawIn     `json:"currencyCode,omitzero"`
	Markdown                rawIn     `json:"markdown,omitzero"`
	Blocknote               rawIn     `json:"blocknote,omitzero"`
}

// recordIn is every record data input but a person's (whose name is a
// composite): companies, opportunities, notes and tasks.
type recordIn struct {
	Name                 rawIn     `json:"name,omitzero"`
	DomainName           *compIn   `json:"domainName,omitempty"`
	Employees            rawIn     `json:"employees,omitzero"`
	Address              *compIn   `json:"address,omitempty"`
	IdealCustomerProfile rawIn     `json:"idealCustomerProfile,omitzero"`
	Industry             rawIn     `json:"industry,omitzero"`
	Tags                 *[]string `json:"tags,omitempty"`
	Amount               *compIn   `json:"amount,omitempty"`
	CloseDate            rawIn     `json:"closeDate,omitzero"`
	Stage                rawIn     `json:"stage,omitzero"`
	Probability          rawIn     `json:"probability,omitzero"`
	CompanyID            rawIn     `json:"companyId,omitzero"`
	PointOfContactID     rawIn     `json:"pointOfContactId,omitzero"`
	Title                rawIn     `json:"title,omitzero"`
	BodyV2               *compIn   `json:"bodyV2,omitempty"`
	PersonID             rawIn     `json:"personId,omitzero"`
	OpportunityID        rawIn     `json:"opportunityId,omitzero"`
	DueAt                rawIn     `json:"dueAt,omitzero"`
	Status               rawIn     `json:"status,omitzero"`
	AssigneeID           rawIn     `json:"assigneeId,omitzero"`
	recordExtraIn
}

// gqlPersonIn is PersonCreateInput and PersonUpdateInput.
type gqlPersonIn struct {
	Name      *compIn   `json:"name,omitempty"`
	Emails    *compIn   `json:"emails,omitempty"`
	Phones    *compIn   `json:"phones,omitempty"`
	JobTitle  rawIn     `json:"jobTitle,omitzero"`
	City      rawIn     `json:"city,omitzero"`
	CompanyID rawIn     `json:"companyId,omitzero"`
	Source    rawIn     `json:"source,omitzero"`
	Tags      *[]string `json:"tags,omitempty"`
	personExtraIn
}

// input is a data input as package twenty reads it.
func input(v any) twenty.Input {
	in, _ := twenty.DecodeInput([]byte(mustJSON(v)))
	return in
}

// ---- resolvers ----

type gqlRoot struct{}

func svc(ctx context.Context) *twenty.Service { return gqlEnvFrom(ctx).h.Twenty }

type listArgs[O any] struct {
	Filter  *filterIn
	OrderBy *[]*O
	First   *int32
	After   *string
	Last    *int32
	Before  *string
}

// query is a list request from its arguments; depth embeds what the
// selection asks of related records.
func (a *listArgs[O]) query(ctx context.Context, extra *twenty.Node, embeds ...string) (twenty.Query, error) {
	q := twenty.Query{AfterParam: "after", BeforeParam: "before", Count: graphql.HasSelectedField(ctx, "totalCount")}
	var err error
	if q.Filter, err = a.Filter.node(); err != nil {
		return q, err
	}
	if extra != nil {
		if q.Filter == nil {
			q.Filter = extra
		} else {
			q.Filter = &twenty.Node{And: []*twenty.Node{q.Filter, extra}}
		}
	}
	q.Order = orders(a.OrderBy)
	switch {
	case a.First != nil && a.Last != nil:
		return q, app.FieldErrorf("last", "Send first (with after) or last (with before), not both.")
	case a.Last != nil:
		if a.After != nil {
			return q, app.FieldErrorf("after", "last pages back: send it with before.")
		}
		q.Limit, q.FromEnd = int(*a.Last), a.Before == nil
		if q.Limit == 0 {
			return q, app.FieldErrorf("last", "last must be from 1 to %d.", app.MaxPageSize)
		}
	case a.First != nil:
		if a.Before != nil {
			return q, app.FieldErrorf("before", "first pages on: send it with after.")
		}
		q.Limit = int(*a.First)
		if q.Limit == 0 {
			return q, app.FieldErrorf("first", "first must be from 1 to %d.", app.MaxPageSize)
		}
	}
	if a.After != nil {
		q.After = *a.After
	}
	if a.Before != nil {
		q.Before = *a.Before
	}
	for _, e := range embeds {
		if graphql.HasSelectedField(ctx, "edges.node."+e) {
			q.Depth = 1
		}
	}
	return q, nil
}

type pageInfo struct {
	HasNextPage, HasPreviousPage bool
	StartCursor, EndCursor       *string
}

type edge[N any] struct {
	node   N
	cursor string
}

func (e *edge[N]) Node() N           { return e.node }
func (e *edge[N]) Cursor() string    { return e.cursor }
func (c *conn[N]) Edges() []*edge[N] { return c.edges }
func (c *conn[N]) PageInfo() *pageInfo {
	return c.info
}
func (c *conn[N]) TotalCount() int32 { return int32(c.total) }

type conn[N any] struct {
	edges []*edge[N]
	info  *pageInfo
	total int
}

// list runs a list query and wraps its records with wrap.
func list[N any, O any](ctx context.Context, o *twenty.Object, a *listArgs[O], extra *twenty.Node, wrap func(any) N, embeds ...string) (*conn[N], error) {
	q, err := a.query(ctx, extra, embeds...)
	if err != nil {
		return nil, err
	}
	p, err := svc(ctx).List(ctx, o, q)
	if err != nil {
		return nil, err
	}
	out := &conn[N]{info: &pageInfo{HasNextPage: p.HasNext, HasPreviousPage: p.HasPrevious}, total: p.TotalCount}
	if p.StartCursor != "" {
		out.info.StartCursor, out.info.EndCursor = &p.StartCursor, &p.EndCursor
	}
	for i, r := range p.Records {
		out.edges = append(out.edges, &edge[N]{node: wrap(r), cursor: p.Cursors[i]})
	}
	return out, nil
}

// one is the first record a filter selects, or nil.
func one[N any](ctx context.Context, o *twenty.Object, f *filterIn, wrap func(any) N) (N, error) {
	var zero N
	a := &listArgs[orderIn]{Filter: f}
	n := int32(1)
	a.First = &n
	c, err := list(ctx, o, a, nil, wrap)
	if err != nil || len(c.edges) == 0 {
		return zero, err
	}
	return c.edges[0].node, nil
}

func wrapPerson(r any) *gqlPerson   { return &gqlPerson{*r.(*twenty.Person)} }
func wrapCompany(r any) *gqlCompany { return &gqlCompany{*r.(*twenty.Company)} }
func wrapOpportunity(r any) *gqlOpportunity {
	return &gqlOpportunity{*r.(*twenty.Opportunity)}
}
func wrapNote(r any) *gqlNote { return &gqlNote{*r.(*twenty.Note)} }
func wrapTask(r any) *gqlTask { return &gqlTask{*r.(*twenty.Task)} }

func (*gqlRoot) People(ctx context.Context, a listArgs[personOrderIn]) (*conn[*gqlPerson], error) {
	return list(ctx, twenty.People, &a, nil, wrapPerson, "company")
}
func (*gqlRoot) Person(ctx context.Context, a struct{ Filter filterIn }) (*gqlPerson, error) {
	return one(ctx, twenty.People, &a.Filter, wrapPerson)
}
func (*gqlRoot) Companies(ctx context.Context, a listArgs[orderIn]) (*conn[*gqlCompany], error) {
	return list(ctx, twenty.Companies, &a, nil, wrapCompany)
}
func (*gqlRoot) Company(ctx context.Context, a struct{ Filter filterIn }) (*gqlCompany, error) {
	return one(ctx, twenty.Companies, &a.Filter, wrapCompany)
}
func (*gqlRoot) Opportunities(ctx context.Context, a listArgs[orderIn]) (*conn[*gqlOpportunity], error) {
	return list(ctx, twenty.Opportunities, &a, nil, wrapOpportunity, "company", "pointOfContact")
}
func (*gqlRoot) Opportunity(ctx context.Context, a struct{ Filter filterIn }) (*gqlOpportunity, error) {
	return one(ctx, twenty.Opportunities, &a.Filter, wrapOpportunity)
}
func (*gqlRoot) Notes(ctx context.Context, a listArgs[orderIn]) (*conn[*gqlNote], error) {
	return list(ctx, twenty.Notes, &a, nil, wrapNote)
}
func (*gqlRoot) Note(ctx context.Context, a struct{ Filter filterIn }) (*gqlNote, error) {
	return one(ctx, twenty.Notes, &a.Filter, wrapNote)
}
func (*gqlRoot) Tasks(ctx context.Context, a listArgs[orderIn]) (*conn[*gqlTask], error) {
	return list(ctx, twenty.Tasks, &a, nil, wrapTask)
}
func (*gqlRoot) Task(ctx context.Context, a struct{ Filter filterIn }) (*gqlTask, error) {
	return one(ctx, twenty.Tasks, &a.Filter, wrapTask)
}

// writeScope is the context a change acts in: an admin key's request
// acts in the named tenant, else (for a change to one record) in that
// record's tenant.
func writeScope(ctx context.Context, o *twenty.Object, ref string) (context.Context, error) {
	env := gqlEnvFrom(ctx)
	if !env.admin || app.TenantFromContext(ctx) != nil {
		return ctx, nil
	}
	if ref == "" {
		return nil, app.FieldErrorf("tenant", "Add ?tenant=ID or slug to the URL: admin keys create records in a named tenant.")
	}
	id, err := twenty.RecordID(o, ref)
	if err != nil {
		return nil, err
	}
	tid, err := env.h.CRM.RecordTenant(ctx, o.Record, id)
	if err != nil {
		return nil, err
	}
	t, err := env.h.Tenants.TenantByID(ctx, tid)
	if err != nil {
		return nil, err
	}
	return app.NewContextWithTenant(ctx, t), nil
}

func create[N any](ctx context.Context, o *twenty.Object, data any, wrap func(any) N) (N, error) {
	var zero N
	ctx, err := writeScope(ctx, o, "")
	if err != nil {
		return zero, err
	}
	r, err := svc(ctx).Create(ctx, o, input(data))
	if err != nil {
		return zero, err
	}
	return wrap(r), nil
}

func createMany[N any, D any](ctx context.Context, o *twenty.Object, data []D, wrap func(any) N) ([]N, error) {
	ctx, err := writeScope(ctx, o, "")
	if err != nil {
		return nil, err
	}
	ins := make([]twenty.Input, len(data))
	for i, d := range data {
		ins[i] = input(d)
	}
	rs, err := svc(ctx).CreateMany(ctx, o, ins)
	if err != nil {
		return nil, err
	}
	out := make([]N, len(rs))
	for i, r := range rs {
		out[i] = wrap(r)
	}
	return out, nil
}

func update[N any](ctx context.Context, o *twenty.Object, id uuidOut, data any, wrap func(any) N) (N, error) {
	var zero N
	ctx, err := writeScope(ctx, o, string(id))
	if err != nil {
		return zero, err
	}
	r, err := svc(ctx).Update(ctx, o, string(id), input(data))
	if err != nil {
		return zero, err
	}
	return wrap(r), nil
}

// remove deletes a record and returns it as it was.
func remove[N any](ctx context.Context, o *twenty.Object, id uuidOut, wrap func(any) N) (N, error) {
	var zero N
	ctx, err := writeScope(ctx, o, string(id))
	if err != nil {
		return zero, err
	}
	r, err := svc(ctx).Get(ctx, o, string(id), 0)
	if err != nil {
		return zero, err
	}
	if _, err := svc(ctx).Delete(ctx, o, string(id)); err != nil {
		return zero, err
	}
	return wrap(r), nil
}

type idArgs struct{ ID uuidOut }

func (*gqlRoot) CreatePerson(ctx context.Context, a struct{ Data gqlPersonIn }) (*gqlPerson, error) {
	return create(ctx, twenty.People, a.Data, wrapPerson)
}
func (*gqlRoot) CreatePeople(ctx context.Context, a struct{ Data []gqlPersonIn }) ([]*gqlPerson, error) {
	return createMany(ctx, twenty.People, a.Data, wrapPerson)
}
func (*gqlRoot) UpdatePerson(ctx context.Context, a struct {
	ID   uuidOut
	Data gqlPersonIn
}) (*gqlPerson, error) {
	return update(ctx, twenty.People, a.ID, a.Data, wrapPerson)
}
func (*gqlRoot) DeletePerson(ctx context.Context, a idArgs) (*gqlPerson, error) {
	return remove(ctx, twenty.People, a.ID, wrapPerson)
}
func (*gqlRoot) CreateCompany(ctx context.Context, a struct{ Data recordIn }) (*gqlCompany, error) {
	return create(ctx, twenty.Companies, a.Data, wrapCompany)
}
func (*gqlRoot) CreateCompanies(ctx context.Context, a struct{ Data []recordIn }) ([]*gqlCompany, error) {
	return createMany(ctx, twenty.Companies, a.Data, wrapCompany)
}
func (*gqlRoot) UpdateCompany(ctx context.Context, a struct {
	ID   uuidOut
	Data recordIn
}) (*gqlCompany, error) {
	return update(ctx, twenty.Companies, a.ID, a.Data, wrapCompany)
}
func (*gqlRoot) DeleteCompany(ctx context.Context, a idArgs) (*gqlCompany, error) {
	return remove(ctx, twenty.Companies, a.ID, wrapCompany)
}
func (*gqlRoot) CreateOpportunity(ctx context.Context, a struct{ Data recordIn }) (*gqlOpportunity, error) {
	return create(ctx, twenty.Opportunities, a.Data, wrapOpportunity)
}
func (*gqlRoot) CreateOpportunities(ctx context.Context, a struct{ Data []recordIn }) ([]*gqlOpportunity, error) {
	return createMany(ctx, twenty.Opportunities, a.Data, wrapOpportunity)
}
func (*gqlRoot) UpdateOpportunity(ctx context.Context, a struct {
	ID   uuidOut
	Data recordIn
}) (*gqlOpportunity, error) {
	return update(ctx, twenty.Opportunities, a.ID, a.Data, wrapOpportunity)
}
func (*gqlRoot) DeleteOpportunity(ctx context.Context, a idArgs) (*gqlOpportunity, error) {
	return remove(ctx, twenty.Opportunities, a.ID, wrapOpportunity)
}
func (*gqlRoot) CreateNote(ctx context.Context, a struct{ Data recordIn }) (*gqlNote, error) {
	return create(ctx, twenty.Notes, a.Data, wrapNote)
}
func (*gqlRoot) CreateNotes(ctx context.Context, a struct{ Data []recordIn }) ([]*gqlNote, error) {
	return createMany(ctx, twenty.Notes, a.Data, wrapNote)
}
func (*gqlRoot) UpdateNote(ctx context.Context, a struct {
	ID   uuidOut
	Data recordIn
}) (*gqlNote, error) {
	return update(ctx, twenty.Notes, a.ID, a.Data, wrapNote)
}
func (*gqlRoot) DeleteNote(ctx context.Context, a idArgs) (*gqlNote, error) {
	return remove(ctx, twenty.Notes, a.ID, wrapNote)
}
func (*gqlRoot) CreateTask(ctx context.Context, a struct{ Data recordIn }) (*gqlTask, error) {
	return create(ctx, twenty.Tasks, a.Data, wrapTask)
}
func (*gqlRoot) CreateTasks(ctx context.Context, a struct{ Data []recordIn }) ([]*gqlTask, error) {
	return createMany(ctx, twenty.Tasks, a.Data, wrapTask)
}
func (*gqlRoot) UpdateTask(ctx context.Context, a struct {
	ID   uuidOut
	Data recordIn
}) (*gqlTask, error) {
	return update(ctx, twenty.Tasks, a.ID, a.Data, wrapTask)
}
func (*gqlRoot) DeleteTask(ctx context.Context, a idArgs) (*gqlTask, error) {
	return remove(ctx, twenty.Tasks, a.ID, wrapTask)
}

// contactIn is ContactInput.
type contactIn struct {
	FirstName, LastName, Email, Phone, Company, JobTitle, Source *string
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CreateContact is the seed's n8n mutation.
func (*gqlRoot) CreateContact(ctx context.Context, a struct{ Data contactIn }) (*gqlContact, error) {
	ctx, err := writeScope(ctx, twenty.People, "")
	if err != nil {
		return nil, err
	}
	d := a.Data
	c, err := svc(ctx).UpsertContact(ctx, twenty.ContactInput{FirstName: deref(d.FirstName), LastName: deref(d.LastName), Email: deref(d.Email),
		Phone: deref(d.Phone), Company: deref(d.Company), JobTitle: deref(d.JobTitle), Source: deref(d.Source)})
	if err != nil {
		return nil, err
	}
	return &gqlContact{*c}, nil
}

// ---- record resolvers ----

type gqlContact struct{ twenty.Contact }

func (c *gqlContact) ID() uuidOut         { return uuidOut(c.Contact.ID) }
func (c *gqlContact) CreatedAt() dateTime { return dateTime(c.Contact.CreatedAt) }
func (c *gqlContact) UpdatedAt() dateTime { return dateTime(c.Contact.UpdatedAt) }

type gqlPerson struct{ twenty.Person }

func (p *gqlPerson) ID() uuidOut          { return uuidOut(p.Person.ID) }
func (p *gqlPerson) CompanyID() *uuidOut  { return optUUID(p.Person.CompanyID) }
func (p *gqlPerson) CreatedAt() dateTime  { return dateTime(p.Person.CreatedAt) }
func (p *gqlPerson) UpdatedAt() dateTime  { return dateTime(p.Person.UpdatedAt) }
func (p *gqlPerson) DeletedAt() *dateTime { return optDateTime(p.Person.DeletedAt) }
func (p *gqlPerson) Company(ctx context.Context) (*gqlCompany, error) {
	if p.Person.Company != nil {
		return &gqlCompany{*p.Person.Company}, nil
	}
	return related(ctx, twenty.Companies, p.Person.CompanyID, wrapCompany)
}

// related fetches a record a record points at (nil when none, or gone).
func related[N any](ctx context.Context, o *twenty.Object, ref *string, wrap func(any) N) (N, error) {
	var zero N
	if ref == nil {
		return zero, nil
	}
	r, err := svc(ctx).Get(ctx, o, *ref, 0)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return zero, nil
	} else if err != nil {
		return zero, err
	}
	return wrap(r), nil
}

type gqlCompany struct{ twenty.Company }

func (c *gqlCompany) ID() uuidOut          { return uuidOut(c.Company.ID) }
func (c *gqlCompany) CreatedAt() dateTime  { return dateTime(c.Company.CreatedAt) }
func (c *gqlCompany) UpdatedAt() dateTime  { return dateTime(c.Company.UpdatedAt) }
func (c *gqlCompany) DeletedAt() *dateTime { return optDateTime(c.Company.DeletedAt) }
func (c *gqlCompany) Employees() *int32 {
	if c.Company.Employees == nil {
		return nil
	}
	n := int32(*c.Company.Employees)
	return &n
}

func (c *gqlCompany) ofCompany(field string) *twenty.Node {
	return &twenty.Node{Field: field, Op: "eq", Value: c.Company.ID}
}

func (c *gqlCompany) People(ctx context.Context, a listArgs[personOrderIn]) (*conn[*gqlPerson], error) {
	return list(ctx, twenty.People, &a, c.ofCompany("companyId"), wrapPerson)
}
func (c *gqlCompany) Opportunities(ctx context.Context, a listArgs[orderIn]) (*conn[*gqlOpportunity], error) {
	return list(ctx, twenty.Opportunities, &a, c.ofCompany("companyId"), wrapOpportunity)
}

type gqlOpportunity struct{ twenty.Opportunity }

type gqlCurrency struct {
	AmountMicros bigFloat
	CurrencyCode string
}

func (o *gqlOpportunity) ID() uuidOut                { return uuidOut(o.Opportunity.ID) }
func (o *gqlOpportunity) CompanyID() *uuidOut        { return optUUID(o.Opportunity.CompanyID) }
func (o *gqlOpportunity) PointOfContactID() *uuidOut { return optUUID(o.Opportunity.PointOfContactID) }
func (o *gqlOpportunity) CloseDate() *dateTime       { return optDateTime(o.Opportunity.CloseDate) }
func (o *gqlOpportunity) CreatedAt() dateTime        { return dateTime(o.Opportunity.CreatedAt) }
func (o *gqlOpportunity) UpdatedAt() dateTime        { return dateTime(o.Opportunity.UpdatedAt) }
func (o *gqlOpportunity) DeletedAt() *dateTime       { return optDateTime(o.Opportunity.DeletedAt) }
func (o *gqlOpportunity) Amount() *gqlCurrency {
	return &gqlCurrency{bigFloat(o.Opportunity.Amount.AmountMicros), o.Opportunity.Amount.CurrencyCode}
}
func (o *gqlOpportunity) Probability() *int32 {
	if o.Opportunity.Probability == nil {
		return nil
	}
	n := int32(*o.Opportunity.Probability)
	return &n
}
func (o *gqlOpportunity) Company(ctx context.Context) (*gqlCompany, error) {
	if o.Opportunity.Company != nil {
		return &gqlCompany{*o.Opportunity.Company}, nil
	}
	return related(ctx, twenty.Companies, o.Opportunity.CompanyID, wrapCompany)
}
func (o *gqlOpportunity) PointOfContact(ctx context.Context) (*gqlPerson, error) {
	if o.Opportunity.PointOfContact != nil {
		return &gqlPerson{*o.Opportunity.PointOfContact}, nil
	}
	return related(ctx, twenty.People, o.Opportunity.PointOfContactID, wrapPerson)
}

type gqlNote struct{ twenty.Note }

func (n *gqlNote) ID() uuidOut             { return uuidOut(n.Note.ID) }
func (n *gqlNote) PersonID() *uuidOut      { return optUUID(n.Note.PersonID) }
func (n *gqlNote) CompanyID() *uuidOut     { return optUUID(n.Note.CompanyID) }
func (n *gqlNote) OpportunityID() *uuidOut { return optUUID(n.Note.OpportunityID) }
func (n *gqlNote) CreatedAt() dateTime     { return dateTime(n.Note.CreatedAt) }
func (n *gqlNote) UpdatedAt() dateTime     { return dateTime(n.Note.UpdatedAt) }
func (n *gqlNote) DeletedAt() *dateTime    { return optDateTime(n.Note.DeletedAt) }

type gqlTask struct{ twenty.Task }

func (t *gqlTask) ID() uuidOut             { return uuidOut(t.Task.ID) }
func (t *gqlTask) AssigneeID() *uuidOut    { return optUUID(t.Task.AssigneeID) }
func (t *gqlTask) PersonID() *uuidOut      { return optUUID(t.Task.PersonID) }
func (t *gqlTask) CompanyID() *uuidOut     { return optUUID(t.Task.CompanyID) }
func (t *gqlTask) OpportunityID() *uuidOut { return optUUID(t.Task.OpportunityID) }
func (t *gqlTask) DueAt() *dateTime        { return optDateTime(t.Task.DueAt) }
func (t *gqlTask) CreatedAt() dateTime     { return dateTime(t.Task.CreatedAt) }
func (t *gqlTask) UpdatedAt() dateTime     { return dateTime(t.Task.UpdatedAt) }
func (t *gqlTask) DeletedAt() *dateTime    { return optDateTime(t.Task.DeletedAt) }
