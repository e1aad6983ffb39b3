package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWizard_ResumeAfterKill runs the new-client wizard through the admin
// API of the real binary, kills it (SIGKILL) between steps, starts it
// again and finishes the run from where it stopped: the steps done before
// the kill are kept and, submitted again by a retrying script, change
// nothing; one tenant, one owner, one domain, the snapshot applied once.
func TestWizard_ResumeAfterKill(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	key, _, err := runCLI(t, "", "apikey", "create", "--admin", "--scope", "write", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	key = strings.TrimSpace(key)
	start := func() (kill func(), addr string) {
		cmd, addr, _ := startServeChild(t, nil, "--data-dir", dir, "--backup-dir", "", "--dns-resolver", "127.0.0.1:1")
		return func() {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			cmd.Wait()
		}, addr
	}
	call := func(addr, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Host = "nexus.localhost"
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode, out
	}
	step := func(out map[string]any) string {
		d, _ := out["data"].(map[string]any)
		s, _ := d["step"].(string)
		return s
	}

	kill, addr := start()
	st, out := call(addr, "POST", "/api/v1/snapshots", `{"tenant_id":1,"name":"House setup"}`)
	if st != 201 {
		t.Fatalf("capture: %d %v", st, out)
	}
	snapID := strconv.FormatFloat(out["data"].(map[string]any)["id"].(float64), 'f', 0, 64)
	st, out = call(addr, "POST", "/api/v1/wizards", ``)
	if st != 201 {
		t.Fatalf("start: %d %v", st, out)
	}
	wp := "/api/v1/wizards/" + strconv.FormatFloat(out["data"].(map[string]any)["id"].(float64), 'f', 0, 64)
	if st, out := call(addr, "POST", wp+"/steps/client", `{"name":"Kill Clinic"}`); st != 200 || step(out) != "owner" {
		t.Fatalf("client: %d %v", st, out)
	}
	if st, out := call(addr, "POST", wp+"/steps/owner", `{"email":"owner@kill-clinic.test","name":"Kim"}`); st != 200 || step(out) != "brand" {
		t.Fatalf("owner: %d %v", st, out)
	}
	kill()

	kill, addr = start()
	if st, out := call(addr, "GET", wp, ``); st != 200 || step(out) != "brand" {
		t.Fatalf("status after the restart: %d %v", st, out)
	}
	// A script that does not know how far it got submits every step again.
	for _, s := range []struct{ step, body string }{
		{"client", `{"name":"Kill Clinic"}`},
		{"owner", `{"email":"owner@kill-clinic.test","name":"Kim"}`},
		{"brand", `{"primary_color":"#1d4ed8"}`},
	} {
		if st, out := call(addr, "POST", wp+"/steps/"+s.step, s.body); st != 200 {
			t.Fatalf("%s after the restart: %d %v", s.step, st, out)
		}
	}
	kill()

	kill, addr = start()
	for _, s := range []struct{ step, body string }{
		{"brand", `{"primary_color":"#1d4ed8"}`},
		{"domain", `{"domain":"portal.kill-clinic.test"}`},
		{"snapshot", `{"snapshot_id":` + snapID + `}`},
		{"snapshot", `{"snapshot_id":` + snapID + `}`},
	} {
		if st, out := call(addr, "POST", wp+"/steps/"+s.step, s.body); st != 200 {
			t.Fatalf("%s: %d %v", s.step, st, out)
		}
	}
	st, out = call(addr, "GET", wp, ``)
	if st != 200 || step(out) != "done" || out["data"].(map[string]any)["finished"] != true {
		t.Fatalf("final status: %d %v", st, out)
	}
	kill()

	db := openDataDB(t, dir)
	var tenants, owners, domains, forms, houseForms, workflows, houseWorkflows int
	var primary string
	if err := db.ReadDB().QueryRowContext(context.Background(), `SELECT
		(SELECT count(*) FROM tenants WHERE slug = 'kill-clinic'),
		(SELECT count(*) FROM tenant_users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = 'kill-clinic' AND u.role = 'owner'),
		(SELECT count(*) FROM custom_domains d JOIN tenants t ON t.id = d.tenant_id WHERE t.slug = 'kill-clinic'),
		(SELECT count(*) FROM forms f JOIN tenants t ON t.id = f.tenant_id WHERE t.slug = 'kill-clinic'),
		(SELECT count(*) FROM forms WHERE tenant_id = 1),
		(SELECT count(*) FROM workflows w JOIN tenants t ON t.id = w.tenant_id WHERE t.slug = 'kill-clinic'),
		(SELECT count(*) FROM workflows WHERE tenant_id = 1),
		(SELECT primary_color FROM tenants WHERE slug = 'kill-clinic')`).Scan(&tenants, &owners, &domains, &forms, &houseForms, &workflows, &houseWorkflows, &primary); err != nil {
		t.Fatal(err)
	}
	if tenants != 1 || owners != 1 || domains != 1 || primary != "#1d4ed8" {
		t.Fatalf("tenants %d, owners %d, domains %d, primary %s", tenants, owners, domains, primary)
	}
	if houseWorkflows == 0 || forms != houseForms || workflows != houseWorkflows {
		t.Fatalf("snapshot applied: forms %d (house %d), workflows %d (house %d)", forms, houseForms, workflows, houseWorkflows)
	}
}
