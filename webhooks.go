package main

import (
	"context"

	"orengen/app"
	"orengen/store"
)

// startWebhooks wires outbound webhooks into the server and starts their
// delivery loop; the returned func stops it (before the databases close).
func (m *Main) startWebhooks(ctx context.Context, sv *Services) func() {
	svc := &app.WebhookService{Store: store.NewWebhookStore(m.DB), Vault: sv.Vault, Logger: m.Logger, AllowPrivate: m.Config.WebhookAllowPrivate, Meter: m.meter()}
	m.Server.Webhooks = svc
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}
