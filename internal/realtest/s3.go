package realtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// VersityGW is the S3 server the tests run against, pinned (the module
// proxy serves only this version).
const VersityGW = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// S3 is a running versitygw on loopback.
type S3 struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string
	SecretKey string
}

// StartS3 starts versitygw (posix backend in a temporary directory) on a
// loopback port with the given buckets created, and stops it when the test
// ends. AWS_CA_BUNDLE is cleared for the test: it breaks Litestream's S3
// client on the development machine.
func StartS3(tb testing.TB, buckets ...string) *S3 {
	tb.Helper()
	exe := GoTool(tb, "versitygw", VersityGW)
	if t, ok := tb.(*testing.T); ok {
		t.Setenv("AWS_CA_BUNDLE", "")
	}
	os.Unsetenv("AWS_CA_BUNDLE")
	s := &S3{AccessKey: "orengentestkey", SecretKey: "orengen-test-secret-7f3a9c"}
	port := FreePort(tb)
	Start(tb, "versitygw", exec.Command(exe, "--access", s.AccessKey, "--secret", s.SecretKey,
		"--port", Addr(port), "--quiet", "posix", tb.TempDir()))
	WaitTCP(tb, Addr(port), 15*time.Second)
	s.Endpoint = "http://" + Addr(port)
	c := s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, b := range buckets {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			tb.Fatalf("versitygw: create bucket %s: %v", b, err)
		}
	}
	return s
}
