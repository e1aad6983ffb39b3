package store_test

import (
	"bytes"
	"log/slog"
	"sync"
)

type tenantLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *tenantLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *tenantLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *tenantLogBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }
