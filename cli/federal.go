package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/federal"
)

const federalUsage = `Usage: orengen federal <scout|search> [flags]

  scout --once [--tenant ID]                         run every saved search now and print a summary
  search add --name N [--naics 541511,541512] [--psc D302] [--set-aside SBA,8A] [--state VA]
             [--title WORDS] [--ptype o,k] [--days 30] [--descriptions] [--grants] [--tenant ID]
  search list [--tenant ID]
  enable --tenant ID | disable --tenant ID           turn federal work on or off for a client tenant
`

// runFederal is `orengen federal ...`. Federal work belongs to the house
// tenant unless --tenant names a client.
func runFederal(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, federalUsage)
		if len(args) == 0 {
			return usageError{errors.New("federal: a subcommand is required")}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	if sub == "search" {
		if len(rest) == 0 || (rest[0] != "add" && rest[0] != "list") {
			fmt.Fprint(stderr, federalUsage)
			return usageError{errors.New("federal search: add or list is required")}
		}
		sub, rest = "search "+rest[0], rest[1:]
	} else if sub != "scout" && sub != "enable" && sub != "disable" {
		fmt.Fprint(stderr, federalUsage)
		return usageError{fmt.Errorf("federal: unknown subcommand %q", sub)}
	}
	fs := newFlagSet("federal "+sub, "federal "+sub+" [flags]", stderr)
	tenant := fs.Int64("tenant", app.HouseTenantID, "tenant ID (default: the house tenant)")
	var once *bool
	var ss federal.SavedSearch
	var ptypes string
	var grants *bool
	switch sub {
	case "scout":
		once = fs.Bool("once", false, "run every saved search now, then exit")
	case "search add":
		fs.StringVar(&ss.Name, "name", "", "name of the saved search (required)")
		fs.Var((*codeList)(&ss.NAICS), "naics", "NAICS codes, comma-separated or repeated (one SAM.gov request per combination of codes)")
		fs.Var((*codeList)(&ss.PSC), "psc", "product/service codes, comma-separated or repeated")
		fs.Var((*codeList)(&ss.SetAsides), "set-aside", "set-aside codes (SBA, 8A, SDVOSBC ...), comma-separated or repeated")
		fs.StringVar(&ss.State, "state", "", "place-of-performance state")
		fs.StringVar(&ss.Title, "title", "", "words in the title (grants: keyword)")
		fs.StringVar(&ptypes, "ptype", "", "procurement types, comma-separated (o, k, p, r ...)")
		fs.IntVar(&ss.PostedDays, "days", 30, "posted in the last N days (1-365)")
		fs.BoolVar(&ss.FetchDescriptions, "descriptions", false, "fetch each new notice's description (one request each)")
		grants = fs.Bool("grants", false, "search Grants.gov instead of SAM.gov")
	}
	cfg, err := loadConfig(fs, rest, env, "data-dir", "sam-api-url", "grants-api-url", "sam-key-type", "log-level", "log-format")
	if err != nil {
		return err
	}
	if sub == "scout" && !*once {
		return usageError{errors.New("federal scout: --once is required (serve runs the scheduled scout)")}
	}
	logger := newLogger(cfg, stderr)
	if sub == "scout" {
		logger = discardLogger() // the summary says it all
	}
	sv, err := Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer sv.Close()
	f := sv.Federal
	t, err := sv.Tenants.TenantByID(ctx, *tenant)
	if err != nil {
		return fmt.Errorf("--tenant %d: %s", *tenant, app.ErrorMessage(err))
	}
	// Federal reads and writes take the tenant from the context.
	ctx = app.NewContextWithTenant(ctx, t)
	switch sub {
	case "enable", "disable":
		if err := f.Service.SetFederalEnabled(ctx, *tenant, sub == "enable"); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "federal work %sd for tenant %d\n", sub, *tenant)
		return nil
	case "search add":
		ss.TenantID = *tenant
		if *grants {
			ss.Kind = federal.SearchGrants
		}
		for _, p := range strings.Split(ptypes, ",") {
			ss.ProcurementTypes = append(ss.ProcurementTypes, p)
		}
		if err := f.Service.CreateSearch(ctx, &ss); err != nil {
			return federalCLIError(err)
		}
		fmt.Fprintf(stdout, "saved search %d %q (%s, posted in the last %d days)\n", ss.ID, ss.Name, ss.Kind, ss.PostedDays)
		if n := ss.RequestCount(); ss.Kind == federal.SearchSAM && n > 1 {
			fmt.Fprintf(stdout, "each run sends %d SAM.gov requests (one per combination of codes), each counted against the daily quota\n", n)
		}
		return nil
	case "search list":
		list, err := f.Service.FindSavedSearches(ctx)
		if err != nil {
			return err
		}
		for _, s := range list {
			last := "never run"
			if s.LastRunAt != nil {
				last = s.LastRunAt.Format(time.RFC3339) + " " + s.LastStatus
			}
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\n", s.ID, s.Kind, s.Name, last)
		}
		return nil
	}
	res, err := f.Scout.Run(ctx, "cli", 0)
	if res != nil {
		fmt.Fprintf(stdout, "searches run: %d of %d\nrequests used: %d\nnew: %d\nupdated: %d\nstatus: %s\n",
			res.Run.Searches, len(res.Searches), res.Run.Requests, res.Run.New, res.Run.Updated, res.Run.Status)
		for _, s := range res.Searches {
			if s.Err != nil {
				fmt.Fprintf(stdout, "  %s: %s: %s\n", s.Search.Name, s.Status, federal.ErrorMessage(s.Err))
			}
		}
		if limit, used, kt, qerr := f.Service.Quota(ctx); qerr == nil {
			fmt.Fprintf(stdout, "quota today (%s key): %d of %d used\n", kt, used, limit)
		}
	}
	if err != nil {
		return errors.New(federal.ErrorMessage(err))
	}
	if failed := res.Failed(); len(failed) > 0 {
		return fmt.Errorf("%d saved search(es) failed: %s", len(failed), federal.ErrorMessage(failed[0].Err))
	}
	return nil
}

// codeList is a flag of codes given comma-separated or repeated.
type codeList []string

func (l *codeList) String() string { return strings.Join(*l, ",") }

func (l *codeList) Set(v string) error {
	*l = append(*l, federal.SplitCodes(v)...)
	return nil
}

// federalCLIError names the flag of a validation error.
func federalCLIError(err error) error {
	var v *federal.ValidationError
	if errors.As(err, &v) {
		flags := map[string]string{"postedDays": "days", "setAsides": "set-aside", "procurementTypes": "ptype", "title": "title"}
		name := v.Field
		if f, ok := flags[name]; ok {
			name = f
		}
		return usageError{fmt.Errorf("--%s: %s", name, v.Message)}
	}
	return cliError(err)
}
