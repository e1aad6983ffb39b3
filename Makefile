# orengen: one binary, CGO on (mattn/go-sqlite3 with its bundled SQLite).
GO       ?= go
TAGS     := sqlite_fts5
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)
export CGO_ENABLED := 1

.PHONY: build run test test-short bench lint fuzz clean-data size

## build: compile ./orengen
build:
	$(GO) build -tags '$(TAGS)' -trimpath -ldflags '$(LDFLAGS)' -o orengen .

## size: build, then fail if the stripped binary is over its budget (scripts/size_budget.sh; CI runs it)
size: build
	bash scripts/size_budget.sh ./orengen

## run: build and start on localhost with ./data (prints the three URLs and the setup link)
run: build
	./orengen serve --data-dir ./data --domain localhost --http-addr :8080

## test: vet, every test with the race detector (browser tests need chromium: see .ci/run), then short fuzz runs.
## The go test -json stream is kept in TEST_JSON (.ci/run checks its skips against .ci/skips-allowed).
TEST_JSON ?= .test-report.json
test:
	$(GO) vet -tags '$(TAGS)' ./...
	$(GO) run ./internal/testreport -json '$(TEST_JSON)' -- $(GO) test -json -tags '$(TAGS)' -race -count=1 -timeout 15m ./...
	for d in third_party/*/; do (cd $$d && env -u AWS_CA_BUNDLE $(GO) test -count=1 ./...) || exit 1; done # the patched copies against upstream's own tests (AWS_CA_BUNDLE breaks litestream's S3 client)
	$(MAKE) fuzz FUZZTIME=4s

## test-short: the quick subset
test-short:
	$(GO) test -tags '$(TAGS)' -short -count=1 ./...

## bench: Go benchmarks plus the load script; figures go to docs/BENCHMARKS.md by hand
bench: build
	bash scripts/size_budget.sh ./orengen
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench . -benchmem -count=1 ./...
	bash scripts/bench_peers.sh
	bash scripts/bench.sh
	bash scripts/bench_tls.sh
	ORENGEN_BENCH=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestBenchFigures -v ./backups
	ORENGEN_BENCH_CRM=1 $(GO) test -tags '$(TAGS)' -run '^$$' -bench CRM_1M -benchtime 1x ./store/
	ORENGEN_BENCH_CAPTURE=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestCaptureFigures -v ./store/
	ORENGEN_BENCH_SITES=1 $(GO) test -tags '$(TAGS)' -count=1 -run 'TestSitesFigures|TestSitesNginxFigures' -v ./ui/
	ORENGEN_BENCH_PLATFORM=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestPlatformFigures -v ./ui/
	ORENGEN_BENCH_WIKI=1 ORENGEN_BENCH_SHEETS=1 $(GO) test -tags '$(TAGS)' -count=1 -run 'TestWikiFigures|TestSheetFigures' -v ./app/wiki ./app/sheets
	ORENGEN_BENCH_INBOX=1 $(GO) test -tags '$(TAGS)' -count=1 -run 'TestInboxFigures|TestInboxLiveFigures|TestIMAPImportFigures' -v ./app/inbox ./imap
	ORENGEN_BENCH_AGENTS=1 $(GO) test -tags '$(TAGS)' -count=1 -run 'TestFigures_Retrieval|TestAgentFigures' -v ./app/agents ./cli
	ORENGEN_BENCH_CALENDAR=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestCalendarFigures -v ./app/calendar
	ORENGEN_BENCH_COURSES=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestCoursesFigures -v ./ui/
	ORENGEN_BENCH_COMMUNITY=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestCommunityFigures -v ./ui/
	ORENGEN_BENCH_BRAND=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestBrandFigures -v ./ui/
	ORENGEN_BENCH_BILLING=1 $(GO) test -tags '$(TAGS)' -count=1 -run 'TestBillingFigures|TestBillingCaptureFigures' -v ./app/billing
	ORENGEN_BENCH_BILLING=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestBillingStripeFigures -v ./ui/
	ORENGEN_BENCH_TRANSFER=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestTransferFigures -v ./cli/
	ORENGEN_BENCH_INBOX=1 $(GO) test -tags '$(TAGS)' -count=1 -run TestInboxReportFigures -v ./app/inbox

## lint: go vet and shellcheck
lint:
	$(GO) vet -tags '$(TAGS)' ./...
	shellcheck install.sh scripts/*.sh .ci/run

## fuzz: fuzz every parser for FUZZTIME each (go test -fuzz takes one target at a time)
FUZZTIME ?= 30s
FUZZ_TARGETS := ./app:FuzzParseAPIKey ./app:FuzzParseLinkToken ./app:FuzzParseBearer ./app:FuzzVerifyPassword \
	./ui/portal:FuzzParseLoginForm ./app/federal:FuzzParseTime ./app/federal:FuzzParseAmount ./app/federal:FuzzExtractRequirements \
	./app:FuzzContactInput ./app:FuzzImportRow ./app:FuzzFormPost ./app:FuzzDecodeCursor ./app:FuzzParseAmount ./app:FuzzParseDate \
	./app:FuzzPendingLoginToken ./app:FuzzTwilioWebhook
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -tags '$(TAGS)' -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg || \
		{ echo "fuzz $$name failed; running again: a real crasher is now in testdata/fuzz and fails again at once"; \
		  $(GO) test -tags '$(TAGS)' -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg; }; \
	done
