package sites_test

import (
	"math"
	"strconv"
	"testing"

	"orengen/app/sites"
)

// Over 10,000 simulated visitors a 70/30 split lands near 70/30, and a
// visitor asking again gets the same variant.
func TestSplitTest_AssignStickyAndNearRatio(t *testing.T) {
	st := sites.SplitTest{Page: "offer", Variants: []sites.Variant{{Slug: "offer", Weight: 70}, {Slug: "offer-b", Weight: 30}}}
	counts := map[string]int{}
	const n = 10000
	for i := 0; i < n; i++ {
		visitor := "198.51.100." + strconv.Itoa(i%250) + "|Mozilla/5.0 visitor " + strconv.Itoa(i)
		v := st.Assign("salt-1", visitor)
		counts[v]++
		for k := 0; k < 3; k++ {
			if again := st.Assign("salt-1", visitor); again != v {
				t.Fatalf("visitor %d got %s, then %s", i, v, again)
			}
		}
	}
	// Binomial standard deviation sqrt(n*p*(1-p)) is about 46; allow 4.
	if got := counts["offer-b"]; math.Abs(float64(got)-0.3*n) > 4*math.Sqrt(n*0.3*0.7) {
		t.Errorf("offer-b got %d of %d, want about %d", got, n, int(0.3*n))
	}
	if counts["offer"]+counts["offer-b"] != n {
		t.Errorf("counts %v", counts)
	}
	// Another site's salt reshuffles visitors.
	same := 0
	for i := 0; i < 1000; i++ {
		v := "v" + strconv.Itoa(i)
		if st.Assign("salt-1", v) == st.Assign("salt-2", v) {
			same++
		}
	}
	if same > 700 { // independent draws agree 0.7²+0.3² = 58% of the time
		t.Errorf("salts agree on %d of 1000 visitors", same)
	}
}

// The z-test against values worked by hand: 100/1000 against 150/1000
// is pooled p 0.125, standard error 0.01479, z 3.38, p about 0.0007.
func TestTwoProportionZ(t *testing.T) {
	z, p := sites.TwoProportionZ(100, 1000, 150, 1000)
	if z < 3.37 || z > 3.39 || p < 0.0006 || p > 0.0009 {
		t.Errorf("z %.4f p %.5f", z, p)
	}
	if z, p := sites.TwoProportionZ(10, 100, 10, 100); z != 0 || p != 1 {
		t.Errorf("equal rates: z %v p %v", z, p)
	}
	if _, p := sites.TwoProportionZ(0, 0, 1, 10); p != 1 {
		t.Errorf("no control visitors: p %v", p)
	}
	r := &sites.Report{Pages: []sites.PageCount{{Path: "a", Visitors: 1000, Converters: 100}, {Path: "b", Visitors: 1000, Converters: 150}, {Path: "c", Visitors: 20, Converters: 10}}}
	res := r.SplitTest(sites.SplitTest{Page: "a", Variants: []sites.Variant{{Slug: "a", Weight: 1}, {Slug: "b", Weight: 1}, {Slug: "c", Weight: 1}}})
	if res[0].Significant || !res[1].Significant || res[2].Significant {
		t.Errorf("significance: %+v", res)
	}
}

func TestDevice(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148": "mobile",
		"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)":                        "tablet",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari": "desktop",
		"Googlebot/2.1 (+http://www.google.com/bot.html)":                      "",
		"": "",
	} {
		if got := sites.Device(ua); got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
}
