package billing

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/billing"
	"orengen/ui/web"
)

// Wallet auto-recharge (issue #23): the client's owner (portal) or the
// agency (Nexus) sets the threshold and the amount charged to the card
// when a usage debit takes the wallet under it; the page shows the
// latest recharge, and why it failed.

// withRecharge adds the tenant's auto-recharge settings and latest
// recharge to v.
func (s *Handler) withRecharge(c *fiber.Ctx, v *summaryView, tenantID int64) error {
	w, _, err := s.Billing.Wallet(c.UserContext(), tenantID, 1)
	if err != nil {
		return err
	}
	v.RechargeOn = w.RechargeMicros > 0
	if v.RechargeOn {
		v.RechargeBelow, v.RechargeAmount = billing.DollarsInput(w.RechargeBelowMicros), billing.DollarsInput(w.RechargeMicros)
	}
	rs, err := s.Payments.Recharges(c.UserContext(), tenantID, 1)
	if err != nil {
		return err
	}
	if len(rs) > 0 {
		v.RechargeNotice, v.RechargeFailed = billing.RechargeNotice(rs[0]), rs[0].Status == billing.PaymentFailed
	}
	return nil
}

// readRecharge reads the auto-recharge form (dollars; both empty: off).
func readRecharge(c *fiber.Ctx) (below, amount int64, err error) {
	g := web.FormGetter(c)
	if below, err = billing.ParseDollars("recharge_below", g("recharge_below")); err != nil {
		return 0, 0, err
	}
	amount, err = billing.ParseDollars("recharge_amount", g("recharge_amount"))
	return below, amount, err
}

// rechargeMessage is the flash after the settings were saved.
func rechargeMessage(below, amount int64, r *billing.Recharge) string {
	if amount == 0 {
		return "Auto-recharge is off."
	}
	msg := fmt.Sprintf("Auto-recharge is on: when the wallet falls under %s, %s is charged to the card.", billing.FormatMicros(below), billing.FormatMicros(amount))
	if r != nil {
		msg += " " + billing.RechargeNotice(r)
	}
	return msg
}

// handlePortalRecharge saves the client's auto-recharge (owners only).
func (s *Handler) handlePortalRecharge(c *fiber.Ctx) error {
	t := web.Tenant(c)
	if t == nil {
		return app.Errorf(app.EUNAUTHORIZED, "Sign in.")
	}
	if err := web.RequireOwner(c, "change the auto-recharge"); err != nil {
		return err
	}
	below, amount, err := readRecharge(c)
	var r *billing.Recharge
	if err == nil {
		r, err = s.Payments.SetAutoRecharge(c.UserContext(), t.ID, below, amount)
	}
	if err != nil {
		return web.FormError(c, err, "recharge_amount", func(e map[string]string) error { return s.renderPortal(c, e) })
	}
	s.SetFlash(c, "ok", rechargeMessage(below, amount, r))
	return c.Redirect("/billing", fiber.StatusSeeOther)
}

// handleNexusRecharge saves a client's auto-recharge.
func (s *Handler) handleNexusRecharge(c *fiber.Ctx) error {
	return s.tenantAction(c, "recharge_amount", func(t *app.Tenant, g func(string) string) (string, error) {
		below, amount, err := readRecharge(c)
		if err != nil {
			return "", err
		}
		r, err := s.Payments.SetAutoRecharge(c.UserContext(), t.ID, below, amount)
		if err != nil {
			return "", err
		}
		return t.BrandName() + ": " + rechargeMessage(below, amount, r), nil
	})
}
