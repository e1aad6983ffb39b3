package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"orengen/app"
	"orengen/assets"
	"orengen/internal/memtrim"
	"orengen/ui"
)

// BackgroundStartDelay is how long serve's periodic background jobs
// (calendar sync and reminders, inbox polling, billing, digests, the
// workflow workers' idle polling, ...) wait before their first pass. A
// run enqueued meanwhile (a lead captured) wakes a worker at once. A
// variable for the tests only.
var BackgroundStartDelay = time.Second

// runServe is `orengen serve`: restore-if-missing and the replicator,
// then the databases and every service (Open), the HTTP(S) servers and
// the background work, until ctx ends; then an orderly shutdown.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := newFlagSet("serve", "serve [flags]", stderr)
	cfg, err := loadConfig(fs, args, env)
	if err != nil {
		return err
	}
	t0 := time.Now()
	go func() { assets.Warm(); ui.WarmTemplates() }() // on the other core while the databases open
	logger := newLogger(cfg, stderr)
	slog.SetDefault(logger)
	bs, err := startBackups(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer bs.stop(logger) // after a.Close: deferred calls run last-in first-out
	ph := phases{last: t0}
	ph.mark("backups")
	// The read pool takes the probe's connection; with a replica, the
	// replicator runs the checkpoints.
	a, err := openInto(ctx, &App{Config: cfg, Logger: logger, probe: bs.probe, replicated: bs.sup != nil})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := bs.afterOpen(ctx, a); err != nil {
		return err
	}
	ph.mark("open")
	if err := a.Seed(ctx); err != nil {
		return err
	}
	// Not in Seed: the tests' fixtures (every Seed caller's) build their
	// own calendars.
	if err := a.seedFreeAudit(ctx); err != nil {
		return err
	}
	ph.mark("seed")
	sessionKey, err := loadOrCreateKey(cfg.SessionKey, filepath.Join(cfg.DataDir, "session.key"))
	if err != nil {
		return fmt.Errorf("session key: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("--http-addr %s: %w (is another program using the port?)", cfg.HTTPAddr, err)
	}
	a.Server.PublicPort = publicPort(cfg, ln.Addr().String())
	if err := a.migrateMarketingSite(ctx); err != nil { // sites.go: needs the public port for its links
		ln.Close()
		return err
	}
	smtpSrv, err := a.ListenInboundSMTP() // inbox.go: off unless --inbound-smtp-addr
	if err != nil {
		ln.Close()
		return err
	}
	if smtpSrv != nil {
		defer smtpSrv.Close() // an early return; the orderly stop is below
	}
	a.Server.SessionKey = sessionKey
	a.Server.StartedAt = t0
	if err := a.Server.Open(); err != nil {
		ln.Close()
		return err
	}
	ph.mark("server")
	// The periodic jobs' first passes (each a read connection to open,
	// its schema to parse, a table to scan) wait a moment, so that a
	// restart answers its first requests first (BackgroundStartDelay).
	a.Start(app.NewContextWithStartDelay(ctx, BackgroundStartDelay))
	ph.mark("start")
	defer a.Stop() // before a.Close; idempotent
	errc := make(chan error, 3)
	stopTLS := func(context.Context) error { return nil }
	if cfg.TLS == "auto" {
		if stopTLS, err = a.serveTLS(ctx, ln, errc, stdout); err != nil {
			ln.Close()
			a.Server.Shutdown(context.Background())
			return err
		}
	} else {
		go func() { errc <- a.Server.Serve(ln) }()
	}
	ph.mark("serve")
	if err := bs.startReplicator(); err != nil {
		a.Server.Shutdown(context.Background())
		stopTLS(context.Background())
		return err
	}
	ph.mark("replicator")
	stopValve := bs.startWALValve(ctx, a) // stopped before the databases close
	defer stopValve()                     // an early return: before the deferred a.Close
	if smtpSrv != nil {
		go func() {
			if err := smtpSrv.Serve(); err != nil {
				errc <- fmt.Errorf("inbound smtp: %w", err)
			}
		}()
		logger.Info("inbound mail listener started", "listen", a.Inbox.InboundListening(), "addresses", "inbox+TOKEN@"+cfg.Domain)
	}
	logger.Info("orengen ready", "version", buildVersion(), "listen", ln.Addr().String(), "startup_ms", time.Since(t0).Milliseconds(), "phases", ph.String())
	a.printBanner(ctx, stdout, ln.Addr())
	// Hand the start-up's garbage (migrations, seeding, the first pages)
	// and the mappings of code only the start-up ran back to the system
	// now rather than over the next minutes; once, off the path to the
	// first request.
	memtrim.AfterStartup()
	// And the garbage of each later burst of work (a page view, a
	// workflow run) once the appliance is quiet again, rather than over
	// the minutes the runtime takes by itself.
	go memtrim.WhenIdle(ctx, time.Second)
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.Server.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "err", err)
	}
	if smtpSrv != nil {
		if err := smtpSrv.Shutdown(sctx); err != nil {
			logger.Error("shutdown inbound smtp", "err", err)
		}
	}
	if err := stopTLS(sctx); err != nil {
		logger.Error("shutdown tls", "err", err)
	}
	a.Stop()
	stopValve()
	bs.flush(a) // every write on the replicas while the databases are open
	if err := a.Close(); err != nil {
		return fmt.Errorf("close databases: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// printBanner writes the listening address, the three hosts' addresses
// and, while there is no admin yet, the first owner's setup link, in one
// write, so whoever reads the address also sees the link. A failure to
// make the link is logged: it must not skip serve's orderly shutdown.
func (a *App) printBanner(ctx context.Context, stdout io.Writer, addr net.Addr) {
	var banner strings.Builder
	fmt.Fprintf(&banner, "orengen %s listening on %s\n", buildVersion(), addr)
	fmt.Fprintf(&banner, "  marketing site: %s\n  client portal:  %s\n  nexus (admin):  %s\n",
		a.Server.URL(ui.HostSite)+"/", a.Server.URL(ui.HostPortal)+"/", a.Server.URL(ui.HostNexus)+"/")
	if tok, err := a.Auth.SetupToken(context.WithoutCancel(ctx)); err == nil {
		fmt.Fprintf(&banner, "  no admin yet: create one at %s/setup?token=%s (valid 24h, works once)\n", a.Server.URL(ui.HostNexus), url.QueryEscape(tok))
	} else if app.ErrorCode(err) != app.ECONFLICT {
		a.Logger.Error("create the first-owner setup link (run `orengen user setup-link`)", "err", err)
	}
	io.WriteString(stdout, banner.String())
}

// phases times the steps of start-up for the "ready" log line, so a slow
// start says where the time went.
type phases struct {
	last time.Time
	b    strings.Builder
}

func (p *phases) mark(name string) {
	now := time.Now()
	if p.b.Len() > 0 {
		p.b.WriteByte(' ')
	}
	fmt.Fprintf(&p.b, "%s=%dms", name, now.Sub(p.last).Milliseconds())
	p.last = now
}

func (p *phases) String() string { return p.b.String() }
