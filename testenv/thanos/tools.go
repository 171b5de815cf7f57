//go:build tools

// Package tools pins upstream Thanos (a black-box dependency) so that `go mod
// tidy` keeps go.mod/go.sum complete. Build with e.g.:
//
//	go build -o "$PROMOP_TESTENV/bin/thanos" github.com/thanos-io/thanos/cmd/thanos
package tools

import (
	_ "github.com/thanos-io/thanos/cmd/thanos"
)
