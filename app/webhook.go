package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// WebhookEvents are the events a subscription can choose. Each comes from
// a CRM timeline entry, which the CRM writes in the same transaction as
// the change, so an event is never announced for a change that rolled
// back, and never lost for one that committed.
var WebhookEvents = []string{
	"person.created", "person.updated", "person.merged",
	"company.created", "company.updated",
	"opportunity.created", "opportunity.updated", "opportunity.stage_changed",
	"note.created", "task.created", "task.completed",
	"message.received", "message.sent", "conversation.created", "conversation.closed",
}

// RefConversation is the ref_type of a timeline entry of an inbox
// message (ref_id: the conversation; field: the direction, in or out;
// new: the message's ID).
const RefConversation = "conversation"

// ConversationCreatedField is the field of the timeline entry a new
// conversation writes on its person (new: its channel), in the
// transaction that created it: the webhooks' conversation.created.
const ConversationCreatedField = "created"

// ConversationClosedField is the field of the timeline entry written
// when a conversation is closed (New: its channel): the
// conversation_closed trigger comes from it.
const ConversationClosedField = "closed"

// WebhookSubscription sends chosen events of a tenant to a URL.
type WebhookSubscription struct {
	ID        int64
	TenantID  int64
	URL       string
	Events    []string
	Active    bool
	CreatedAt time.Time
}

// Validate checks the URL and events. Returns EINVALID naming the field.
func (w *WebhookSubscription) Validate() error {
	w.URL = strings.TrimSpace(w.URL)
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return FieldErrorf("url", "Enter an http:// or https:// URL, like https://hooks.example.com/crm.")
	}
	if len(w.URL) > 2000 {
		return FieldErrorf("url", "The URL must be at most 2000 characters.")
	}
	if len(w.Events) == 0 {
		return FieldErrorf("events", "Choose at least one event.")
	}
	known := map[string]bool{}
	for _, e := range WebhookEvents {
		known[e] = true
	}
	for _, e := range w.Events {
		if !known[e] {
			return FieldErrorf("events", "Unknown event %q.", e)
		}
	}
	return nil
}

// Wants reports whether the subscription takes the event.
func (w *WebhookSubscription) Wants(event string) bool {
	for _, e := range w.Events {
		if e == event {
			return true
		}
	}
	return false
}

// WebhookDelivery is one event sent (or to send) to one subscription.
type WebhookDelivery struct {
	ID             int64
	TenantID       int64
	SubscriptionID int64
	URL            string
	Event          string
	EventID        string
	Payload        string
	Status         string // pending, sending, succeeded, failed
	Attempts       int
	NextAttemptAt  time.Time
	LastStatusCode int
	LastError      string
	CreatedAt      time.Time
	DeliveredAt    *time.Time
	// TenantName is the tenant's name (filled by ListDeliveries, for
	// Nexus's log across tenants).
	TenantName string
	// Log is every attempt to send it, oldest first (filled by
	// FindDelivery only).
	Log []*WebhookAttempt
}

// WebhookAttempt is one try at sending a delivery: the delivery log's row.
type WebhookAttempt struct {
	ID         int64
	TenantID   int64
	DeliveryID int64
	// Attempt counts the delivery's attempts from 1, redeliveries
	// included (a redelivery resets the retry budget, not this).
	Attempt int
	// Redelivery is set for an attempt someone asked for (Send again,
	// the redeliver endpoint) rather than the retry schedule.
	Redelivery bool
	URL        string
	StartedAt  time.Time
	Duration   time.Duration
	StatusCode int    // 0: no answer (refused, timeout, network error)
	Error      string // "" when the receiver answered 2xx
	// Response is the start of the receiver's answer (WebhookResponseExcerpt
	// bytes, secrets redacted).
	Response string
	// Outcome is "succeeded", "retry" (another attempt is due at
	// NextAttemptAt) or "failed" (no more retries).
	Outcome       string
	NextAttemptAt *time.Time
}

// Summary says in one sentence how the attempt went, for a flash
// message or a log line (no payload, no secret).
func (a *WebhookAttempt) Summary() string {
	took := a.Duration.Round(time.Millisecond).String()
	switch {
	case a.Outcome == "succeeded":
		return fmt.Sprintf("Delivered: the receiver answered %d in %s.", a.StatusCode, took)
	case a.NextAttemptAt != nil:
		return fmt.Sprintf("Not delivered (%s, after %s); it will be retried at %s UTC.", a.Error, took, a.NextAttemptAt.UTC().Format("15:04:05"))
	}
	return fmt.Sprintf("Not delivered (%s, after %s).", a.Error, took)
}

// WebhookDeliveryFilter selects deliveries for the log.
type WebhookDeliveryFilter struct {
	Status   string // "", pending, sending, succeeded, failed
	Event    string // "" or one of WebhookEvents
	BeforeID int64  // 0, or only deliveries with a smaller ID (paging)
	Limit    int    // 1..MaxPageSize; 0: DefaultPageSize
	// TenantID narrows an admin's log across tenants to one tenant (0:
	// every tenant). Ignored when ctx carries a tenant.
	TenantID int64
}

// Validate checks the filter. Returns EINVALID naming the field.
func (f *WebhookDeliveryFilter) Validate() error {
	switch f.Status {
	case "", "pending", "sending", "succeeded", "failed":
	default:
		return FieldErrorf("status", "status must be pending, sending, succeeded or failed.")
	}
	if f.Event != "" && !slices.Contains(WebhookEvents, f.Event) {
		return FieldErrorf("event", "Unknown event %q.", f.Event)
	}
	if f.Limit == 0 {
		f.Limit = DefaultPageSize
	}
	if f.Limit < 1 || f.Limit > MaxPageSize {
		return FieldErrorf("limit", "limit must be a number from 1 to %d.", MaxPageSize)
	}
	if f.BeforeID < 0 {
		return FieldErrorf("cursor", "The cursor is not valid.")
	}
	return nil
}

// WebhookEvent is a CRM change to fan out.
type WebhookEvent struct {
	TenantID int64
	ID       string // stable: the timeline entry's ID
	Name     string
	Payload  []byte
}

// WebhookStore persists subscriptions and deliveries. Tenant-scoped
// methods take the tenant from ctx.
type WebhookStore interface {
	CreateSubscription(ctx context.Context, w *WebhookSubscription) error
	FindSubscriptions(ctx context.Context) ([]*WebhookSubscription, error)
	DeleteSubscription(ctx context.Context, id int64) error
	FindDeliveries(ctx context.Context, limit int) ([]*WebhookDelivery, error)
	// ListDeliveries is the delivery log, newest first: the tenant's in
	// ctx, or every tenant's for an admin context made with
	// NewContextAcrossTenants (CRMReadScope).
	ListDeliveries(ctx context.Context, f WebhookDeliveryFilter) ([]*WebhookDelivery, error)
	// FindDelivery returns one delivery of the read scope with its
	// attempts. ENOTFOUND.
	FindDelivery(ctx context.Context, id int64) (*WebhookDelivery, error)
	// Redeliver claims a delivery of the read scope to send it now (a
	// lease until leaseUntil, a fresh retry budget) and returns it.
	// ENOTFOUND, or ECONFLICT while it is being sent.
	Redeliver(ctx context.Context, id int64, leaseUntil time.Time) (*WebhookDelivery, error)

	// FanOut turns timeline entries after the cursor into deliveries for
	// the subscriptions that want them and advances the cursor, in one
	// transaction. Returns how many entries it read.
	FanOut(ctx context.Context, limit int, event func(e *TimelineEntry) (name string, payload []byte)) (int, error)
	// ClaimDeliveries marks up to limit due deliveries as sending (a lease
	// until leaseUntil) and returns them with their URL.
	ClaimDeliveries(ctx context.Context, limit int, leaseUntil time.Time) ([]*WebhookDelivery, error)
	// FinishDelivery records an attempt's outcome on the delivery and
	// appends the attempt to its log (numbering it), in one transaction.
	FinishDelivery(ctx context.Context, d *WebhookDelivery, a *WebhookAttempt) error
	// PruneDeliveries deletes finished (succeeded or failed) deliveries
	// with their attempts: those created before before, and those past
	// the keep newest finished ones (keep <= 0: no count limit). It
	// deletes oldest first, at most batch deliveries per transaction, so
	// other writers get the write lock between batches.
	PruneDeliveries(ctx context.Context, before time.Time, keep, batch int) (WebhookPruned, error)
}

// WebhookPruned is what one PruneDeliveries call deleted, and in how
// many transactions (batches that deleted something).
type WebhookPruned struct {
	Deliveries, Attempts, Batches int
}

// Webhook delivery policy.
const (
	WebhookTimeout     = 10 * time.Second
	WebhookMaxAttempts = 8
	WebhookLease       = time.Minute
	// WebhookResponseExcerpt is how much of a receiver's answer the log
	// keeps.
	WebhookResponseExcerpt = 1024

	// DefaultWebhookRetention is how long finished deliveries and their
	// attempts are kept in the delivery log; DefaultWebhookKeep is how
	// many finished deliveries are kept at most, whatever their age.
	DefaultWebhookRetention = 30 * 24 * time.Hour
	DefaultWebhookKeep      = 100_000
	// WebhookPruneBatch is how many deliveries one pruning transaction
	// deletes; WebhookPruneInterval how often Run prunes.
	WebhookPruneBatch    = 500
	WebhookPruneInterval = time.Hour
)

// WebhookBackoff is the wait before attempt n+1 after n failed attempts:
// 10 s, 20 s, 40 s ... at most an hour.
func WebhookBackoff(attempts int) time.Duration {
	d := 10 * time.Second << min(max(attempts-1, 0), 10)
	return min(d, time.Hour)
}

// SignWebhook returns the signature header value for a body sent at t:
// "t=UNIX,v1=HEX(HMAC-SHA256(secret, UNIX + "." + body))". Receivers
// recompute it and refuse old timestamps to stop replays.
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks a signature header against the body, accepting a
// timestamp at most tolerance old.
func VerifyWebhook(secret, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(n, 0)).Abs() > tolerance {
		return false
	}
	want := SignWebhook(secret, time.Unix(n, 0), body)
	return hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig))
}

// WebhookService manages subscriptions and delivers events.
type WebhookService struct {
	store  WebhookStore
	Vault  Vault // signing secrets, one per subscription, in the tenant's vault
	Logger *slog.Logger
	// HTTP sends deliveries. It must be the guarded outbound client
	// (package httpx, wired in cli) that refuses loopback, private and
	// metadata addresses at dial time, so a tenant cannot use webhooks to
	// probe the server's own network, and that follows no redirects (a
	// redirect is a failed delivery: the receiver should answer 2xx).
	// nil: every delivery fails.
	HTTP *http.Client
	Now  func() time.Time
	// Meter counts delivery attempts (nil: not counted).
	Meter Meter
	// Retention and Keep bound the delivery log (finished deliveries,
	// with their attempts): DefaultWebhookRetention and
	// DefaultWebhookKeep when zero. PruneBatch is WebhookPruneBatch when
	// zero.
	Retention  time.Duration
	Keep       int
	PruneBatch int
}

// NewWebhookService returns the webhook service on its store; the wiring
// sets the other fields. The store stays private: callers go through the
// service.
func NewWebhookService(st WebhookStore) *WebhookService { return &WebhookService{store: st} }

func webhookSecretName(id int64) string { return fmt.Sprintf("webhook.%d.secret", id) }

// Subscribe stores a subscription for the tenant of ctx and returns its
// signing secret (shown once). Returns EINVALID or EUNAUTHORIZED.
func (s *WebhookService) Subscribe(ctx context.Context, w *WebhookSubscription) (string, error) {
	t := TenantFromContext(ctx)
	if t == nil {
		return "", Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	if err := w.Validate(); err != nil {
		return "", err
	}
	w.TenantID, w.Active = t.ID, true
	if err := s.store.CreateSubscription(ctx, w); err != nil {
		return "", err
	}
	secret := "whsec_" + RandomToken(24)
	if err := s.Vault.Put(ctx, TenantScope(t.ID), webhookSecretName(w.ID), secret); err != nil {
		_ = s.store.DeleteSubscription(ctx, w.ID)
		return "", err
	}
	return secret, nil
}

// Unsubscribe deletes a subscription of the tenant of ctx. ENOTFOUND.
func (s *WebhookService) Unsubscribe(ctx context.Context, id int64) error {
	if err := s.store.DeleteSubscription(ctx, id); err != nil {
		return err
	}
	if t := TenantFromContext(ctx); t != nil {
		_ = s.Vault.Delete(ctx, TenantScope(t.ID), webhookSecretName(id))
	}
	return nil
}

// EventFor maps a CRM timeline entry to its webhook event and payload.
func EventFor(e *TimelineEntry) (string, []byte) {
	if e.RefType == RefConversation && (e.Field == "in" || e.Field == "out") {
		return messageEvent(e)
	}
	if e.RefType == RefConversation && (e.Field == ConversationCreatedField || e.Field == ConversationClosedField) {
		return conversationEvent(e)
	}
	obj := e.RecordType
	if obj == RecordDeal {
		obj = "opportunity"
	}
	name := obj + "." + e.Kind
	switch e.Kind {
	case TimelineCreated, TimelineUpdated, TimelineMerged:
	case TimelineNote:
		name = "note.created"
	case TimelineTask:
		name = "task.created"
	case TimelineTaskDone:
		name = "task.completed"
	}
	if e.Kind == TimelineUpdated && e.RecordType == RecordDeal && e.Field == "stage" {
		name = "opportunity.stage_changed"
	}
	api := map[string]string{RecordPerson: "people", RecordCompany: "companies", RecordDeal: "opportunities"}[e.RecordType]
	data := map[string]any{"record_type": obj, "record_id": e.RecordID, "actor": e.Actor}
	if api != "" { // pursuits have no CRM API path
		data["api_path"] = fmt.Sprintf("/api/v1/%s/%d", api, e.RecordID)
	}
	if e.Field != "" {
		data["field"], data["old"], data["new"] = e.Field, e.Old, e.New
	}
	if e.Body != "" {
		data["body"] = e.Body
	}
	if e.RefType != "" {
		data["ref_type"], data["ref_id"] = e.RefType, e.RefID
	}
	b, _ := json.Marshal(map[string]any{"id": "evt_" + strconv.FormatInt(e.ID, 10), "event": name, "created_at": e.CreatedAt.UTC().Format(time.RFC3339Nano), "data": data})
	return name, b
}

// messageEvent is message.received or message.sent: a customer's message
// reached the inbox, or a reply left it (issue #18).
func messageEvent(e *TimelineEntry) (string, []byte) {
	name := "message.received"
	if e.Field == "out" {
		name = "message.sent"
	}
	msgID, _ := strconv.ParseInt(e.New, 10, 64)
	channel := e.Kind
	data := map[string]any{"conversation_id": e.RefID, "message_id": msgID, "channel": channel, "direction": e.Field, "person_id": e.RecordID,
		"actor": e.Actor, "body": e.Body, "api_path": fmt.Sprintf("/api/v1/conversations/%d/messages", e.RefID)}
	b, _ := json.Marshal(map[string]any{"id": "evt_" + strconv.FormatInt(e.ID, 10), "event": name, "created_at": e.CreatedAt.UTC().Format(time.RFC3339Nano), "data": data})
	return name, b
}

// conversationEvent is conversation.created (a customer's first message
// on a channel opened a thread in the inbox) or conversation.closed
// (someone closed it; actor says who) (issue #18).
func conversationEvent(e *TimelineEntry) (string, []byte) {
	name := "conversation.created"
	data := map[string]any{"conversation_id": e.RefID, "channel": e.New, "person_id": e.RecordID,
		"api_path": fmt.Sprintf("/api/v1/conversations/%d", e.RefID)}
	if e.Field == ConversationClosedField {
		name, data["actor"] = "conversation.closed", e.Actor
	}
	b, _ := json.Marshal(map[string]any{"id": "evt_" + strconv.FormatInt(e.ID, 10), "event": name, "created_at": e.CreatedAt.UTC().Format(time.RFC3339Nano), "data": data})
	return name, b
}

func (s *WebhookService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Tick fans out new events and delivers what is due; Run calls it every
// second. Returns how many deliveries it attempted.
func (s *WebhookService) Tick(ctx context.Context) (int, error) {
	for {
		n, err := s.store.FanOut(ctx, 500, EventFor)
		if err != nil {
			return 0, fmt.Errorf("webhook fan-out: %w", err)
		}
		if n < 500 {
			break
		}
	}
	ds, err := s.store.ClaimDeliveries(ctx, 20, s.now().Add(WebhookLease))
	if err != nil {
		return 0, fmt.Errorf("webhook claim: %w", err)
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() { s.deliver(ctx, d, false) })
	}
	wg.Wait()
	return len(ds), nil
}

// retention returns the log's bounds with their defaults filled in.
func (s *WebhookService) retention() (time.Duration, int) {
	age, keep := s.Retention, s.Keep
	if age <= 0 {
		age = DefaultWebhookRetention
	}
	if keep <= 0 {
		keep = DefaultWebhookKeep
	}
	return age, keep
}

// RetentionNote says how long the delivery log keeps finished
// deliveries, for the log's page.
func (s *WebhookService) RetentionNote() string {
	age, keep := s.retention()
	return fmt.Sprintf("Delivered and given-up deliveries are kept for %s (at most the newest %s), then deleted with their attempts.", humanDays(age), message.NewPrinter(language.English).Sprint(keep))
}

func humanDays(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if n := int(d / (24 * time.Hour)); n != 1 {
			return strconv.Itoa(n) + " days"
		}
		return "1 day"
	}
	return d.String()
}

// Prune deletes finished deliveries past the log's retention (age or
// count) with their attempts, in batches; Run calls it every
// WebhookPruneInterval. Returns what it deleted.
func (s *WebhookService) Prune(ctx context.Context) (WebhookPruned, error) {
	age, keep := s.retention()
	batch := s.PruneBatch
	if batch <= 0 {
		batch = WebhookPruneBatch
	}
	p, err := s.store.PruneDeliveries(ctx, s.now().Add(-age), keep, batch)
	if err != nil {
		return p, fmt.Errorf("webhook log retention: %w", err)
	}
	return p, nil
}

// Run delivers webhooks until ctx is done, and prunes the delivery log
// every WebhookPruneInterval.
func (s *WebhookService) Run(ctx context.Context) {
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		Every(ctx, WebhookPruneInterval, func(ctx context.Context) {
			if p, err := s.Prune(ctx); err != nil && ctx.Err() == nil {
				s.log().Error("webhooks", "err", err)
			} else if p.Deliveries > 0 {
				s.log().Info("webhook log retention: deleted old deliveries", "deliveries", p.Deliveries, "attempts", p.Attempts, "batches", p.Batches)
			}
		})
	}()
	defer func() { <-pruned }()
	Every(ctx, time.Second, func(ctx context.Context) {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("webhooks", "err", err)
		}
	})
}

func (s *WebhookService) deliver(ctx context.Context, d *WebhookDelivery, redelivery bool) *WebhookAttempt {
	d.Attempts++
	start := s.now()
	res := s.send(ctx, d)
	now := s.now().UTC()
	a := &WebhookAttempt{TenantID: d.TenantID, DeliveryID: d.ID, Redelivery: redelivery, URL: d.URL, StartedAt: start.UTC(),
		Duration: now.Sub(start), StatusCode: res.code, Response: res.excerpt}
	d.LastStatusCode = res.code
	switch {
	case res.err == nil:
		d.Status, d.LastError, d.DeliveredAt = "succeeded", "", &now
	case d.Attempts >= WebhookMaxAttempts:
		d.Status, d.LastError = "failed", res.err.Error()
	default:
		d.Status, d.LastError, d.NextAttemptAt = "pending", res.err.Error(), now.Add(WebhookBackoff(d.Attempts))
		next := d.NextAttemptAt
		a.NextAttemptAt = &next
	}
	a.Error = d.LastError
	a.Outcome = d.Status
	if a.Outcome == "pending" {
		a.Outcome = "retry"
	}
	if ferr := s.store.FinishDelivery(context.WithoutCancel(ctx), d, a); ferr != nil {
		s.log().Error("webhook record", "delivery", d.ID, "err", ferr)
	}
	if s.Meter != nil {
		s.Meter.WebhookDelivered(a.Outcome)
	}
	return a
}

// sendResult is what one attempt's request came to.
type sendResult struct {
	code    int
	excerpt string
	err     error
}

func (s *WebhookService) send(ctx context.Context, d *WebhookDelivery) sendResult {
	// The worker acts for the system, not a user: the vault lets it read
	// the subscription's tenant-scoped secret.
	secret, err := s.Vault.Get(ctx, TenantScope(d.TenantID), webhookSecretName(d.SubscriptionID))
	if err != nil {
		return sendResult{err: fmt.Errorf("signing secret: %s", ErrorMessage(err))}
	}
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, strings.NewReader(d.Payload))
	if err != nil {
		return sendResult{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "webhooks/1")
	req.Header.Set("X-Webhook-Event", d.Event)
	req.Header.Set("X-Webhook-Id", d.EventID)
	req.Header.Set("X-Webhook-Delivery", strconv.FormatInt(d.ID, 10))
	req.Header.Set("X-Webhook-Signature", SignWebhook(secret, s.now(), body))
	if s.HTTP == nil {
		return sendResult{err: errors.New("no outbound HTTP client is configured")}
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is shown beside the error already
		}
		var refused interface {
			error
			OutboundRefused()
		}
		if errors.As(err, &refused) {
			err = refused // the address and the fix, without dial noise
		}
		return sendResult{err: err}
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, WebhookResponseExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	out := sendResult{code: resp.StatusCode, excerpt: WebhookExcerpt(head, secret)}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		out.err = fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return out
}

// secretPatterns find credentials a receiver may echo in its answer
// (a bearer token, a signing secret, an API key, key=value pairs named
// like secrets): the log shows the answer without them.
var secretPatterns = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b(whsec|ogt|oga)_[A-Za-z0-9_\-]+`), "[redacted]"},
	{regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+`), "$1 [redacted]"},
	{regexp.MustCompile(`\b(sk|pk|rk|xox[abpr])[-_][A-Za-z0-9_\-]{8,}`), "[redacted]"},
	{regexp.MustCompile(`(?i)("?(?:secret|password|passwd|token|api[_-]?key|access[_-]?key|authorization|signature)"?\s*[:=]\s*)("[^"]*"|[^\s,&;}]+)`), "${1}[redacted]"},
}

// WebhookExcerpt is what the log keeps of a receiver's answer: at most
// WebhookResponseExcerpt bytes of valid UTF-8 text, control characters
// dropped, the subscription's signing secret and anything shaped like a
// credential replaced by "[redacted]".
func WebhookExcerpt(body []byte, secret string) string {
	if len(body) > WebhookResponseExcerpt {
		body = body[:WebhookResponseExcerpt]
	}
	t := strings.ToValidUTF8(string(body), "")
	t = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, t)
	if secret != "" {
		t = strings.ReplaceAll(t, secret, "[redacted]")
	}
	for _, p := range secretPatterns {
		t = p.re.ReplaceAllString(t, p.with)
	}
	return strings.TrimSpace(t)
}

// Subscriptions lists the tenant's webhook subscriptions.
func (s *WebhookService) Subscriptions(ctx context.Context) ([]*WebhookSubscription, error) {
	return s.store.FindSubscriptions(ctx)
}

// RecentDeliveries returns the tenant's newest deliveries, at most limit.
func (s *WebhookService) RecentDeliveries(ctx context.Context, limit int) ([]*WebhookDelivery, error) {
	return s.store.FindDeliveries(ctx, limit)
}

// Deliveries lists the delivery log (the tenant's, or every tenant's in
// an admin context across tenants). Returns EINVALID for a bad filter.
func (s *WebhookService) Deliveries(ctx context.Context, f WebhookDeliveryFilter) ([]*WebhookDelivery, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return s.store.ListDeliveries(ctx, f)
}

// Delivery returns one delivery with its attempts. ENOTFOUND.
func (s *WebhookService) Delivery(ctx context.Context, id int64) (*WebhookDelivery, error) {
	return s.store.FindDelivery(ctx, id)
}

// Redeliver sends a delivery again now, through the same guarded client
// and signature as the worker, and returns the attempt (its outcome is
// the receiver's answer: a failed redelivery is no error). A failure
// leaves the delivery on the retry schedule with a fresh budget. Returns
// ENOTFOUND, or ECONFLICT while it is being sent.
func (s *WebhookService) Redeliver(ctx context.Context, id int64) (*WebhookAttempt, error) {
	d, err := s.store.Redeliver(ctx, id, s.now().Add(WebhookLease))
	if err != nil {
		return nil, err
	}
	// The request that asked for it may go away; the attempt still ends
	// and is recorded (the client's timeout bounds it).
	return s.deliver(context.WithoutCancel(ctx), d, true), nil
}

func (s *WebhookService) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
