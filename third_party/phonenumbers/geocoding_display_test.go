package phonenumbers

// orengen: this file is not upstream's. The copy leaves GetGeocodingForNumber's
// last fallback (a region's name in a language) to RegionDisplayName, nil by
// default (geocoding.go); upstream's tests expect upstream's behaviour, so
// they run with the x/text/language/display lookup upstream called.

import (
	"testing"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

func init() {
	RegionDisplayName = func(lang language.Tag, reg language.Region) string { return display.Regions(lang).Name(reg) }
}

// Without RegionDisplayName, numbers the geocoding data knows are named as
// before and the others get "" instead of their region's name.
func TestGetGeocodingForNumber_NoRegionDisplayName(t *testing.T) {
	saved := RegionDisplayName
	RegionDisplayName = nil
	defer func() { RegionDisplayName = saved }()
	for num, want := range map[string]string{"+8613702032331": "Tianjin", "+447825602614": ""} {
		n, err := Parse(num, "ZZ")
		if err != nil {
			t.Fatalf("Parse(%s): %v", num, err)
		}
		got, err := GetGeocodingForNumber(n, "en")
		if err != nil || got != want {
			t.Errorf("GetGeocodingForNumber(%s) = %q, %v; want %q", num, got, err, want)
		}
	}
}
