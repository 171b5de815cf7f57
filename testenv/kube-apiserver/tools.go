//go:build tools

// Package tools pins the kube-apiserver command so that `go mod tidy` keeps
// go.mod/go.sum complete. Build with:
//
//	go build -o "$PROMOP_TESTENV/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
