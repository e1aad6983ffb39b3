package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Streams counts a handler's long-lived responses (event streams,
// WebSockets) so its shutdown can end them and wait; once it waits, no
// new one starts. A bare WaitGroup may not be added to while waited on:
// a stream opening as the server shut down was a data race.
type Streams struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// Begin counts a stream; false once Wait has been called (start none).
func (s *Streams) Begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// End uncounts a stream Begin counted.
func (s *Streams) End() { s.wg.Done() }

// Wait stops new streams and waits for the open ones to end.
func (s *Streams) Wait() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
}

// SSE is one server-sent events stream: events from C written as JSON
// "data:" lines, a ": ping" every Heartbeat, closed after Max, when C
// closes (a subscriber that fell behind: the browser reconnects), when
// Done closes (shutdown) or when Last says an event was the final one.
type SSE[T any] struct {
	C         <-chan T
	Done      <-chan struct{}
	Streams   *Streams // counts the stream until it ends
	Heartbeat time.Duration
	Max       time.Duration
	Skip      func(T) bool // events not sent (nil: none)
	Last      func(T) bool // an event after which the stream ends (nil: none)
	Close     func()       // runs when the stream ends (unsubscribe)
}

// Serve sets the headers and streams in the background.
func (s SSE[T]) Serve(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	fctx := c.Context()
	if !s.Streams.Begin() {
		if s.Close != nil {
			s.Close()
		}
		return fiber.NewError(fiber.StatusServiceUnavailable, "The server is shutting down: reconnect in a moment.")
	}
	fctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.Streams.End()
		if s.Close != nil {
			defer s.Close()
		}
		conn := fctx.Conn()
		extend := func() { _ = conn.SetWriteDeadline(time.Now().Add(s.Heartbeat + 10*time.Second)) }
		extend()
		if _, err := w.WriteString(": ok\n\n"); err != nil || w.Flush() != nil {
			return
		}
		beat := time.NewTicker(s.Heartbeat)
		defer beat.Stop()
		limit := time.NewTimer(s.Max)
		defer limit.Stop()
		for {
			select {
			case ev, ok := <-s.C:
				if !ok {
					return
				}
				if s.Skip != nil && s.Skip(ev) {
					continue
				}
				b, _ := json.Marshal(ev)
				extend()
				if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil || w.Flush() != nil {
					return
				}
				if s.Last != nil && s.Last(ev) {
					return
				}
			case <-beat.C:
				extend()
				if _, err := w.WriteString(": ping\n\n"); err != nil || w.Flush() != nil {
					return
				}
			case <-limit.C:
				return
			case <-s.Done:
				return
			}
		}
	})
	return nil
}
