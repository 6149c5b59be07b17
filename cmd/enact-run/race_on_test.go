//go:build race

package main

// raceShadow is how many times its own size the race detector adds to the
// heap it watches (shadow memory), for memory bounds measured in tests.
const raceShadow = 4
