//go:build !race

package main

// raceShadow is 1 without the race detector: see race_on_test.go.
const raceShadow = 1
