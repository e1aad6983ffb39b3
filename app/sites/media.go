package sites

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"orengen/app"
)

// Uploaded images of a site (image, gallery and hero blocks, the Open
// Graph image, the logo): stored with the site's files under MediaPrefix,
// named by their content's hash (an address that never changes content),
// and served on the site's host.

// MediaPrefix is the path of a site's uploaded images.
const MediaPrefix = "/_media/"

// Limits of uploaded images.
const (
	MaxMediaSize  = 900 << 10 // bytes; a request fits the server's 1 MiB body limit
	MaxMediaFiles = 200
)

// mediaTypes are the image types accepted, by sniffed content type, with
// their file extension. SVG is not: it can carry script.
var mediaTypes = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}

// Media is an uploaded image of a site.
type Media struct {
	Path        string `json:"path"` // /_media/<hash>.<ext>
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

// IsMedia reports whether path is an uploaded image's.
func IsMedia(path string) bool {
	return strings.HasPrefix(path, MediaPrefix) && len(path) > len(MediaPrefix) && !strings.Contains(path[len(MediaPrefix):], "/")
}

// Upload stores an image for a site of the tenant of ctx. Its type is
// found by sniffing the content (the file name is ignored). Returns
// ETOOLARGE or EINVALID naming "file", ENOTFOUND.
func (s *Service) Upload(ctx context.Context, siteID int64, data []byte) (*Media, error) {
	if len(data) == 0 {
		return nil, app.FieldErrorf("file", "Choose an image to upload.")
	}
	if len(data) > MaxMediaSize {
		return nil, ErrMediaTooLarge()
	}
	ct := http.DetectContentType(data)
	ext, ok := mediaTypes[ct]
	if !ok {
		return nil, app.FieldErrorf("file", "This file is not a PNG, JPEG, GIF or WebP image (its content reads as %s), whatever its name says.", ct)
	}
	if _, err := s.store.FindSite(ctx, siteID); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	f := File{Path: MediaPrefix + hex.EncodeToString(sum[:10]) + ext, ContentType: ct, Body: data}
	if err := s.store.SaveMedia(ctx, siteID, f, MaxMediaFiles); err != nil {
		return nil, err
	}
	return &Media{Path: f.Path, ContentType: ct, Size: len(data)}, nil
}

// ErrMediaTooLarge is the error of an image over MaxMediaSize.
func ErrMediaTooLarge() error {
	return &app.Error{Code: app.ETOOLARGE, Field: "file", Message: "The image is over 900 KB: make it smaller (a web image rarely needs more than 1600 pixels across) and upload it again."}
}
