//go:build tools

// Package tools pins the upstream Prometheus Operator commands (used as a
// black-box reference only) so that `go mod tidy` keeps go.mod/go.sum
// complete. Build with e.g.:
//
//	go build -o "$PROMOP_TESTENV/bin/prometheus-operator-reference" \
//	    github.com/prometheus-operator/prometheus-operator/cmd/operator
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/cmd/admission-webhook"
	_ "github.com/prometheus-operator/prometheus-operator/cmd/operator"
	_ "github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader"
)
