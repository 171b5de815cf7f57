//go:build tools

// Package tools pins the upstream helm command (Go module helm.sh/helm/v3, a
// black-box dependency) so that `go mod tidy` keeps go.mod/go.sum complete.
// The promop test-bed uses it to lint and render deploy/helm/promop. Build
// with e.g.:
//
//	go build -o "$PROMOP_TESTENV/bin/helm" helm.sh/helm/v3/cmd/helm
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
