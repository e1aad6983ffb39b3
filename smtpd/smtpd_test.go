package smtpd

import (
	"context"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func start(t *testing.T, s *Server) string {
	t.Helper()
	s.Addr, s.Domain = "127.0.0.1:0", "example.test"
	addr, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	return addr.String()
}

func send(addr, rcpt, body string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail("a@example.org"); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func code(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// TestServer_Answers: an accepted message reaches Deliver whole with a
// Received line first; a refused recipient gets the Rejection's code;
// a storage failure is 451 (the sender retries); a message over the cap
// is 552 and never delivered.
func TestServer_Answers(t *testing.T) {
	var mu sync.Mutex
	var got []string
	var fail atomic.Bool
	s := &Server{MaxMessage: 2000,
		Accept: func(_ context.Context, rcpt string) error {
			if rcpt != "ok@example.test" {
				return &Rejection{Code: 550, Enhanced: [3]int{5, 1, 1}, Message: "No such mailbox here."}
			}
			return nil
		},
		Deliver: func(_ context.Context, rcpt, from string, raw []byte) error {
			if fail.Load() {
				return errors.New("disk full")
			}
			mu.Lock()
			got = append(got, rcpt+"|"+from+"|"+string(raw))
			mu.Unlock()
			return nil
		}}
	addr := start(t, s)
	msg := "Subject: hi\r\n\r\nhello there\r\n"
	if err := send(addr, "ok@example.test", msg); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	first := append([]string(nil), got...)
	mu.Unlock()
	if len(first) != 1 || !strings.HasPrefix(first[0], "ok@example.test|a@example.org|Received: from ") || !strings.HasSuffix(first[0], msg) {
		t.Fatalf("delivered: %q", first)
	}
	if err := send(addr, "nobody@example.test", msg); code(err) != 550 || !strings.Contains(err.Error(), "No such mailbox") {
		t.Fatalf("refused rcpt: %v", err)
	}
	fail.Store(true)
	if err := send(addr, "ok@example.test", msg); code(err) != 451 || strings.Contains(err.Error(), "disk full") {
		t.Fatalf("storage failure: %v (must be 451 without the internal error)", err)
	}
	fail.Store(false)
	if err := send(addr, "ok@example.test", "Subject: big\r\n\r\n"+strings.Repeat(strings.Repeat("x", 70)+"\r\n", 50)); code(err) != 552 {
		t.Fatalf("over the cap: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("a refused message was delivered: %d", len(got))
	}
}

// TestServer_ShutdownClosesIdle: an idle client does not hold Shutdown
// past its context; its connection is closed.
func TestServer_ShutdownClosesIdle(t *testing.T) {
	s := &Server{Deliver: func(context.Context, string, string, []byte) error { return nil }}
	addr := start(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 512)
	if _, err := conn.Read(buf); err != nil { // the greeting
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown says the idle session ended by itself")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Shutdown waited for the idle client")
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(buf); err == nil {
		t.Fatal("the idle connection is still open")
	}
}
