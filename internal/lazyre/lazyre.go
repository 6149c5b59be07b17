// Package lazyre holds regular expressions that compile on first use.
//
// A package-level regexp.MustCompile runs while the process starts, in
// every command, whether or not the pattern is ever used; counted
// repetitions such as {0,127} make that cost real (hundreds of
// allocations each). A [Regexp] declared with [New] costs one small
// allocation at start-up and compiles the first time a method is called.
// The patterns are constants in the source, so a bad one is a programming
// error: the first use panics, as regexp.MustCompile would have at start,
// and the package's test compiles every pattern passed to New in the
// module so that such a mistake fails a test rather than a run.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is a regular expression compiled on first use. It is safe for
// concurrent use, as *regexp.Regexp is.
type Regexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

// New returns expr as a Regexp that compiles the first time it is used.
// expr must be a constant pattern valid for regexp.Compile.
func New(expr string) *Regexp {
	return &Regexp{expr: expr}
}

// Compiled returns the compiled expression, compiling it on the first call.
// It panics if the pattern is invalid, as regexp.MustCompile does.
func (r *Regexp) Compiled() *regexp.Regexp {
	r.once.Do(func() { r.re = regexp.MustCompile(r.expr) })
	return r.re
}

// String returns the source text of the pattern without compiling it.
func (r *Regexp) String() string { return r.expr }

// MatchString reports whether s contains any match of the pattern.
func (r *Regexp) MatchString(s string) bool { return r.Compiled().MatchString(s) }

// Match reports whether b contains any match of the pattern.
func (r *Regexp) Match(b []byte) bool { return r.Compiled().Match(b) }

// FindStringSubmatch is regexp.Regexp's FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string {
	return r.Compiled().FindStringSubmatch(s)
}

// FindAllStringSubmatchIndex is regexp.Regexp's FindAllStringSubmatchIndex.
func (r *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return r.Compiled().FindAllStringSubmatchIndex(s, n)
}

// ReplaceAllStringFunc is regexp.Regexp's ReplaceAllStringFunc.
func (r *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return r.Compiled().ReplaceAllStringFunc(src, repl)
}
