package app_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
)

// serve's background jobs wait out the start delay before their first
// pass; without one (every other caller, the tests) they run at once.
func TestEvery_StartDelay(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ran := make(chan time.Time, 1)
		go app.Every(ctx, time.Hour, func(context.Context) { ran <- time.Now(); cancel() })
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Fatal("Every without a start delay did not run at once")
		}
	})
	t.Run("waits", func(t *testing.T) {
		const d = 200 * time.Millisecond
		ctx, cancel := context.WithCancel(app.NewContextWithStartDelay(context.Background(), d))
		defer cancel()
		start := time.Now()
		ran := make(chan time.Time, 1)
		go app.Every(ctx, time.Hour, func(context.Context) { ran <- time.Now(); cancel() })
		select {
		case at := <-ran:
			if at.Sub(start) < d {
				t.Fatalf("first pass after %v, before the %v start delay", at.Sub(start), d)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Every never ran after its start delay")
		}
	})
	t.Run("cancelled during the delay", func(t *testing.T) {
		ctx, cancel := context.WithCancel(app.NewContextWithStartDelay(context.Background(), time.Hour))
		var calls atomic.Int32
		done := make(chan struct{})
		go func() { app.Every(ctx, time.Hour, func(context.Context) { calls.Add(1) }); close(done) }()
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Every did not return when ctx ended during its start delay")
		}
		if n := calls.Load(); n != 0 {
			t.Fatalf("f ran %d times after ctx ended during the delay", n)
		}
	})
}

// Work that arrives during the delay (a run enqueued: the engine's Wake)
// ends the wait at once.
func TestAfterStartDelay_Wake(t *testing.T) {
	ctx := app.NewContextWithStartDelay(context.Background(), time.Hour)
	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	res := make(chan bool, 1)
	go func() { res <- app.AfterStartDelay(ctx, wake) }()
	select {
	case ok := <-res:
		if !ok {
			t.Fatal("AfterStartDelay reported a live ctx as ended")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a wake did not end the start delay")
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if app.AfterStartDelay(ended, nil) {
		t.Fatal("AfterStartDelay reported an ended ctx as live")
	}
}
