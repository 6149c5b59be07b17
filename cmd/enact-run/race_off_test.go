//go:build !race

package main

// raceShadow is 1 without the race detector: see race_on_test.go.
const raceShadow = 1

// hostileLoadRuns is how many runs of each hostile kind are sent at once:
// the load of 50 concurrent runs.
const hostileLoadRuns = 50
