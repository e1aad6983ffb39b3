package ui

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"orengen/app"
	"orengen/ui/web"
)

// handleMetrics serves the registry in Prometheus text format to a
// scraper with the metrics token or to a signed-in admin (who has set up
// two-factor sign-in if the policy requires it). Anyone else gets 401.
func (s *Server) handleMetrics(c *fiber.Ctx) error {
	if !s.Metrics.TokenOK(c.Get(fiber.HeaderAuthorization)) {
		a := web.Admin(c)
		if a == nil {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="orengen metrics"`)
			return app.Errorf(app.EUNAUTHORIZED, "Sign in as an admin, or send Authorization: Bearer with the metrics token.")
		}
		if s.AdminTOTP != nil {
			must, err := s.AdminTOTP.MustEnrol(c.UserContext(), a)
			if err != nil {
				return err
			}
			if must {
				return app.Errorf(app.EFORBIDDEN, "Set up two-factor sign-in first (My account).")
			}
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.metricsHandler(c)
}

// serverCollector reports what the Server knows: leads stored and the
// expiry of each served certificate. It reads them at scrape time.
type serverCollector struct {
	s      *Server
	leads  *prometheus.Desc
	expiry *prometheus.Desc
}

func newServerCollector(s *Server) *serverCollector {
	return &serverCollector{
		s:      s,
		leads:  prometheus.NewDesc("orengen_leads", "Leads stored, all tenants.", nil, nil),
		expiry: prometheus.NewDesc("orengen_certificate_expiry_timestamp_seconds", "When the certificate served for a host expires (Unix time); absent while a host has none.", []string{"host"}, nil),
	}
}

func (sc *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- sc.leads
	ch <- sc.expiry
}

func (sc *serverCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if sc.s.Leads != nil {
		if _, n, err := sc.s.Leads.ListLeads(ctx, 0); err == nil {
			ch <- prometheus.MustNewConstMetric(sc.leads, prometheus.GaugeValue, float64(n))
		} else {
			ch <- prometheus.NewInvalidMetric(sc.leads, err)
		}
	}
	if cm := sc.s.Certs; cm != nil {
		names := cm.Hosts()
		if ds, err := cm.Domains.FindDomains(ctx); err == nil {
			for _, d := range ds {
				if d.Servable() {
					names = append(names, d.Name)
				}
			}
		}
		for _, n := range names {
			if st := cm.Status(n); st.NotAfter != nil {
				ch <- prometheus.MustNewConstMetric(sc.expiry, prometheus.GaugeValue, float64(st.NotAfter.Unix()), n)
			}
		}
	}
}

// openMetrics prepares s.Metrics (a new one if nil) and registers the
// server's collector once.
func (s *Server) openMetrics() error {
	if s.Metrics == nil {
		s.Metrics = web.NewMetrics()
	}
	if err := s.Metrics.RegisterServer(newServerCollector(s)); err != nil {
		return err
	}
	s.metricsHandler = s.Metrics.Handler()
	return nil
}
