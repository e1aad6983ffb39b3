// Port of geocoder/geocoding/PhoneNumberOfflineGeocoder.java from google/libphonenumber.
// Functions are kept in upstream source order to ease syncing.
// Last reconciled against: v9.0.32
package phonenumbers

import (
	"golang.org/x/text/language"
)

// RegionDisplayName names a region in a language for GetGeocodingForNumber's
// last fallback, when neither lang's nor English geocoding data knows the
// number.
//
// orengen: upstream called golang.org/x/text/language/display here, whose
// init (a matcher over every display language: ~200 KB, ~1.5 ms) ran in
// every process that linked phonenumbers. It is nil here, and the fallback
// returns "": set it to
//
//	func(lang language.Tag, reg language.Region) string { return display.Regions(lang).Name(reg) }
//
// for upstream's behaviour (geocoding_display_test.go does so for upstream's
// tests).
var RegionDisplayName func(lang language.Tag, reg language.Region) string

// GetGeocodingForNumber returns the location we think the number was first acquired in. This is
// just our best guess, there is no guarantee to its accuracy.
func GetGeocodingForNumber(number *PhoneNumber, lang string) (string, error) {
	geocoding, _, err := getValueForNumber(geocodingPrefixMap, geocodingData, geocodingDataPath, lang, 10, number)
	if err != nil || geocoding != "" {
		return geocoding, err
	}

	// fallback to english
	geocoding, _, err = getValueForNumber(geocodingPrefixMap, geocodingData, geocodingDataPath, "en", 10, number)
	if err != nil || geocoding != "" {
		return geocoding, err
	}

	// fallback to locale
	var reg language.Region
	if reg, err = language.ParseRegion(GetRegionCodeForNumber(number)); err != nil {
		return "", err
	}

	var langT language.Tag
	if langT, err = language.Parse(lang); err != nil {
		langT = language.English // fallback to english
	}
	if RegionDisplayName == nil { // orengen: see RegionDisplayName
		return "", nil
	}
	return RegionDisplayName(langT, reg), nil
}
