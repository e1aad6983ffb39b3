package ui_test

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
)

// Issue 15's defects, one sub-test each.
func TestBuilders_Defects(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	portal := map[string]string{"psid": e.A.Cookie}

	t.Run("VaultNamesArePickedFromTheNamesTheAppReads", func(t *testing.T) {
		st, body, _ := e.admin("GET", "/vault", nil)
		if st != 200 {
			t.Fatalf("vault: %d", st)
		}
		if strings.Contains(body, "twilio.auth_token") {
			t.Error("the vault page still shows the dotted example name")
		}
		list := regexp.MustCompile(`(?s)<datalist id="known-secrets">(.*?)</datalist>`).FindStringSubmatch(body)
		if list == nil || !strings.Contains(body, `list="known-secrets"`) {
			t.Fatal("no picker of known names on the name field")
		}
		for _, n := range []string{"twilio_account_sid", "twilio_auth_token", "twilio_from", "smtp_url", "openai_api_key", "sam_api_key"} {
			if !strings.Contains(list[1], `value="`+n+`"`) {
				t.Errorf("picker lacks %s", n)
			}
		}
		// The global twilio_auth_token the harness stored is "set"; the SID is not.
		row := func(name string) string {
			return regexp.MustCompile(`<tr><td class="mono">` + name + `</td>.*?</tr>`).FindString(body)
		}
		if !strings.Contains(row("twilio_auth_token"), "<td>set</td>") || !strings.Contains(row("twilio_account_sid"), "not set up") {
			t.Errorf("known names' state: %q / %q", row("twilio_auth_token"), row("twilio_account_sid"))
		}
		// The names the picker offers are the ones the integrations read:
		// saving two of them from the page completes the Twilio account.
		if e.App.Integrations.Twilio(ctx, app.HouseTenantID).Complete() {
			t.Fatal("Twilio complete before the page saved the SID and number")
		}
		for n, v := range map[string]string{"twilio_account_sid": "AC0123456789", "twilio_from": "+15125550100"} {
			if st, _, _ := e.admin("POST", "/vault", url.Values{"name": {n}, "scope": {"0"}, "value": {v}}); st != 303 {
				t.Fatalf("put %s: %d", n, st)
			}
		}
		e.App.Integrations.TTL = 1 // no cached "unset"
		if a := e.App.Integrations.Twilio(ctx, app.HouseTenantID); !a.Complete() || a.AccountSID != "AC0123456789" {
			t.Fatalf("the picked names are not what Twilio reads: %+v", a)
		}
	})

	t.Run("HostedFormShowsTheBrandNotHouse", func(t *testing.T) {
		st, body, _ := e.do(treq{Host: "site", Method: "GET", Path: "/f/" + strconv.FormatInt(e.HouseFormID, 10)})
		if st != 200 {
			t.Fatalf("hosted form: %d", st)
		}
		settings, err := e.Server.Site.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(body, ">House<") || strings.Contains(body, "| House<") || !strings.Contains(body, "| "+settings.Name+"</title>") {
			t.Fatalf("hosted form of the house tenant is not under the agency's brand %q:\n%s", settings.Name, body[:min(len(body), 900)])
		}
	})

	t.Run("OneMoneyFormatWithTheCurrency", func(t *testing.T) {
		tctx := app.NewContextWithTenant(ctx, e.A.T)
		d := &app.Deal{Name: "Money format deal", Amount: 125000, Currency: "EUR"}
		if err := e.Server.CRM.CreateDeal(tctx, d); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/crm/deals", fmt.Sprintf("/crm/deals/%d", d.ID), "/crm/pipeline"} {
			st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: path, Cookies: portal})
			if st != 200 || !strings.Contains(body, "1,250.00 EUR") || strings.Contains(body, "1250.00") {
				t.Errorf("%s: %d, wants 1,250.00 EUR and never 1250.00", path, st)
			}
		}
		// The edit form takes the same notation, and the API the minor units.
		st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("/crm/deals/%d", d.ID), Cookies: portal})
		if st != 200 || !strings.Contains(body, `value="1,250.00"`) {
			t.Errorf("edit form: %d lacks 1,250.00", st)
		}
		st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("/api/v1/opportunities/%d", d.ID), Bearer: e.A.KeyRead})
		if st != 200 || !strings.Contains(body, `"amount":125000`) || !strings.Contains(body, `"currency":"EUR"`) {
			t.Errorf("API: %d %s", st, body)
		}
	})

	t.Run("ControlsAndContrast", func(t *testing.T) {
		css, err := os.ReadFile("../assets/static/css/app.css")
		if err != nil {
			t.Fatal(err)
		}
		s := string(css)
		side := regexp.MustCompile(`--side:(#[0-9a-f]{6})`).FindStringSubmatch(s)
		h4 := regexp.MustCompile(`aside\.side h4\{[^}]*?color:(#[0-9a-f]{6})`).FindStringSubmatch(s)
		link := regexp.MustCompile(`aside\.side a\.nav\{[^}]*?color:(#[0-9a-f]{6})`).FindStringSubmatch(s)
		if side == nil || h4 == nil || link == nil {
			t.Fatal("sidebar colours not found in app.css")
		}
		for _, fg := range []string{h4[1], link[1]} {
			if r := contrast(fg, side[1]); r < 4.5 {
				t.Errorf("Nexus sidebar text %s on %s: contrast %.2f:1, WCAG AA needs 4.5:1", fg, side[1], r)
			}
		}
		for _, rule := range []string{`input[type=color]{width:4.5rem;height:2.6rem`, `input[type=checkbox],input[type=radio]{width:1.1rem`, `label:has(>input[type=checkbox])`} {
			if !strings.Contains(s, rule) {
				t.Errorf("app.css lacks %s", rule)
			}
		}
	})

	t.Run("LoginPagesHaveAMainLandmark", func(t *testing.T) {
		for _, host := range []string{"nexus", "portal"} {
			st, body, _ := e.do(treq{Host: host, Method: "GET", Path: "/login"})
			if st != 200 || !regexp.MustCompile(`(?s)<main[^>]*id="main".*<form method="post" action="/login".*</main>`).MatchString(body) {
				t.Errorf("%s login: %d, the form is not inside <main>", host, st)
			}
		}
	})

	t.Run("Plurals", func(t *testing.T) {
		// Tenant A has exactly one lead.
		st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/leads", Cookies: portal})
		if st != 200 || !strings.Contains(body, "1 lead,") || strings.Contains(body, "1 leads") {
			t.Errorf("portal leads: %d, wants \"1 lead,\"", st)
		}
		if got := app.Plural(1, "person", "people") + "/" + app.Plural(0, "lead", "leads") + "/" + app.Plural(int64(2), "row", "rows"); got != "1 person/0 leads/2 rows" {
			t.Errorf("Plural: %s", got)
		}
	})

	t.Run("ProposalStudioWithoutRequirements", func(t *testing.T) {
		st, body, _ := e.admin("GET", "/federal/opportunities/"+e.NoticeID+"/proposal", nil)
		if st != 200 {
			t.Fatalf("proposal: %d", st)
		}
		if strings.Contains(body, "0%</strong> complete") || !strings.Contains(body, "No requirements in the compliance matrix yet") {
			t.Errorf("an empty matrix reads as 0%% complete")
		}
	})
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	lum := func(hex string) float64 {
		var c [3]float64
		for i := range c {
			v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
			x := float64(v) / 255
			if x <= 0.03928 {
				c[i] = x / 12.92
			} else {
				c[i] = math.Pow((x+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
	}
	la, lb := lum(a), lum(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}
