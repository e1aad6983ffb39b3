package inbox

import "sync"

// Event kinds pushed to open inboxes.
const (
	EventMessage = "message" // a message arrived, was sent or noted
	EventUpdated = "updated" // status, assignee, labels changed
	EventRead    = "read"
)

// Event is something that changed in an inbox.
type Event struct {
	Type           string `json:"type"`
	TenantID       int64  `json:"-"`
	ConversationID int64  `json:"conversation_id,omitempty"`
	MessageID      int64  `json:"message_id,omitempty"`
	Direction      string `json:"direction,omitempty"`
}

// Sub is a subscription to a tenant's inbox (0: every tenant's). C
// closes when the subscriber fell too far behind (it reloads) or left.
type Sub struct {
	C      chan Event
	tenant int64
	closed bool
}

// Hub fans inbox events out to the open inboxes of this process.
type Hub struct {
	mu   sync.Mutex
	subs map[*Sub]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*Sub]struct{}{}} }

// Subscribe follows tenantID's inbox (0: all).
func (h *Hub) Subscribe(tenantID int64) *Sub {
	s := &Sub{C: make(chan Event, 64), tenant: tenantID}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Unsubscribe ends a subscription.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(s)
}

func (h *Hub) drop(s *Sub) {
	if s.closed {
		return
	}
	s.closed = true
	delete(h.subs, s)
	close(s.C)
}

// Publish sends ev to the tenant's subscribers (an event of tenant 0
// goes to all) without blocking: one whose buffer is full is dropped.
func (h *Hub) Publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.tenant != 0 && ev.TenantID != 0 && s.tenant != ev.TenantID {
			continue
		}
		select {
		case s.C <- ev:
		default:
			h.drop(s)
		}
	}
}

// Subscribers counts the open subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
