package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"

	"orengen/app"
)

// Email unsubscribe (issue #18): every broadcast email carries a
// List-Unsubscribe header (RFC 8058 one-click: the mail program POSTs
// List-Unsubscribe=One-Click to the URL) and a footer link, both the
// same signed per-person URL on the tenant's portal host. The signature
// is an HMAC-SHA256 of the tenant and person under the tenant's own key
// (in the vault), so a link names one person of one tenant and cannot be
// forged or turned to another. Unsubscribing records the opt-out on the
// CRM person (EmailOptOutTag, email consent off, a timeline line) and
// later broadcasts skip them.

// SecretUnsubscribeKey is the vault name (tenant scope) of the key that
// signs unsubscribe links.
const SecretUnsubscribeKey = "inbox_unsubscribe_key"

// UnsubscribePath is the path of unsubscribe links on the portal host.
const UnsubscribePath = "/unsubscribe"

// unsubscribeSig signs (tenant, person).
func unsubscribeSig(key []byte, tenantID, personID int64) string {
	h := hmac.New(sha256.New, key)
	fmt.Fprintf(h, "unsubscribe-email|%d|%d", tenantID, personID)
	return hex.EncodeToString(h.Sum(nil)[:20])
}

// UnsubscribeURL returns the person's signed unsubscribe link.
func (s *Service) UnsubscribeURL(ctx context.Context, tenantID, personID int64) (string, error) {
	if s.SigningKey == nil || s.PortalURL == nil {
		return "", app.Errorf(app.EINVALID, "Unsubscribe links are not configured.")
	}
	key, err := s.SigningKey(appliance(ctx), tenantID)
	if err != nil {
		return "", fmt.Errorf("unsubscribe key: %w", err)
	}
	q := url.Values{"t": {strconv.FormatInt(tenantID, 10)}, "p": {strconv.FormatInt(personID, 10)}, "s": {unsubscribeSig(key, tenantID, personID)}}
	return s.PortalURL(ctx, tenantID) + UnsubscribePath + "?" + q.Encode(), nil
}

// unsubscribeFooter adds the unsubscribe link to a broadcast email: the
// footer line and the RFC 8058 headers.
func (s *Service) unsubscribeFooter(ctx context.Context, tenantID, personID int64, m *app.Message) error {
	u, err := s.UnsubscribeURL(ctx, tenantID, personID)
	if err != nil {
		return err
	}
	m.Text += "\n\n--\nTo stop receiving these emails, unsubscribe: " + u + "\n"
	m.Headers = map[string]string{"List-Unsubscribe": "<" + u + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
	return nil
}

// CheckUnsubscribe verifies an unsubscribe link's signature (no
// principal: the link is the proof). Returns ENOTFOUND for a link that
// is not valid, never saying why.
func (s *Service) CheckUnsubscribe(ctx context.Context, tenantID, personID int64, sig string) error {
	invalid := app.Errorf(app.ENOTFOUND, "This unsubscribe link is not valid.")
	if tenantID <= 0 || personID <= 0 || len(sig) != 40 || s.SigningKey == nil {
		return invalid
	}
	key, err := s.SigningKey(appliance(ctx), tenantID)
	if err != nil {
		return invalid
	}
	if !hmac.Equal([]byte(sig), []byte(unsubscribeSig(key, tenantID, personID))) {
		return invalid
	}
	return nil
}

// UnsubscribeEmail records the person's email opt-out after checking the
// link's signature; unsubscribing twice is fine. Returns ENOTFOUND for a
// link that is not valid.
func (s *Service) UnsubscribeEmail(ctx context.Context, tenantID, personID int64, sig string) error {
	if err := s.CheckUnsubscribe(ctx, tenantID, personID, sig); err != nil {
		return err
	}
	if s.Broadcasts == nil {
		return app.Errorf(app.ENOTFOUND, "This unsubscribe link is not valid.")
	}
	err := s.Broadcasts.UnsubscribeEmail(appliance(ctx), tenantID, personID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil // the person was deleted: nobody is left to email
	}
	return err
}
