//go:build tools

// Package tools pins upstream promtool (Prometheus, as a black-box
// dependency) so that `go mod tidy` keeps go.mod/go.sum complete. It is built
// with the default build tags, so every service-discovery integration is
// compiled in (unlike the Debian promtool packages). Build with e.g.:
//
//	go build -o "$PROMOP_TESTENV/bin/promtool-latest" \
//	    github.com/prometheus/prometheus/cmd/promtool
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
