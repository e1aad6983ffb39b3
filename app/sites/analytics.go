package sites

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event kinds.
const (
	EventView       = "view"
	EventConversion = "conversion"
)

// Event is a page view or a conversion on a published site.
type Event struct {
	SiteID   int64
	Kind     string
	Day      string // YYYY-MM-DD, UTC
	Path     string // the page's slug as served ("" is the home page)
	Visitor  string // the day's salted hash of the visitor
	Referrer string // the referring site's host ("" direct)
	Source   string // utm_source
	Device   string // desktop, mobile, tablet
	FormID   int64
	At       time.Time
}

// AnalyticsStore keeps events and the daily salts.
type AnalyticsStore interface {
	// RecordEvents writes events in one transaction.
	RecordEvents(ctx context.Context, es []Event) error
	// DailySalt returns day's salt, creating it, and forgets the salts
	// of days before the previous one.
	DailySalt(ctx context.Context, day string) (string, error)
	// Report counts a site's events for days in [from, to] (YYYY-MM-DD),
	// in the tenant of ctx (ENOTFOUND for another tenant's site).
	Report(ctx context.Context, siteID int64, from, to string) (*Report, error)
	// RollUp sums the raw events of every day before before (YYYY-MM-DD)
	// into daily rollups and deletes them; it returns the sites' days
	// rolled up. Reports read both, so no figure changes.
	RollUp(ctx context.Context, before string) (int, error)
}

// Report is a site's analytics for a range of days.
type Report struct {
	From, To    string
	Views       int
	Visitors    int // unique per day, summed over the days
	Conversions int
	Days        []DayCount
	Pages       []PageCount
	Referrers   []NameCount
	Sources     []NameCount
	Devices     []NameCount
	Forms       []NameCount // conversions per form ID (Name is the ID)
}

// DayCount is one day's views and unique visitors.
type DayCount struct {
	Day      string `json:"day"`
	Views    int    `json:"views"`
	Visitors int    `json:"visitors"`
}

// PageCount is one page's views, unique visitors and conversions;
// Converters are the unique visitors who converted there.
type PageCount struct {
	Path        string `json:"path"`
	Views       int    `json:"views"`
	Visitors    int    `json:"visitors"`
	Conversions int    `json:"conversions"`
	Converters  int    `json:"converters"`
}

// NameCount is a referrer, source, device or form with its count.
type NameCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Page returns the counts of slug (zero when it had none).
func (r *Report) Page(slug string) PageCount {
	for _, p := range r.Pages {
		if p.Path == slug {
			return p
		}
	}
	return PageCount{Path: slug}
}

// FunnelStep is a funnel step's visitors and how many went on.
type FunnelStep struct {
	Slug       string  `json:"slug"`
	Visitors   int     `json:"visitors"`
	Converters int     `json:"converters"`
	Rate       float64 `json:"rate"` // converters / visitors
}

// Funnel returns f's steps with their counts from the report.
func (r *Report) Funnel(f Funnel) []FunnelStep {
	var out []FunnelStep
	for _, s := range f.Steps {
		p := r.Page(s)
		st := FunnelStep{Slug: s, Visitors: p.Visitors, Converters: p.Converters}
		if p.Visitors > 0 {
			st.Rate = float64(p.Converters) / float64(p.Visitors)
		}
		out = append(out, st)
	}
	return out
}

// VariantResult is a split test variant's traffic and conversions, and
// how sure a difference from the first variant (the control) is.
type VariantResult struct {
	Slug        string  `json:"slug"`
	Weight      int     `json:"weight"`
	Visitors    int     `json:"visitors"`
	Converters  int     `json:"converters"`
	Rate        float64 `json:"rate"`
	Z           float64 `json:"z"`           // two-proportion z-score against the control
	P           float64 `json:"p"`           // two-sided p-value
	Significant bool    `json:"significant"` // p < 0.05 with 30 visitors at least on both sides
}

// SplitTest returns the variants' results from the report.
func (r *Report) SplitTest(t SplitTest) []VariantResult {
	var out []VariantResult
	for _, v := range t.Variants {
		p := r.Page(v.Slug)
		vr := VariantResult{Slug: v.Slug, Weight: v.Weight, Visitors: p.Visitors, Converters: p.Converters, P: 1}
		if p.Visitors > 0 {
			vr.Rate = float64(p.Converters) / float64(p.Visitors)
		}
		out = append(out, vr)
	}
	for i := 1; i < len(out); i++ {
		out[i].Z, out[i].P = TwoProportionZ(out[0].Converters, out[0].Visitors, out[i].Converters, out[i].Visitors)
		out[i].Significant = out[i].P < 0.05 && out[0].Visitors >= 30 && out[i].Visitors >= 30
	}
	return out
}

// TwoProportionZ is the pooled two-proportion z-test of conversions c1
// of n1 against c2 of n2: the z-score and the two-sided p-value.
func TwoProportionZ(c1, n1, c2, n2 int) (z, p float64) {
	if n1 == 0 || n2 == 0 {
		return 0, 1
	}
	p1, p2 := float64(c1)/float64(n1), float64(c2)/float64(n2)
	pool := float64(c1+c2) / float64(n1+n2)
	se := math.Sqrt(pool * (1 - pool) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return 0, 1
	}
	z = (p2 - p1) / se
	return z, math.Erfc(math.Abs(z) / math.Sqrt2)
}

// Device classifies a browser by its user agent ("" for a robot, which
// is not counted).
func Device(ua string) string {
	l := strings.ToLower(ua)
	switch {
	case ua == "", strings.Contains(l, "bot"), strings.Contains(l, "crawler"), strings.Contains(l, "spider"), strings.Contains(l, "headlesschrome") && strings.Contains(l, "lighthouse"):
		return ""
	case strings.Contains(l, "ipad"), strings.Contains(l, "tablet"):
		return "tablet"
	case strings.Contains(l, "mobi"), strings.Contains(l, "iphone"), strings.Contains(l, "android"):
		return "mobile"
	}
	return "desktop"
}

// ReferrerHost is the host of a Referer header, "" when it is the site
// itself or absent.
func ReferrerHost(ref, siteHost string) string {
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" {
		return ""
	}
	h := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	if h == strings.TrimPrefix(strings.ToLower(siteHost), "www.") {
		return ""
	}
	if len(h) > 100 {
		h = h[:100]
	}
	return h
}

// DefaultRecorderBuffer is how many events wait at most for their write.
const DefaultRecorderBuffer = 10000

// Recorder takes events from the serving path without waiting for the
// database: Record queues (dropping when the queue is full, counted in
// Dropped), Run writes batches, Flush writes what waits.
type Recorder struct {
	store  AnalyticsStore
	Logger *slog.Logger
	// Dropped counts events dropped because the queue was full.
	Dropped atomic.Int64

	once sync.Once
	ch   chan Event
	made atomic.Bool // ch exists: the first event has come
	mu   sync.Mutex
	day  string
	salt string
	wmu  sync.Mutex // one batch written at a time
}

// NewRecorder returns a Recorder writing to st; set Logger on the result.
func NewRecorder(st AnalyticsStore) *Recorder { return &Recorder{store: st} }

func (r *Recorder) queue() chan Event {
	r.once.Do(func() {
		r.ch = make(chan Event, DefaultRecorderBuffer)
		r.made.Store(true)
	})
	return r.ch
}

// Visitor returns the day's hash of a visitor of site: the day's salt,
// the site, the address and the user agent.
func (r *Recorder) Visitor(ctx context.Context, siteID int64, ip, ua string, at time.Time) (string, error) {
	day := at.UTC().Format(time.DateOnly)
	r.mu.Lock()
	salt := r.salt
	if r.day != day {
		salt = ""
	}
	r.mu.Unlock()
	if salt == "" {
		var err error
		if salt, err = r.store.DailySalt(ctx, day); err != nil {
			return "", err
		}
		r.mu.Lock()
		r.day, r.salt = day, salt
		r.mu.Unlock()
	}
	h := sha256.Sum256([]byte(salt + "|" + itoa(int(siteID)) + "|" + ip + "|" + ua))
	return hex.EncodeToString(h[:12]), nil
}

// Record queues an event; false when the queue was full.
func (r *Recorder) Record(e Event) bool {
	select {
	case r.queue() <- e:
		return true
	default:
		r.Dropped.Add(1)
		return false
	}
}

// Run writes queued events in batches until ctx ends, then what waits.
func (r *Recorder) Run(ctx context.Context) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := r.Flush(context.WithoutCancel(ctx)); err != nil && r.Logger != nil {
				r.Logger.Error("site analytics: last write", "err", err)
			}
			return
		case <-tick.C:
			if err := r.Flush(ctx); err != nil && r.Logger != nil {
				r.Logger.Error("site analytics: write", "err", err)
			}
		}
	}
}

// Flush writes every queued event now.
func (r *Recorder) Flush(ctx context.Context) error {
	// The queue (1.5 MB) is made by the first event, not by the writer's
	// first tick: an appliance whose sites nobody visits never holds it.
	if !r.made.Load() {
		return nil
	}
	r.wmu.Lock()
	defer r.wmu.Unlock()
	ch := r.queue()
	for {
		var batch []Event
	fill:
		for len(batch) < 1000 {
			select {
			case e := <-ch:
				batch = append(batch, e)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return nil
		}
		if err := r.store.RecordEvents(ctx, batch); err != nil {
			return err
		}
	}
}

func percent(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) + "%" }

// Percent is the step's rate as a percentage ("12.5%").
func (s FunnelStep) Percent() string { return percent(s.Rate) }

// Percent is the variant's conversion rate as a percentage.
func (v VariantResult) Percent() string { return percent(v.Rate) }

// PText is the p-value with three decimals ("< 0.001" below that).
func (v VariantResult) PText() string {
	if v.P < 0.001 {
		return "< 0.001"
	}
	return strconv.FormatFloat(v.P, 'f', 3, 64)
}

// Queue returns the queue of events waiting for their write (figures).
func (r *Recorder) Queue() chan Event { return r.queue() }

// RollUp sums every site's raw events of the days before yesterday (UTC)
// into daily rollups and deletes them: a day is rolled up once no late
// event can still arrive for it, and a visitor's daily hash is gone with
// it.
func (r *Recorder) RollUp(ctx context.Context, now time.Time) (int, error) {
	return r.store.RollUp(ctx, now.UTC().AddDate(0, 0, -1).Format(time.DateOnly))
}
