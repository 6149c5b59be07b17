//go:build race

package main

// raceShadow is how many times its own size the race detector adds to the
// heap it watches (shadow memory), for memory bounds measured in tests.
const raceShadow = 4

// hostileLoadRuns is how many runs of each hostile kind are sent at once.
// Under the race detector, where every table a run grows costs several
// times as much to allocate and collect, 10 runs keep the package within
// its time limit; the full load of 50 runs is the ordinary build's.
const hostileLoadRuns = 10
