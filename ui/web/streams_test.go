package web

import (
	"testing"
	"time"
)

// TestStreams: Wait waits for the open streams, and once it has been
// called no stream begins (a stream opening during shutdown is refused,
// not added to a WaitGroup being waited on).
func TestStreams(t *testing.T) {
	var s Streams
	if !s.Begin() {
		t.Fatal("a stream could not begin")
	}
	done := make(chan struct{})
	go func() { s.Wait(); close(done) }()
	select {
	case <-done:
		t.Fatal("Wait returned with a stream open")
	case <-time.After(50 * time.Millisecond):
	}
	for !func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.closed }() {
		time.Sleep(time.Millisecond)
	}
	if s.Begin() {
		t.Fatal("a stream began after Wait")
	}
	s.End()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after the stream ended")
	}
}
