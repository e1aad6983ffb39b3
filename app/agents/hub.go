package agents

import "sync"

// Event types published while conversations run.
const (
	EventToken   = "token"   // a piece of the agent's reply as it streams
	EventMessage = "message" // a whole message (user, assistant, human)
	EventTool    = "tool"    // a tool call with its input, output and duration (staff only)
	EventSources = "sources" // the knowledge a reply used (staff only)
	EventStatus  = "status"  // taken over, handed back, ended
	EventReset   = "reset"   // discard the streamed partial reply (a guard rail cut it)
	EventList    = "list"    // a conversation started, changed or ended (live lists)
)

// Event is something that happened in a conversation. Private events
// (tools, sources, internal notes) never go to the visitor.
type Event struct {
	Type           string    `json:"type"`
	ConversationID int64     `json:"conversation_id"`
	TenantID       int64     `json:"-"`
	Role           string    `json:"role,omitempty"`
	Text           string    `json:"text,omitempty"`
	TurnID         int64     `json:"turn_id,omitempty"`
	Tool           *ToolView `json:"tool,omitempty"`
	Sources        []Source  `json:"sources,omitempty"`
	Status         string    `json:"status,omitempty"`
	Outcome        string    `json:"outcome,omitempty"`
	Private        bool      `json:"-"`
}

// ToolView is a tool call as the playground and the transcript show it.
type ToolView struct {
	Name       string `json:"name"`
	Arguments  string `json:"arguments"`
	Result     string `json:"result,omitempty"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// Sub is a subscription to a conversation's events or to a tenant's live
// list. C is closed when the subscriber fell too far behind (it should
// reload and subscribe again) or unsubscribed.
type Sub struct {
	C      chan Event
	conv   int64
	tenant int64
	list   bool
	closed bool
}

// Hub fans events out to subscribers in this process: the visitor's SSE
// stream, the playground, live lists and staff watching a chat.
type Hub struct {
	mu    sync.Mutex
	convs map[int64]map[*Sub]struct{}
	lists map[*Sub]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{convs: map[int64]map[*Sub]struct{}{}, lists: map[*Sub]struct{}{}}
}

// SubBuffer is how many events a subscriber may fall behind.
const SubBuffer = 512

// Subscribe follows one conversation.
func (h *Hub) Subscribe(conversationID int64) *Sub {
	s := &Sub{C: make(chan Event, SubBuffer), conv: conversationID}
	h.mu.Lock()
	m := h.convs[conversationID]
	if m == nil {
		m = map[*Sub]struct{}{}
		h.convs[conversationID] = m
	}
	m[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// SubscribeList follows the list of conversations of a tenant (0: all).
func (h *Hub) SubscribeList(tenantID int64) *Sub {
	s := &Sub{C: make(chan Event, 64), tenant: tenantID, list: true}
	h.mu.Lock()
	h.lists[s] = struct{}{}
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
	if s.list {
		delete(h.lists, s)
	} else if m := h.convs[s.conv]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.convs, s.conv)
		}
	}
	close(s.C)
}

// Publish sends ev to the conversation's subscribers without blocking; a
// subscriber whose buffer is full is dropped (its channel closes).
func (h *Hub) Publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.convs[ev.ConversationID] {
		select {
		case s.C <- ev:
		default:
			h.drop(s)
		}
	}
	if ev.Type == EventList || ev.Type == EventStatus || ev.Type == EventMessage {
		lv := Event{Type: EventList, ConversationID: ev.ConversationID, TenantID: ev.TenantID, Status: ev.Status}
		for s := range h.lists {
			if s.tenant != 0 && s.tenant != ev.TenantID {
				continue
			}
			select {
			case s.C <- lv:
			default: // a list only needs to know something changed
			}
		}
	}
}

// Watchers counts the subscribers of a conversation.
func (h *Hub) Watchers(conversationID int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.convs[conversationID])
}
