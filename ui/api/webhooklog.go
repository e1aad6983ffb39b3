package api

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/ui/web"
)

// The outgoing-webhook delivery log (API & developer tools > Webhook
// deliveries, and /api/v1/webhooks/deliveries): every delivery with each
// attempt to send it (status code, duration, the start of the answer
// with secrets redacted, the next retry), and redelivery, which sends at
// once through the same guarded client and signature as the worker. The
// portal shows the tenant's deliveries; Nexus every tenant's (?tenant=
// narrows it).

// deliveryScope is the context the log reads with: the portal's tenant,
// or every tenant for a Nexus admin (session or admin key).
func deliveryScope(c *fiber.Ctx) context.Context {
	ctx := c.UserContext()
	if app.TenantFromContext(ctx) == nil {
		ctx = app.NewContextAcrossTenants(ctx)
	}
	return ctx
}

// deliveryFilter reads ?status, ?event, ?limit, ?cursor (and on Nexus
// ?tenant=ID|slug); any other parameter is a 400 naming it.
func (s *Handler) deliveryFilter(c *fiber.Ctx, nexus bool) (app.WebhookDeliveryFilter, error) {
	var f app.WebhookDeliveryFilter
	var bad string
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		switch string(k) {
		case "status", "event", "limit", "cursor":
		case "tenant":
			if !nexus && bad == "" {
				bad = "tenant"
			}
		default:
			if bad == "" {
				bad = string(k)
			}
		}
	})
	if bad != "" {
		return f, app.FieldErrorf(bad, "Unknown parameter %q; the log takes status, event, limit and cursor.", bad)
	}
	f.Status, f.Event = utils.CopyString(c.Query("status")), utils.CopyString(c.Query("event"))
	limit, err := web.AtoiDefault(c.Query("limit"), app.DefaultPageSize)
	if err != nil {
		return f, app.FieldErrorf("limit", "limit must be a number from 1 to %d.", app.MaxPageSize)
	}
	f.Limit = limit
	if cur := c.Query("cursor"); cur != "" {
		cc, err := app.DecodeCursor(cur)
		if err != nil || cc.Sort != "-id" {
			return f, app.FieldErrorf("cursor", "The cursor is not valid.")
		}
		f.BeforeID = cc.ID
	}
	if ref := strings.TrimSpace(c.Query("tenant")); ref != "" {
		t, err := s.Tenants.TenantByRef(c.UserContext(), utils.CopyString(ref))
		if err != nil {
			return f, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
		}
		f.TenantID = t.ID
	}
	return f, f.Validate()
}

// newestPage cuts rows read newest first with one row past limit (the
// sign that more follow) to limit, and returns the next page's cursor
// ("-id", the last row's id), or nil on the last page.
func newestPage[T any](rows []T, limit int, id func(T) int64) ([]T, any) {
	if len(rows) <= limit {
		return rows, nil
	}
	rows = rows[:limit]
	return rows, app.Cursor{Sort: "-id", ID: id(rows[limit-1])}.Encode()
}

// ---- API ----

func (s *Handler) registerWebhookAPIRoutes(api fiber.Router) {
	if s.Webhooks == nil {
		return
	}
	api.Get("/webhooks/deliveries", s.handleAPIDeliveries)
	api.Get("/webhooks/deliveries/:id", s.handleAPIDelivery)
	api.Post("/webhooks/deliveries/:id/redeliver", web.RequireWriteKey, s.handleAPIRedeliver)
}

type apiWebhookAttempt struct {
	ID            int64      `json:"id"`
	Attempt       int        `json:"attempt"`
	Redelivery    bool       `json:"redelivery"`
	URL           string     `json:"url"`
	StartedAt     time.Time  `json:"started_at"`
	DurationMS    int64      `json:"duration_ms"`
	StatusCode    int        `json:"status_code"`
	Error         string     `json:"error"`
	Response      string     `json:"response"`
	Outcome       string     `json:"outcome"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
}

func toAPIWebhookAttempt(a *app.WebhookAttempt) apiWebhookAttempt {
	return apiWebhookAttempt{a.ID, a.Attempt, a.Redelivery, a.URL, a.StartedAt, a.Duration.Milliseconds(), a.StatusCode, a.Error, a.Response, a.Outcome, a.NextAttemptAt}
}

type apiWebhookDelivery struct {
	ID             int64      `json:"id"`
	TenantID       int64      `json:"tenant_id"`
	SubscriptionID int64      `json:"subscription_id"`
	URL            string     `json:"url"`
	Event          string     `json:"event"`
	EventID        string     `json:"event_id"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	LastStatusCode int        `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	DeliveredAt    *time.Time `json:"delivered_at"`
	// Payload and Log are in the single-delivery answer only.
	Payload json.RawMessage     `json:"payload,omitempty"`
	Log     []apiWebhookAttempt `json:"log,omitempty"`
}

func toAPIWebhookDelivery(d *app.WebhookDelivery, full bool) apiWebhookDelivery {
	out := apiWebhookDelivery{ID: d.ID, TenantID: d.TenantID, SubscriptionID: d.SubscriptionID, URL: d.URL, Event: d.Event, EventID: d.EventID,
		Status: d.Status, Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt}
	if d.Status == "pending" || d.Status == "sending" {
		next := d.NextAttemptAt
		out.NextAttemptAt = &next
	}
	if full {
		out.Payload = json.RawMessage(d.Payload)
		out.Log = make([]apiWebhookAttempt, 0, len(d.Log))
		for _, a := range d.Log {
			out.Log = append(out.Log, toAPIWebhookAttempt(a))
		}
	}
	return out
}

// handleAPIDeliveries is GET /api/v1/webhooks/deliveries: newest first,
// in the {data, next_cursor} pages of every list.
func (s *Handler) handleAPIDeliveries(c *fiber.Ctx) error {
	f, err := s.deliveryFilter(c, web.APIKey(c) != nil && web.APIKey(c).Admin())
	if err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++
	ds, err := s.Webhooks.Deliveries(deliveryScope(c), f)
	if err != nil {
		return err
	}
	ds, next := newestPage(ds, limit, func(d *app.WebhookDelivery) int64 { return d.ID })
	out := make([]apiWebhookDelivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, toAPIWebhookDelivery(d, false))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": next})
}

// handleAPIDelivery is GET /api/v1/webhooks/deliveries/:id: the delivery
// with its payload and every attempt.
func (s *Handler) handleAPIDelivery(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Webhooks.Delivery(deliveryScope(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIWebhookDelivery(d, true)})
}

// handleAPIRedeliver is POST /api/v1/webhooks/deliveries/:id/redeliver:
// sends it now and answers with the attempt (a receiver's failure is
// the attempt's outcome, not an error of this request).
func (s *Handler) handleAPIRedeliver(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := deliveryScope(c)
	a, err := s.Webhooks.Redeliver(ctx, id)
	if err != nil {
		return err
	}
	d, err := s.Webhooks.Delivery(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIWebhookAttempt(a), "delivery": toAPIWebhookDelivery(d, false)})
}

// addWebhookAPI documents the delivery log's endpoints.
func addWebhookAPI(paths, schemas obj, std func(obj, ...string) obj, tenantParam, idParam obj) {
	schemas["WebhookAttempt"] = props([]string{"id", "attempt", "redelivery", "url", "started_at", "duration_ms", "status_code", "error", "response", "outcome", "next_attempt_at"}, obj{
		"id": integ, "attempt": obj{"type": "integer", "description": "1 for the first attempt; redeliveries keep counting"},
		"redelivery": obj{"type": "boolean", "description": "asked for by hand (redeliver) rather than the retry schedule"},
		"url":        str, "started_at": tstamp, "duration_ms": integ,
		"status_code":     obj{"type": "integer", "description": "the receiver's HTTP status; 0 when it did not answer (refused address, timeout, network error)"},
		"error":           obj{"type": "string", "description": "\"\" when the receiver answered 2xx"},
		"response":        obj{"type": "string", "description": "the start of the receiver's answer (1 KB), credentials redacted"},
		"outcome":         obj{"type": "string", "enum": []string{"succeeded", "retry", "failed"}},
		"next_attempt_at": obj{"type": []string{"string", "null"}, "format": "date-time", "description": "when outcome is retry: the next attempt"}})
	schemas["WebhookDelivery"] = props([]string{"id", "tenant_id", "subscription_id", "url", "event", "event_id", "status", "attempts", "next_attempt_at", "last_status_code", "last_error", "created_at", "delivered_at"}, obj{
		"id": integ, "tenant_id": integ, "subscription_id": integ, "url": str, "event": obj{"type": "string", "enum": app.WebhookEvents}, "event_id": str,
		"status":           obj{"type": "string", "enum": []string{"pending", "sending", "succeeded", "failed"}},
		"attempts":         obj{"type": "integer", "description": "attempts in the current retry budget (8); a redelivery starts a new one"},
		"next_attempt_at":  obj{"type": []string{"string", "null"}, "format": "date-time", "description": "pending or sending: when it is (re)tried"},
		"last_status_code": integ, "last_error": str, "created_at": tstamp, "delivered_at": nTime,
		"payload": obj{"type": "object", "description": "single delivery only: the signed JSON body sent"},
		"log":     obj{"type": "array", "items": ref("WebhookAttempt"), "description": "single delivery only: every attempt, oldest first"}})
	paths["/api/v1/webhooks/deliveries"] = obj{"get": obj{"summary": "The outgoing-webhook delivery log, newest first (Nexus: every tenant's, or ?tenant=)",
		"parameters": []obj{qparam("status", "pending, sending, succeeded or failed", str), qparam("event", "one event name, like person.created", str),
			qparam("limit", "1 to 100 (default 25)", integ), qparam("cursor", "next_cursor of the previous page", str), tenantParam},
		"responses": std(obj{"200": jsonResp("OK", pageOf(ref("WebhookDelivery")))}, "400")}}
	paths["/api/v1/webhooks/deliveries/{id}"] = obj{"parameters": []obj{idParam},
		"get": obj{"summary": "One delivery with its payload and every attempt", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("WebhookDelivery")))}, "404")}}
	paths["/api/v1/webhooks/deliveries/{id}/redeliver"] = obj{"parameters": []obj{idParam},
		"post": obj{"summary": "Send a delivery again now (signed, through the guarded outbound client); the answer is the attempt, whatever the receiver said. A failure goes back on the retry schedule with a fresh budget.",
			"responses": std(obj{"200": jsonResp("OK", props([]string{"data", "delivery"}, obj{"data": ref("WebhookAttempt"), "delivery": ref("WebhookDelivery")}))}, "403", "404", "409")}}
}

// ---- pages ----

type deliveriesPage struct {
	web.Layout
	Nexus      bool
	Deliveries []*app.WebhookDelivery
	Filter     app.WebhookDeliveryFilter
	Tenants    []*app.Tenant
	Events     []string
	Statuses   []string
	Next       string // the next page's URL, "" on the last
	Error      string
	Retention  string // how long finished deliveries are kept
}

type deliveryPage struct {
	web.Layout
	Nexus    bool
	Delivery *app.WebhookDelivery
	Payload  string // indented
}

func (s *Handler) mountDeliveryLog(r fiber.Router, sc web.Scope, guard, csrf fiber.Handler) {
	if s.Webhooks == nil {
		return
	}
	r.Get("/developers/webhooks", guard, s.handleDeliveryLog(sc))
	r.Get("/developers/webhooks/:id", guard, s.handleDeliveryView(sc))
	r.Post("/developers/webhooks/:id/redeliver", guard, csrf, s.handleDeliveryRedeliver)
}

func (s *Handler) handleDeliveryLog(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		nexus := sc.Nexus()
		p := &deliveriesPage{Nexus: nexus, Events: app.WebhookEvents, Statuses: []string{"pending", "sending", "succeeded", "failed"}, Retention: s.Webhooks.RetentionNote()}
		f, err := s.deliveryFilter(c, nexus)
		if err == nil {
			limit := f.Limit
			f.Limit++
			p.Deliveries, err = s.Webhooks.Deliveries(deliveryScope(c), f)
			f.Limit = limit
			var cursor any
			if p.Deliveries, cursor = newestPage(p.Deliveries, limit, func(d *app.WebhookDelivery) int64 { return d.ID }); cursor != nil {
				next := make([]string, 0, 4)
				c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
					if string(k) != "cursor" {
						next = append(next, string(k)+"="+url.QueryEscape(string(v)))
					}
				})
				p.Next = "/developers/webhooks?" + strings.Join(append(next, "cursor="+cursor.(string)), "&")
			}
		}
		if app.ErrorCode(err) == app.EINVALID {
			c.Status(fiber.StatusBadRequest)
			p.Error = app.ErrorMessage(err)
		} else if err != nil {
			return err
		}
		p.Filter = f
		if nexus {
			if p.Tenants, err = s.Tenants.ListTenants(c.UserContext()); err != nil {
				return err
			}
		}
		p.Layout = s.Layout(c, sc.Host, "Webhook deliveries")
		return s.Render(c, sc.Page("webhook_deliveries"), p)
	}
}

func (s *Handler) handleDeliveryView(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		d, err := s.Webhooks.Delivery(deliveryScope(c), id)
		if err != nil {
			return err
		}
		p := &deliveryPage{Nexus: sc.Nexus(), Delivery: d, Payload: d.Payload}
		var v any
		if json.Unmarshal([]byte(d.Payload), &v) == nil {
			if b, err := json.MarshalIndent(v, "", "  "); err == nil {
				p.Payload = string(b)
			}
		}
		p.Layout = s.Layout(c, sc.Host, "Delivery #"+strconv.FormatInt(d.ID, 10))
		return s.Render(c, sc.Page("webhook_delivery"), p)
	}
}

func (s *Handler) handleDeliveryRedeliver(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	a, err := s.Webhooks.Redeliver(deliveryScope(c), id)
	if err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "webhook.redeliver", "delivery:"+strconv.FormatInt(id, 10), a.Outcome)
	kind := "ok"
	if a.Outcome != "succeeded" {
		kind = "error"
	}
	s.SetFlash(c, kind, "Attempt "+strconv.Itoa(a.Attempt)+" sent. "+a.Summary())
	return c.Redirect("/developers/webhooks/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}
