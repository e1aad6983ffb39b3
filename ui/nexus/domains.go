package nexus

import (
	"fmt"
	"orengen/ui/web"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

func (s *Handler) registerDomainRoutes(r fiber.Router, csrf fiber.Handler) {
	r.Get("/domains", s.handleDomains)
	r.Post("/domains", csrf, s.handleDomainCreate)
	r.Post("/domains/check", csrf, s.handleDomainsCheck)
	r.Post("/domains/:id/delete", csrf, s.handleDomainDelete)
	r.Post("/domains/:id/enable", csrf, s.handleDomainEnable(true))
	r.Post("/domains/:id/disable", csrf, s.handleDomainEnable(false))
}

// domainRow is one line of the Domains table: a built-in host or a
// custom domain.
type domainRow struct {
	ID          int64 // 0 for built-in hosts
	Name        string
	Kind        string
	Tenant      string
	Status      string
	DNSChecked  *time.Time
	DNSOK       bool
	DNSError    string
	CertIssuer  string
	CertExpiry  *time.Time
	LastError   string
	VerifyName  string
	VerifyToken string
}

type domainsPage struct {
	web.Layout
	Rows      []domainRow
	Custom    []domainRow
	IPv4      []string
	IPv6      []string
	TLSOff    bool
	Name      string
	TenantID  string
	Tenants   []*app.Tenant // client tenants a domain can belong to
	Errors    map[string]string
	Error     string
	CanWrite  bool
	NoIPsHint bool
}

func (s *Handler) handleDomains(c *fiber.Ctx) error {
	return s.renderDomains(c, &domainsPage{})
}

func (s *Handler) renderDomains(c *fiber.Ctx, p *domainsPage) error {
	ds, err := s.Domains.FindDomains(c.UserContext())
	if err != nil {
		return err
	}
	for _, a := range s.Domains.PublicIPs {
		if a.Is4() {
			p.IPv4 = append(p.IPv4, a.String())
		} else {
			p.IPv6 = append(p.IPv6, a.String())
		}
	}
	p.NoIPsHint = len(s.Domains.PublicIPs) == 0
	names := map[int64]string{}
	if s.Tenants != nil {
		ts, err := s.Tenants.ListTenants(c.UserContext())
		if err != nil {
			return err
		}
		for _, t := range ts {
			if !t.House {
				p.Tenants = append(p.Tenants, t)
			}
			names[t.ID] = t.Name
		}
	}
	p.TLSOff = !s.Certs.Enabled()
	for _, h := range s.Domains.BuiltinHosts() {
		r := domainRow{Name: h.Name, Kind: "built-in (" + h.Role + ")", Tenant: "agency", Status: app.DomainActive}
		if chk := s.Domains.BuiltinCheck(h.Name); chk != nil {
			t := chk.CheckedAt
			r.DNSChecked, r.DNSOK, r.DNSError = &t, chk.OK, chk.Error
		}
		s.fillCert(&r)
		p.Rows = append(p.Rows, r)
	}
	for _, d := range ds {
		r := domainRow{ID: d.ID, Name: d.Name, Kind: "custom", Status: d.Status, DNSChecked: d.DNSCheckedAt, DNSOK: d.DNSOK, DNSError: d.DNSError,
			CertIssuer: d.CertIssuer, CertExpiry: d.CertExpiry, LastError: d.LastError, VerifyName: d.VerifyRecord(), VerifyToken: d.VerifyToken, Tenant: "none"}
		if d.TenantID != nil {
			r.Tenant = names[*d.TenantID]
			if r.Tenant == "" {
				r.Tenant = "#" + strconv.FormatInt(*d.TenantID, 10)
			}
		}
		s.fillCert(&r)
		p.Rows = append(p.Rows, r)
		p.Custom = append(p.Custom, r)
	}
	p.CanWrite = web.Admin(c).Role == app.RoleOwner
	p.Layout = s.Layout(c, web.HostNexus, "Domains")
	return s.Render(c, "nexus/domains", p)
}

// fillCert overlays what the certificate manager serves now.
func (s *Handler) fillCert(r *domainRow) {
	if !s.Certs.Enabled() {
		return
	}
	st := s.Certs.Status(r.Name)
	if st.NotAfter != nil {
		r.CertIssuer, r.CertExpiry = st.Issuer, st.NotAfter
	}
	if st.LastError != "" {
		r.LastError = st.LastError
	}
}

func (s *Handler) handleDomainCreate(c *fiber.Ctx) error {
	if err := requireOwnerAdmin(c, "change domains"); err != nil {
		return err
	}
	p := &domainsPage{Name: utils.CopyString(strings.TrimSpace(c.FormValue("name"))), TenantID: utils.CopyString(strings.TrimSpace(c.FormValue("tenant_id")))}
	d := &app.CustomDomain{Name: p.Name}
	var err error
	if p.TenantID != "" {
		id, perr := strconv.ParseInt(p.TenantID, 10, 64)
		if perr != nil || id <= 0 {
			err = app.FieldErrorf("tenant_id", "Tenant must be a positive number, or empty.")
		} else if s.Tenants != nil {
			if _, terr := s.Tenants.TenantByID(c.UserContext(), id); app.ErrorCode(terr) == app.ENOTFOUND {
				err = app.FieldErrorf("tenant_id", "No tenant has ID %d.", id)
			} else if terr != nil {
				return terr
			}
		}
		d.TenantID = &id
	}
	if err == nil {
		err = s.Domains.AddDomain(c.UserContext(), d)
	}
	if err != nil {
		code := app.ErrorCode(err)
		if code != app.EINVALID && code != app.ECONFLICT {
			return err
		}
		c.Status(web.ErrorStatus(code))
		if f := app.ErrorField(err); f != "" {
			p.Errors = map[string]string{f: app.ErrorMessage(err)}
		} else {
			p.Error = app.ErrorMessage(err)
		}
		return s.renderDomains(c, p)
	}
	s.Logger.Info("custom domain added", "domain", d.Name, "by", web.Admin(c).ID)
	s.SetFlash(c, "ok", fmt.Sprintf("Added %s. Create its DNS records (below), then press Check DNS now.", d.Name))
	return c.Redirect("/domains", fiber.StatusSeeOther)
}

func domainID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.Errorf(app.ENOTFOUND, "Domain not found.")
	}
	return id, nil
}

func (s *Handler) handleDomainDelete(c *fiber.Ctx) error {
	if err := requireOwnerAdmin(c, "change domains"); err != nil {
		return err
	}
	id, err := domainID(c)
	if err != nil {
		return err
	}
	d, err := s.Domains.RemoveDomain(c.UserContext(), id)
	if err != nil {
		return err
	}
	if s.Certs.Enabled() {
		s.Certs.Evict(d.Name)
	}
	s.Logger.Info("custom domain removed", "domain", d.Name, "by", web.Admin(c).ID)
	s.SetFlash(c, "ok", "Removed "+d.Name+". No certificate will be requested or renewed for it.")
	return c.Redirect("/domains", fiber.StatusSeeOther)
}

func (s *Handler) handleDomainEnable(enabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := requireOwnerAdmin(c, "change domains"); err != nil {
			return err
		}
		id, err := domainID(c)
		if err != nil {
			return err
		}
		d, err := s.Domains.SetDomainEnabled(c.UserContext(), id, enabled)
		if err != nil {
			return err
		}
		if s.Certs.Enabled() && !enabled {
			s.Certs.Evict(d.Name)
		}
		s.SetFlash(c, "ok", d.Name+" is now "+d.Status+".")
		return c.Redirect("/domains", fiber.StatusSeeOther)
	}
}

// handleDomainsCheck runs every DNS check now ("Check DNS now").
func (s *Handler) handleDomainsCheck(c *fiber.Ctx) error {
	passed, failed, err := s.Domains.CheckAll(c.UserContext())
	if err != nil {
		return err
	}
	kind, msg := "ok", fmt.Sprintf("DNS checked: %d custom domain(s) verified, %d not yet.", passed, failed)
	if failed > 0 {
		kind = "warn"
	}
	s.SetFlash(c, kind, msg)
	return c.Redirect("/domains", fiber.StatusSeeOther)
}
